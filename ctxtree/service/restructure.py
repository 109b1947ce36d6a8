"""Restructuring use cases: merge, supersede, archive, restore and split.

Each is one operation (service/operations.py) run as one commit on the one write path
(service/workspace.py); a plan (service/plans.py) runs the same operations many at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ctxtree.curation import matching
from ctxtree.errors import ConflictError, NotFoundError
from ctxtree.service import operations as ops
from ctxtree.service.session import Session
from ctxtree.service.workspace import Workspace, WriteResult, run
from ctxtree.tree.paths import parse_id


def merge(
    session: Session, src: str, dst: str, reason: str = "", redact: bool = False,
    dry_run: bool = False,
) -> WriteResult:  # fmt: skip
    src, dst = parse_id(src), parse_id(dst)
    return run(
        session, "merge", f"{src} -> {dst}", lambda ws: ops.do_merge(ws, src, dst), (src, dst),
        body=reason, dry_run=dry_run, redact=redact,
    )  # fmt: skip


def supersede(
    session: Session, old: str, new: str, reason: str = "", dry_run: bool = False
) -> WriteResult:
    old, new = parse_id(old), parse_id(new)
    return run(
        session, "supersede", f"{new} supersedes {old}", lambda ws: ops.do_supersede(ws, old, new),
        (old, new), body=reason, dry_run=dry_run,
    )  # fmt: skip


def supersede_matching(
    session: Session, query: str, new: str, reason: str = "", dry_run: bool = False
) -> tuple[matching.Match, WriteResult]:
    """`ctx supersede --matching QUERY --with NEW`: NEW supersedes the one current entry
    QUERY describes (curation/matching.py: rank, then `best`), or nothing when no entry or
    more than one fits (a ConflictError lists the candidates with their scores)."""
    chosen = match_one(session, query, new)
    why = f"matching {query!r}: " + "; ".join(chosen.reasons)
    result = supersede(session, chosen.id, new, "\n".join(filter(None, [reason, why])), dry_run)
    return chosen, result


def match_one(session: Session, query: str, new: str) -> matching.Match:
    """The one current entry (other than `new` and entries already superseded) `query`
    describes, or NotFoundError / ConflictError listing the candidates."""
    new = parse_id(new)
    entries, _bad = session.store.entries()
    retired = {r.target for e in entries for r in e.relations if r.type == "supersedes"}
    pool = [e for e in entries if e.id != new and e.id not in retired]
    request = matching.parse_request(query)
    ranked = matching.rank(request, pool) if request.kind != "nothing" else []
    chosen = matching.best(ranked)
    if chosen is None:
        if not ranked:
            raise NotFoundError(
                f"no current entry matches {query!r}",
                "check the wording with `ctx search`, or pass OLD and NEW ids",
            )
        listed = "; ".join(f"{m.id} ({m.score:.2f})" for m in ranked[:5])
        raise ConflictError(
            f"{query!r} does not single out one entry: {listed}",
            "pass the ids: `ctx supersede OLD NEW`, or describe it more precisely",
        )
    return chosen


def archive(session: Session, raw_id: str, reason: str = "", dry_run: bool = False) -> WriteResult:
    entry_id = parse_id(raw_id)
    return run(
        session, "archive", entry_id, lambda ws: ops.do_archive(ws, entry_id), (entry_id,),
        body=reason, dry_run=dry_run,
    )  # fmt: skip


def restore(session: Session, raw_id: str, reason: str = "", dry_run: bool = False) -> WriteResult:
    entry_id = parse_id(raw_id)
    return run(
        session, "restore", entry_id, lambda ws: ops.do_restore(ws, entry_id), (entry_id,),
        body=reason, dry_run=dry_run,
    )  # fmt: skip


def split(
    session: Session, raw_id: str, headings: Sequence[str], into: Sequence[str],
    reason: str = "", redact: bool = False, dry_run: bool = False,
) -> WriteResult:  # fmt: skip
    entry_id = parse_id(raw_id)
    created: list[str] = []

    def action(ws: Workspace) -> None:
        created.extend(ops.do_split(ws, entry_id, headings, into))

    result = run(
        session, "split", entry_id, action, (entry_id,), body=reason, dry_run=dry_run,
        redact=redact,
    )  # fmt: skip
    return replace(result, ids=(entry_id, *created))
