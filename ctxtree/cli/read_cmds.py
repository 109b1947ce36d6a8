"""Read commands over the index: search, context, reindex."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

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
from ctxtree.cli.output import confirm, emit_json, note, out
from ctxtree.errors import ExitCode
from ctxtree.wording import plural

NOT_CONFIDENT = int(ExitCode.NOT_FOUND)
BROAD_NOTE = (
    "broad request: the words name folders, not what entries say; these are those folders' "
    "most important entries (ask about something in them for matches)"
)


def _explain(lines: list[str], extra: str) -> None:
    for line in lines:
        note(f"explain: {line}")
    note(f"explain: {extra}")


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
        from ctxtree.retrieval.enclosure import Enclosure, one_line
        from ctxtree.service import recall
        from ctxtree.service.session import open_session

        found = recall.search(
            open_session(tree), query, limit, scope, kind, superseded, archived, as_of
        )
        result = found.retrieval
        if json_out:
            emit_json(found.to_json())
        else:
            if found.origin is not None:
                note(found.origin.note())
            fence = Enclosure.fresh()
            width = max((len(h.id) for h in result.hits), default=0)
            for rank, hit in enumerate(result.hits, start=1):
                flag = "" if hit.status == "current" else f" [{hit.status}]"
                flag += " [stale]" if hit.stale else ""
                # Labelled: the per-hit ranking score is not the query's confidence.
                lead = f"{rank:>2}. {hit.id.ljust(width)}  score={hit.score:.2f}  "
                if hit.trust == "external":  # its title and snippet are data: enclosed
                    out(f"{lead}[external]{flag}")
                    for line in fence.wrap(
                        [f"title: {hit.title}", hit.snippet][: 2 if hit.snippet else 1]
                    ):
                        out(f"    {line}")
                    continue
                out(f"{lead}{one_line(hit.title)}{flag}")
                if hit.snippet:
                    out(f"    {one_line(hit.snippet)}")
            verdict = (
                "probably not in memory" if result.not_in_memory
                else "confident" if result.confident else "low confidence"
            )  # fmt: skip
            note(
                f"{plural(len(result.hits), 'hit')} in {result.elapsed_ms:.1f} ms, "
                f"tier {result.tier}, "
                f"confidence {result.confidence:.2f} that the first hit answers ({verdict})"
            )
            if result.broad:
                note(BROAD_NOTE)
            elif result.not_in_memory and result.hits:
                note(
                    "the hits above share only part of the query; if the answer is not among "
                    "them, add it with `ctx add`"
                )
            elif result.not_in_memory:
                note("nothing relevant in memory; add what you learn with `ctx add`")
        if explain:
            _explain(result.explain, f"elapsed {result.elapsed_ms:.1f} ms, no LLM, 0 tokens")
        if not result.confident:
            raise typer.Exit(NOT_CONFIDENT)

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
        from ctxtree.errors import UsageError
        from ctxtree.service import recall
        from ctxtree.service.session import open_session

        if core == (query is not None):
            raise UsageError("give a QUERY or --core (not both)", 'e.g. ctx context "jwt refresh"')
        session = open_session(tree)
        if core:
            result = recall.core_context(session, budget, fmt, as_of=as_of)
        else:
            result = recall.context(session, query or "", budget, fmt, scope, as_of=as_of)
        if result.origin is not None and not json_out:
            note(result.origin.note())
        if json_out:
            emit_json(result.to_json())
        elif result.text:
            sys.stdout.write(result.text if result.text.endswith("\n") else result.text + "\n")
        if explain:
            lines = (
                result.retrieval.explain if result.retrieval else ["core: by maturity, importance"]
            )
            if result.origin is not None and result.retrieval is None:
                lines = [result.origin.explain(), *lines]
            _explain(
                lines,
                f"packed {plural(len(result.ids), 'entry')} in {result.tokens}/{budget} tokens"
                + ("; loaded the tokenizer for uncounted text" if result.encoding_loaded else ""),
            )
        if result.retrieval is not None and result.retrieval.broad and result.ids and not json_out:
            note(BROAD_NOTE)
        if not result.ids and not json_out:
            note("nothing packed: " + ("nothing relevant in memory" if result.not_in_memory
                                       else "the budget is too small for any entry"))  # fmt: skip
        # Context packs several entries, so a close race for first place is no failure:
        # only "not in memory" (or nothing packed) is.
        if result.not_in_memory or not result.ids:
            raise typer.Exit(NOT_CONFIDENT)

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
