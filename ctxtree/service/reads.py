"""Read use cases: show, raw text, listing, related. Kept apart from the write path so read
commands import as little as possible (they run on every agent prompt)."""

from __future__ import annotations

from ctxtree.curation import relations as rel
from ctxtree.errors import InvalidEntryError, NotFoundError
from ctxtree.service.session import Session
from ctxtree.tree.model import Entry, EntryRef
from ctxtree.tree.paths import entry_relpath, parse_id, parse_prefix


def backlinks(session: Session, entry_id: str) -> list[Entry]:
    """Entries whose relations or inline links point at `entry_id` (or inside it)."""
    others, _bad = session.store.entries(contains=entry_id)
    return [o for o in others if o.id != entry_id and rel.points_at(o, entry_id)]


def show(session: Session, raw_id: str) -> Entry:
    return session.store.read_entry(parse_id(raw_id))


def raw_text(session: Session, raw_id: str) -> str:
    entry_id = parse_id(raw_id)
    if not session.store.exists(entry_id):
        session.store.read_entry(entry_id)  # raises the not-found error
    return session.store.read_text(entry_relpath(entry_id))


def related(session: Session, raw_id: str) -> list[rel.Link]:
    """Outgoing relations (declared and inline) then backlinks, each with the other's title."""
    entry = session.store.read_entry(parse_id(raw_id))
    titles: dict[str, str] = {}

    def title(target: str) -> tuple[str, bool]:
        if target not in titles:
            try:
                titles[target] = session.store.read_entry(target).title
            except (NotFoundError, InvalidEntryError):
                folder = session.store.folder_exists(target)
                titles[target] = "(folder)" if folder else ""
        return titles[target], bool(titles[target])

    links = []
    for relation in rel.outgoing(entry):
        name, exists = title(relation.target)
        links.append(rel.Link("out", relation.type, relation.target, name, exists))
    for other in backlinks(session, entry.id):
        for relation in rel.outgoing(other):
            if relation.target == entry.id or relation.target.startswith(entry.id + "/"):
                links.append(rel.Link("in", relation.type, other.id, other.title, True))
    return links


def listing(session: Session, prefix: str) -> tuple[list[EntryRef], list[InvalidEntryError]]:
    return session.store.refs(parse_prefix(prefix))
