"""The review inbox (SPEC §8): writes of external content held until someone accepts them.

Routing happens in the write path (`Workspace.submit`), so every front end holds the same
writes. Here are the reviewer's use cases: list, show, accept (the proposed entry lands in the
tree with its own author, trust and sources; the commit names who accepted it), reject (the
item is removed; history keeps it). Each accept or reject is one commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ctxtree.errors import ConflictError, NotFoundError, UsageError
from ctxtree.service.session import Session
from ctxtree.service.workspace import Workspace, WriteResult, archive_relpath, run
from ctxtree.tree import frontmatter, inbox
from ctxtree.tree.paths import entry_relpath, parse_id
from ctxtree.tree.store import decode_text
from ctxtree.wording import did_you_mean, plural

LIST_HINT = "list the inbox with `ctx review list`"


@dataclass(frozen=True)
class Item:
    proposal: inbox.Proposal
    conflict: str = ""  # why accepting it would be refused now; "" when it would land
    diff: str = ""  # `show`: the change it makes to the entry in the tree

    def to_json(self) -> dict[str, object]:
        p = self.proposal
        return {
            "id": p.id,
            "op": p.op,
            "title": p.entry.title,
            "author": p.entry.author,
            "trust": p.entry.trust,
            "sources": [s.render() for s in p.entry.sources],
            "proposed_by": p.proposed_by,
            "proposed_at": p.proposed_at,
            "base": p.base,
            "conflict": self.conflict,
        }


def item_ids(session: Session) -> list[str]:
    found = (inbox.item_id(path) for path in session.store.files_under("", area=inbox.AREA))
    return sorted(x for x in found if x)


def _read(session: Session, raw_id: str) -> inbox.Proposal:
    entry_id = parse_id(raw_id)
    relpath = inbox.relpath(entry_id)
    text = _stored(session)(relpath)
    if text is None:
        hint = did_you_mean(entry_id, item_ids(session), LIST_HINT)
        raise NotFoundError(f"no review inbox item {entry_id!r}", hint)
    return inbox.parse(text, relpath)


Reader = Callable[[str], "str | None"]


def conflict(read: Reader, folder_exists: Callable[[str], bool], proposal: inbox.Proposal) -> str:
    """Why `proposal` cannot land as it stands, or "": an added id taken since, an updated
    entry changed (or gone) since the proposal was made against it. `read` gives a store
    file's text as the write would see it."""
    entry_id = proposal.id
    if proposal.op == "add":
        relpaths = (entry_relpath(entry_id), archive_relpath(entry_id))
        taken = any(read(x) is not None for x in relpaths) or folder_exists(entry_id)
        return f"{entry_id!r} was created since this was proposed" if taken else ""
    now = inbox.digest(read(entry_relpath(entry_id)))
    if now is None:
        return f"{entry_id!r} is no longer in the tree (moved, archived or removed since)"
    if now != proposal.base:
        return f"{entry_id!r} changed since this update was proposed"
    return ""


def _stored(session: Session) -> Reader:
    def read(relpath: str) -> str | None:
        data = session.store.read_bytes(relpath)
        return None if data is None else decode_text(data, relpath)

    return read


def listing(session: Session) -> list[Item]:
    """Every pending item, by id, with whether it could be accepted now."""
    read, folders = _stored(session), session.store.folder_exists
    found = [_read(session, entry_id) for entry_id in item_ids(session)]
    return [Item(p, conflict(read, folders, p)) for p in found]


def show(session: Session, entry_id: str) -> Item:
    """One item, with the diff it would make to the tree."""
    import difflib

    proposal = _read(session, entry_id)
    read = _stored(session)
    why = conflict(read, session.store.folder_exists, proposal)
    relpath = entry_relpath(proposal.id)
    before = read(relpath) or ""
    after = frontmatter.serialize(proposal.entry)
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"a/{relpath}" if before else "/dev/null",
        f"b/{relpath}",
    )
    return Item(proposal, why, "".join(x if x.endswith("\n") else x + "\n" for x in lines))


