"""Read use cases: show, raw text, listing, related. Kept apart from the write path so read
commands import as little as possible (they run on every agent prompt)."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ctxtree.errors import InvalidEntryError
from ctxtree.service.session import Session
from ctxtree.tree import frontmatter, validity
from ctxtree.tree import relations as rel
from ctxtree.tree.model import Entry, EntryRef
from ctxtree.tree.paths import entry_relpath, parse_id, parse_prefix

if TYPE_CHECKING:
    from ctxtree.service.asof import AsOf, EntryAt

USED_LOG = "cache/used.log"  # read and reset by service/maintain.py


def record_used(session: Session, raw_id: str) -> None:
    """Note that `ctx show` (or `Memory.get`) read an entry: append `time<TAB>id` to
    cache/used.log, which `ctx maintain` folds into importance. It lives here, not in
    service/maintain.py, because a read must stay fast: this costs about 0.1 ms, importing
    that module about 6 ms. Never fails the read (a read-only store records nothing); the
    flock orders appends against maintain's reset of the file."""
    path = session.store.root / USED_LOG
    line = f"{session.timestamp}\t{parse_id(raw_id)}\n".encode()
    try:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except FileNotFoundError:
            path.parent.mkdir(exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError:
        pass


def backlinks(session: Session, entry_id: str) -> list[Entry]:
    """Entries whose relations or inline links point at `entry_id` (or inside it)."""
    others, _bad = session.store.entries(contains=entry_id)
    return [o for o in others if o.id != entry_id and rel.points_at(o, entry_id)]


def entry_status(
    path: str, superseded_by: tuple[str, ...], entry: Entry, when: str
) -> str:  # fmt: skip
    """archived, superseded, expired or not_yet_valid (at the UTC instant `when`), else
    current: the statuses search gives its hits."""
    if path.startswith("archive/"):
        return "archived"
    if superseded_by:
        return "superseded"
    return validity.state(entry.valid_from, entry.valid_until, when)


@dataclass(frozen=True)
class Shown:
    """An entry with where it was read from and its standing: what `ctx show` prints."""

    entry: Entry
    path: str
    status: str
    superseded_by: tuple[str, ...] = ()
    origin: AsOf | None = None  # set for --as-of reads

    def status_line(self) -> str:
        """'' for a current entry, else why default search leaves it out."""
        if self.status == "archived":
            return "archived (restore it with `ctx restore`)"
        if self.status == "superseded":
            return "superseded by " + ", ".join(self.superseded_by)
        if self.status == "expired":
            return f"expired: valid until {self.entry.valid_until}"
        if self.status == "not_yet_valid":
            return f"not yet valid: valid from {self.entry.valid_from}"
        return ""

    def to_json(self) -> dict[str, Any]:
        data = self.entry.to_json()
        data.update(path=self.path, status=self.status, superseded_by=list(self.superseded_by))
        if self.origin is not None:
            data.update(self.origin.to_json())
        return data


def show(session: Session, raw_id: str, as_of: str | None = None) -> Shown:
    """An entry (current, or archived) and its status now; with `as_of` (a DATE), its file
    and status as the store stood then."""
    entry_id = parse_id(raw_id)
    if as_of is not None:
        found = at_date(session, entry_id, as_of)
        entry = frontmatter.parse(found.text, found.entry_id, found.path)
        status = entry_status(found.path, found.superseded_by, entry, found.origin.as_of)
        return Shown(entry, found.path, status, found.superseded_by, found.origin)
    path, archived = entry_relpath(entry_id), f"archive/{entry_id}.md"
    store = session.store
    if not store.path(path).is_file() and store.path(archived).is_file():
        path = archived
        entry = frontmatter.parse(store.read_text(path), entry_id, path)
    else:
        entry = store.read_entry(entry_id)  # raises the not-found error
    by = _superseded_by(session, entry_id) if path.startswith("tree/") else ()
    return Shown(entry, path, entry_status(path, by, entry, validity.iso(session.now)), by)


def at_date(session: Session, raw_id: str, as_of: str) -> EntryAt:
    """An entry's file as the store stood at DATE (see service.asof)."""
    from ctxtree.service import asof

    return asof.entry_at(session, parse_id(raw_id), asof.parse_date(as_of))


def _superseded_by(session: Session, entry_id: str) -> tuple[str, ...]:
    """Current entries that declare they supersede `entry_id` (from the index's link table)."""
    from ctxtree.retrieval.index import Index

    index = Index.open(session.store, throttle=session.throttle)
    try:
        links = [src for src, _dst, rtype in index.links_to([entry_id]) if rtype == "supersedes"]
        docs = index.docs(links).values()
        return tuple(sorted({d.id for d in docs if d.area == "tree" and d.id != entry_id}))
    finally:
        index.close()


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
    index = Index.open(session.store, throttle=session.throttle)
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
    index = Index.open(session.store, throttle=session.throttle)
    try:
        refs = [EntryRef(i, t, p) for i, t, p in index.listing(wanted)]
        base = f"tree/{wanted}" if wanted else "tree"
        problems = [
            InvalidEntryError(message, path=path, line=line)
            for path, message, line in index.invalid()
            if path == f"{base}.md" or path.startswith(base + "/")
        ]
    finally:
        index.close()
    store = session.store
    if wanted and not refs and not problems and not store.folder_exists(wanted):
        # A prefix naming nothing is a mistake (`ctx ls auth/jw`), not an empty folder.
        from ctxtree.tree.suggestions import missing_prefix

        raise missing_prefix(store, wanted)
    return refs, problems
