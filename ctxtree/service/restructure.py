"""Restructuring use cases: merge, supersede, archive, restore and split.

Each is one operation (service/operations.py) run as one commit on the one write path
(service/workspace.py); a plan (service/plans.py) runs the same operations many at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

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
