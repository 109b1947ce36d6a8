"""The bodies of `ctx search` and `ctx context`, free of typer: the typer commands
(cli/read_cmds.py) and the fast path (cli/fastpath.py) both run them. Each returns its exit
code; errors propagate to the caller's handler (cli/failures.py)."""

from __future__ import annotations

import sys

from ctxtree.cli.output import emit_json, note, out
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


def search(
    query: str,
    *,
    limit: int,
    scope: str,
    kind: str,
    superseded: bool,
    archived: bool,
    as_of: str | None,
    explain: bool,
    tree: str | None,
    json_out: bool,
) -> int:
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
    return 0 if result.confident else NOT_CONFIDENT


def context(
    query: str | None,
    *,
    budget: int,
    fmt: str,
    core: bool,
    scope: str,
    as_of: str | None,
    explain: bool,
    tree: str | None,
    json_out: bool,
) -> int:
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
        lines = result.retrieval.explain if result.retrieval else ["core: by maturity, importance"]
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
    return NOT_CONFIDENT if result.not_in_memory or not result.ids else 0
