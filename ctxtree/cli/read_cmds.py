"""Read commands over the index: search, context, reindex."""

from __future__ import annotations

from typing import Annotated

import typer

from ctxtree.cli import reading
from ctxtree.cli.errors import handled
from ctxtree.cli.options import (
    HITS,
    TOKENS,
    AsOfOpt,
    ExplainOpt,
    JsonOpt,
    ScopeOpt,
    TreeOpt,
    bounded_option,
)
from ctxtree.cli.output import confirm, emit_json, note
from ctxtree.wording import plural


def _exit(code: int) -> None:
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    @app.command()
    @handled
    def search(
        query: Annotated[str, typer.Argument(help="What to look for (words, a title or an id).")],
        limit: Annotated[
            int, bounded_option("--limit", "-n", bounds=HITS, help="Hits to show.")
        ] = 10,
        scope: ScopeOpt = "",
        kind: Annotated[str, typer.Option(help="Only entries of this kind.")] = "",
        superseded: Annotated[
            bool, typer.Option("--superseded", help="Include superseded and out-of-date entries.")
        ] = False,
        archived: Annotated[bool, typer.Option("--archived", help="Include archived.")] = False,
        as_of: AsOfOpt = None,
        explain: ExplainOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Ranked hits for a query, without any LLM (tiers 0-2).

        Exit code 0 for a confident hit, 3 when nothing relevant was found (not in memory or
        low confidence).

        \b
        Examples:
          ctx search "refresh token reuse" --limit 5
          ctx search "session length" --as-of 2026-11-01   what we believed then
        """
        _exit(
            reading.search(
                query, limit=limit, scope=scope, kind=kind, superseded=superseded,
                archived=archived, as_of=as_of, explain=explain, tree=tree, json_out=json_out,
            )
        )  # fmt: skip

    @app.command()
    @handled
    def context(
        query: Annotated[str | None, typer.Argument(help="What the prompt is about.")] = None,
        budget: Annotated[
            int, bounded_option("--budget", "-b", bounds=TOKENS, help="Token budget.")
        ] = 1500,
        fmt: Annotated[
            str, typer.Option("--format", "-f", help="markdown | xml | json")
        ] = "markdown",
        core: Annotated[
            bool, typer.Option("--core", help="No query: the store's most important knowledge.")
        ] = False,
        scope: ScopeOpt = "",
        as_of: AsOfOpt = None,
        explain: ExplainOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Pack the best material for a query into a token budget, for piping into prompts.

        Summaries come before bodies, each piece keeps its entry id and provenance, nothing
        is cut mid-sentence and the output never exceeds the budget (cl100k_base tokens).
        Exit code 3 when nothing relevant was found (confidence below 0.25).

        \b
        Examples:
          ctx context "jwt refresh" --budget 1500 | llm "how do we rotate tokens?"
          ctx context --core --budget 1000
        """
        _exit(
            reading.context(
                query, budget=budget, fmt=fmt, core=core, scope=scope, as_of=as_of,
                explain=explain, tree=tree, json_out=json_out,
            )
        )  # fmt: skip

    @app.command()
    @handled
    def reindex(
        tokens: Annotated[
            bool, typer.Option(help="Also count the tokens of every packable line.")
        ] = True,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Rebuild the search index in cache/ from the markdown files (never needed for
        correctness: reads refresh it incrementally), then count tokens so `ctx context`
        never has to load the tokenizer.

        \b
        Examples:
          ctx reindex
          ctx reindex --no-tokens --json
        """
        import time

        from ctxtree.cli import render
        from ctxtree.service import recall
        from ctxtree.service.session import open_session

        session = open_session(tree)
        started = time.perf_counter()
        with render.progress("indexing") as advance:
            stats = recall.reindex(session, advance)
        built = time.perf_counter() - started
        counted = 0
        if tokens:
            with render.progress("counting tokens") as advance:
                counted = recall.count_tokens(session, advance)
        total = time.perf_counter() - started
        if json_out:
            emit_json(
                {
                    "entries": stats.added,
                    "invalid": stats.invalid,
                    "index_seconds": round(built, 3),
                    "lines_counted": counted,
                    "seconds": round(total, 3),
                }
            )
        else:
            invalid = f" ({stats.invalid} invalid)" if stats.invalid else ""
            confirm(f"indexed {plural(stats.added, 'entry')}{invalid} in {built:.1f} s")
            if tokens:
                note(f"counted tokens of {plural(counted, 'new line')} in {total - built:.1f} s")
