"""Entry use cases: add, edit, move, remove, link, unlink. Each is one operation
(service/operations.py) run as one commit on the one write path (service/workspace.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ctxtree.errors import InvalidEntryError, NotFoundError, UsageError
from ctxtree.hints import Call, Param
from ctxtree.service import operations as ops
from ctxtree.service.drafts import (
    Changes,
    apply_changes,
    check_choice,
    dedup,
    default_trust,
    parse_folder,
    parse_relation,
    parse_source,
    with_title_heading,
)
from ctxtree.service.session import Session
from ctxtree.service.workspace import WriteResult, dry_diff, run
from ctxtree.tree.model import KINDS, RELATION_TYPES, TRUST_LEVELS, Entry
from ctxtree.tree.paths import id_from_relpath, parse_id, parse_target

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
    "folder_listing",
    "link",
    "move",
    "parse_relation",
    "parse_source",
    "remove",
    "remove_folder",
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
    importance = session.settings.lifecycle.importance_default
    draft = replace(draft, importance=importance)
    return run(
        session, "add", entry_id, lambda ws: ops.do_add(ws, draft, hint), (entry_id,),
        body=draft.title.strip(), sources=sources, dry_run=dry_run, redact=redact,
    )  # fmt: skip


def edit(
    session: Session,
    raw_id: str,
    changes: Changes,
    redact: bool = False,
    dry_run: bool = False,
    allow_loss: bool = False,
) -> WriteResult:
    """Change an entry's fields. A new body that drops facts (or anything dropping
    relations or sources) is refused with LossError unless `allow_loss`, by the rule plans
    follow; `Changes.append_body` adds text without replacing."""
    if changes.body is not None and changes.append_body is not None:
        raise UsageError(
            (Param("body"), " and ", Param("append_body"), " are exclusive"),
            (Param("body"), " replaces the body, ", Param("append_body"),
             " adds to it: pass one of them"),
        )  # fmt: skip
    entry_id = parse_id(raw_id)
    sources = [s.render() for s in changes.add_sources]
    return run(
        session, "edit", entry_id, lambda ws: ops.do_edit(ws, entry_id, changes, allow_loss),
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


RM_HINT = ("remove those relations first (`", Call("unlink", (), "unlink"), "`), or pass ",
           Param("force", True), " to drop them")  # fmt: skip


def remove(
    session: Session, raw_id: str, force: bool = False, dry_run: bool = False
) -> WriteResult:
    """`ctx rm`: delete an entry (refused while others point at it, unless `force`)."""
    refuse_folder(session, raw_id, "rm")
    entry_id = parse_id(raw_id)
    return run(
        session, "rm", entry_id, lambda ws: ops.do_delete(ws, entry_id, force, RM_HINT),
        (entry_id,), dry_run=dry_run,
    )  # fmt: skip


@dataclass(frozen=True)
class FolderListing:
    """What removing a folder would take: every file under it, store-relative."""

    folder: str
    files: tuple[str, ...]

    @property
    def entries(self) -> tuple[str, ...]:
        return tuple(i for f in self.files if (i := id_from_relpath(f)) is not None)

    @property
    def others(self) -> tuple[str, ...]:
        """Overviews (context.md), summaries (_index.md) and any other file."""
        return tuple(f for f in self.files if id_from_relpath(f) is None)

    def to_json(self) -> dict[str, object]:
        return {"folder": self.folder, "entries": list(self.entries), "files": list(self.files)}


def refuse_folder(session: Session, raw: str, command: str) -> None:
    """A folder given where an entry is expected: say how to take the whole folder."""
    folder = parse_folder(raw) if is_folder(session, raw) else ""
    if folder and not session.store.exists(folder):
        count = len(folder_listing(session, folder).entries)
        raise UsageError(
            f"{folder!r} is a folder ({count} entr{'y' if count == 1 else 'ies'})",
            f"{command} it with everything in it: `ctx {command} {folder} --recursive`",
        )


def is_folder(session: Session, raw: str) -> bool:
    try:
        return session.store.folder_exists(parse_folder(raw))
    except InvalidEntryError:
        return False


def folder_listing(session: Session, raw: str, areas: tuple[str, ...] = ("tree",)) -> FolderListing:
    """The files under a folder in `areas` (tree/, and archive/ for `forget`)."""
    folder = parse_folder(raw)
    files = [f for area in areas for f in session.store.files_under(folder, area)]
    if not files:
        raise NotFoundError(f"no folder {folder!r}", "list folders with `ctx tree`")
    return FolderListing(folder, tuple(sorted(files)))


def remove_folder(
    session: Session,
    raw: str,
    force: bool = False,
    dry_run: bool = False,
    expected: FolderListing | None = None,
) -> WriteResult:
    """`ctx rm FOLDER --recursive`: delete every entry under a folder and its overviews and
    summaries, in one commit (refused while entries outside point into it, unless `force`).
    `expected` is the listing the user confirmed: the removal is refused if it changed."""
    folder = parse_folder(raw)
    listing = expected or folder_listing(session, folder)
    files = list(expected.files) if expected is not None else None
    result = run(
        session, "rm", f"{folder}/ ({len(listing.entries)} entries)",
        lambda ws: ops.do_delete_folder(ws, folder, force, RM_HINT, files), (folder,),
        body="\n".join(listing.files), dry_run=dry_run,
    )  # fmt: skip
    return replace(result, ids=(folder, *listing.entries))


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
