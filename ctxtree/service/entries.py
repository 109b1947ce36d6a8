"""Entry use cases: add, edit, move, remove, link, unlink. Each is one operation
(service/operations.py) run as one commit on the one write path (service/workspace.py)."""

from __future__ import annotations

from dataclasses import replace

from ctxtree.hints import Call, Param
from ctxtree.service import operations as ops
from ctxtree.service.drafts import (
    Changes,
    apply_changes,
    check_choice,
    dedup,
    default_trust,
    parse_relation,
    parse_source,
    with_title_heading,
)
from ctxtree.service.session import Session
from ctxtree.service.workspace import WriteResult, dry_diff, run
from ctxtree.tree.model import KINDS, RELATION_TYPES, TRUST_LEVELS, Entry
from ctxtree.tree.paths import parse_id, parse_target

__all__ = [
    "Changes",
    "WriteResult",
    "add",
    "apply_changes",
    "check_choice",
    "dedup",
    "default_trust",
    "dry_diff",
    "edit",
    "link",
    "move",
    "parse_relation",
    "parse_source",
    "remove",
    "replace_text",
    "unlink",
    "with_title_heading",
]


def add(session: Session, draft: Entry, redact: bool = False, dry_run: bool = False) -> WriteResult:
    """Create a new entry; refuses an id in use (in the tree, the archive, or a folder)."""
    entry_id = parse_id(draft.id)
    check_choice(draft.kind, KINDS, Param("kind"))  # named as parameters; the validator checks too
    check_choice(draft.trust, TRUST_LEVELS, Param("trust"))
    hint = ("change it with `", Call("edit", (entry_id,), "edit"), "`, or pick another id")
    sources = [s.render() for s in draft.sources]
    importance = session.config()["lifecycle"]["importance_default"]
    draft = replace(draft, importance=importance)
    return run(
        session, "add", entry_id, lambda ws: ops.do_add(ws, draft, hint), (entry_id,),
        body=draft.title.strip(), sources=sources, dry_run=dry_run, redact=redact,
    )  # fmt: skip


def edit(
    session: Session, raw_id: str, changes: Changes, redact: bool = False, dry_run: bool = False
) -> WriteResult:
    entry_id = parse_id(raw_id)
    sources = [s.render() for s in changes.add_sources]
    return run(
        session, "edit", entry_id, lambda ws: ops.do_edit(ws, entry_id, changes),
        (entry_id,), sources=sources, dry_run=dry_run, redact=redact,
    )  # fmt: skip


def replace_text(
    session: Session, raw_id: str, text: str, redact: bool = False, dry_run: bool = False
) -> WriteResult:
    """Store hand-edited file text (from $EDITOR) after validating it as an entry."""
    entry_id = parse_id(raw_id)
    return run(
        session, "edit", entry_id, lambda ws: ops.do_replace_text(ws, entry_id, text),
        (entry_id,), body="edited in $EDITOR", dry_run=dry_run, redact=redact,
    )  # fmt: skip


def move(session: Session, raw_old: str, raw_new: str, dry_run: bool = False) -> WriteResult:
    """Rename an entry and rewrite every relation and [[link]] that points at it, in one commit."""
    old, new = parse_id(raw_old), parse_id(raw_new)
    return run(
        session, "mv", f"{old} -> {new}", lambda ws: ops.do_move(ws, old, new), (old, new),
        dry_run=dry_run,
    )  # fmt: skip


def remove(
    session: Session, raw_id: str, force: bool = False, dry_run: bool = False
) -> WriteResult:
    """`ctx rm`: delete an entry (refused while others point at it, unless `force`)."""
    entry_id = parse_id(raw_id)
    hint = ("remove those relations first (`", Call("unlink", (), "unlink"), "`), or pass ",
            Param("force", True), " to drop them")  # fmt: skip
    return run(
        session, "rm", entry_id, lambda ws: ops.do_delete(ws, entry_id, force, hint),
        (entry_id,), dry_run=dry_run,
    )  # fmt: skip


def link(
    session: Session, raw_src: str, raw_dst: str, rtype: str, dry_run: bool = False
) -> WriteResult:
    src, dst = parse_id(raw_src), parse_target(raw_dst)
    check_choice(rtype, RELATION_TYPES, Param("type"))
    return run(
        session, "link", f"{src} -{rtype}-> {dst}",
        lambda ws: ops.do_link(ws, src, dst, rtype), (src, dst), dry_run=dry_run,
    )  # fmt: skip


def unlink(
    session: Session, raw_src: str, raw_dst: str, rtype: str | None, dry_run: bool = False
) -> WriteResult:
    src, dst = parse_id(raw_src), parse_target(raw_dst)
    return run(
        session, "unlink", f"{src} -x-> {dst}",
        lambda ws: ops.do_unlink(ws, src, dst, rtype), (src, dst), dry_run=dry_run,
    )  # fmt: skip
