"""Read use cases: show, raw text, listing, related. Kept apart from the write path so read
commands import as little as possible (they run on every agent prompt)."""

from __future__ import annotations

from ctxtree.curation import relations as rel
from ctxtree.errors import InvalidEntryError
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
    """Outgoing relations (declared and inline) then backlinks, each with the other's title.
    Backlinks come from the index's link table, not a scan of every file."""
    from ctxtree.retrieval.index import Index

    entry = session.store.read_entry(parse_id(raw_id))
    index = Index.open(session.store)
    try:
        links = []
        for relation in rel.outgoing(entry):
            doc = index.doc_by_id(relation.target)
            if doc is not None and doc.area == "tree":
                links.append(rel.Link("out", relation.type, relation.target, doc.title, True))
            elif session.store.folder_exists(relation.target):
                links.append(rel.Link("out", relation.type, relation.target, "(folder)", True))
            else:
                links.append(rel.Link("out", relation.type, relation.target, "", False))
        incoming = index.links_to([entry.id])
        docs = index.docs([src for src, _dst, _type in incoming])
        backlinks_found = sorted(
            (docs[src].id, order, rtype)
            for order, (src, _dst, rtype) in enumerate(incoming)
            if src in docs and docs[src].area == "tree" and docs[src].id != entry.id
        )
        titles = {d.id: d.title for d in docs.values()}
        links += [rel.Link("in", rtype, i, titles[i], True) for i, _o, rtype in backlinks_found]
        return links
    finally:
        index.close()


def listing(session: Session, prefix: str) -> tuple[list[EntryRef], list[InvalidEntryError]]:
    """Entries under a prefix with their titles, from the index (refreshed from file stamps
    first), plus the malformed files found there."""
    from ctxtree.retrieval.index import Index

    wanted = parse_prefix(prefix)
    index = Index.open(session.store)
    try:
        refs = [EntryRef(i, t, p) for i, t, p in index.listing(wanted)]
        base = f"tree/{wanted}" if wanted else "tree"
        problems = [
            InvalidEntryError(message, path=path, line=line)
            for path, message, line in index.invalid()
            if path == f"{base}.md" or path.startswith(base + "/")
        ]
        return refs, problems
    finally:
        index.close()