def _chosen(session: Session, ids: Sequence[str], every: bool) -> list[str]:
    if every and ids:
        raise UsageError("name items or pass --all, not both", "")
    if not every and not ids:
        raise UsageError("name the items to review", "pass their ids, or --all")
    if every:
        return item_ids(session)
    # a missing one is named before anything is written
    return list(dict.fromkeys(_read(session, raw_id).id for raw_id in ids))


def accept(
    session: Session, ids: Sequence[str], every: bool = False, dry_run: bool = False
) -> WriteResult:
    """Move the items into the tree as one commit: each entry as proposed (author, trust,
    sources kept), validated again; refused when one conflicts (exit 4) or relates to an item
    left waiting. Items relating to each other are accepted in an order that works."""
    chosen = _chosen(session, ids, every)

    def action(ws: Workspace) -> None:
        proposals = [ws.proposal(entry_id) for entry_id in chosen]
        pending = [p for p in proposals if p is not None]
        for proposal in pending:
            why = conflict(ws.tx.read, ws.folder_exists, proposal)
            if why:
                raise ConflictError(
                    f"cannot accept {proposal.id!r}: {why}",
                    f"see it with `ctx review show {proposal.id}`; reject it, or propose it again",
                )
        while pending:
            waiting: list[inbox.Proposal] = []
            failure: NotFoundError | None = None
            for proposal in pending:
                try:
                    ws.put(proposal.entry)
                except NotFoundError as exc:  # a relation to an item accepted later here
                    waiting.append(proposal)
                    failure = failure or exc
                    continue
                ws.tx.delete(inbox.relpath(proposal.id))
            if failure is not None and len(waiting) == len(pending):
                raise _unaccepted(ws, waiting[0], failure)
            pending = waiting

    if not chosen:
        return WriteResult("accept", (), None, message="the review inbox is empty")
    return run(
        session,
        "accept",
        f"accepted {_named(chosen)} from the review inbox",
        action,
        tuple(chosen),
        body="\n".join(_provenance(session, chosen)),
        sources=[f"inbox:{entry_id}" for entry_id in chosen],
        dry_run=dry_run,
    )


def _unaccepted(ws: Workspace, proposal: inbox.Proposal, failure: NotFoundError) -> NotFoundError:
    held = [r.target for r in proposal.entry.relations if ws.proposal(r.target) is not None]
    if not held:
        return failure
    return NotFoundError(
        f"{proposal.id!r} relates to {held[0]!r}, which waits in the review inbox",
        f"accept both: `ctx review accept {proposal.id} {held[0]}`",
    )


def _provenance(session: Session, chosen: Sequence[str]) -> list[str]:
    lines = []
    for entry_id in chosen:
        p = _read(session, entry_id)
        lines.append(
            f"{p.op.upper()} {entry_id}: proposed by {p.proposed_by} at {p.proposed_at}, "
            f"author {p.entry.author}, trust {p.entry.trust}"
        )
    return lines


def _named(ids: Sequence[str]) -> str:
    return ids[0] if len(ids) == 1 else plural(len(ids), "item")


def reject(
    session: Session,
    ids: Sequence[str],
    every: bool = False,
    reason: str = "",
    dry_run: bool = False,
) -> WriteResult:
    """Remove the items as one commit (history keeps what they proposed); `reason` goes
    into the commit message."""
    chosen = _chosen(session, ids, every)

    def action(ws: Workspace) -> None:
        for entry_id in chosen:
            ws.tx.delete(inbox.relpath(entry_id))

    if not chosen:
        return WriteResult("reject", (), None, message="the review inbox is empty")
    return run(
        session,
        "reject",
        f"rejected {_named(chosen)} from the review inbox",
        action,
        tuple(chosen),
        body="\n".join([f"Reason: {reason.strip()}" if reason.strip() else "", *chosen]),
        sources=[f"inbox:{entry_id}" for entry_id in chosen],
        dry_run=dry_run,
    )
