"""Bringing the index up to date with the markdown files, and the other writes that change
which documents it holds (a maintain pass's restamp, forget).

A refresh compares file stamps (mtime, size) with the rows, inside its write transaction
(rows read before it began may predate another process's build), re-parses the files that
changed and then recomputes what is derived from all documents: the generation (the query
cache's key), the count of valid documents (BM25's N), the superseded ids and the validity
windows, all kept in `meta` so a query never scans the table for them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ctxtree.errors import InvalidEntryError
from ctxtree.retrieval.database import FTS_COLUMNS, write_transaction
from ctxtree.retrieval.tokenize import document, fold, joined
from ctxtree.tree import validity
from ctxtree.tree.store import Store

if TYPE_CHECKING:  # parsing loads only when a file changed, not on every read
    from ctxtree.tree.model import Entry

OVERVIEW = "overview"  # the kind the index gives a folder's context.md
FULL_SCAN_LIMIT = 5_000
FULL_SCAN_SECONDS = 30.0
# Derived from every document: dropped whenever documents go, recomputed by the next refresh.
DERIVED_META = ("valid_docs", "superseded", "windows")

Progress = Callable[[int, int], None]
Stamp = tuple[int, int]  # (mtime_ns, size)


@dataclass(frozen=True)
class RefreshStats:
    """What a refresh did: files indexed anew, reindexed, dropped, and found invalid."""

    added: int
    updated: int
    removed: int
    invalid: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class _Survey:
    """What the files and the rows say, for the part of the store a refresh compares."""

    on_disk: dict[str, tuple[str, str, int, int]]  # relpath: (id, area, mtime_ns, size)
    known: dict[str, tuple[int, int, int]]  # relpath: (rowid, mtime_ns, size)
    folders: dict[str, int]  # every folder's mtime_ns now
    full: bool  # every file was compared

    def stale(self) -> list[str]:
        """Files new or changed since they were indexed, sorted."""
        unknown = (0, -1, -1)
        return sorted(p for p, v in self.on_disk.items() if self.known.get(p, unknown)[1:] != v[2:])

    def gone(self) -> list[str]:
        """Indexed files no longer there."""
        return [p for p in self.known if p not in self.on_disk]


def refresh(
    conn: sqlite3.Connection, store: Store, progress: Progress | None, clear: bool = False
) -> RefreshStats:
    """Bring the index up to date with the files, in one write transaction, the build lock
    held by the caller. With `clear`, the index is emptied first in the same transaction (a
    rebuild that readers never see half done).

    Small stores (under FULL_SCAN_LIMIT entries) compare every file's stamp on every read:
    about 5 ms per 1,000 entries. Larger ones compare folder stamps first (a folder changes
    when a file in it is created, deleted, renamed or atomically replaced, as ctx, git and
    most editors do) and re-stat only the files of changed folders; a full comparison still
    runs when the last one is older than FULL_SCAN_SECONDS x (entries / FULL_SCAN_LIMIT),
    which bounds how long an in-place edit of a big store can go unseen."""
    with write_transaction(conn):
        if clear:
            _clear(conn)
        now = time.time()
        survey = _survey(conn, store, now)
        if survey is None:
            return RefreshStats(0, 0, 0, 0)
        stale, gone = survey.stale(), survey.gone()
        for relpath in gone:
            delete_doc(conn, survey.known[relpath][0])
        added, updated, invalid = _reindex(conn, store, survey, stale, progress)
        _record_folders(conn, survey.folders)
        if survey.full:
            _set_meta(conn, "full_scan", str(now))
        if stale or gone or _meta(conn, "valid_docs") is None:
            _record_derived(conn)
        return RefreshStats(added, updated, len(gone), invalid)


def _clear(conn: sqlite3.Connection) -> None:
    for table in ("docs", "links", "fts", "qcache", "dirs"):
        conn.execute(f"DELETE FROM {table}")
    # Derived counters describe the old contents: without them this is a full pass.
    _drop_meta(conn, (*DERIVED_META, "full_scan"))


def _survey(conn: sqlite3.Connection, store: Store, now: float) -> _Survey | None:
    """The files and rows to compare: only changed folders' while a big store's last full
    comparison is recent (None when no folder changed), else everything."""
    count = valid_count(conn)
    last_full = float(_meta(conn, "full_scan") or 0.0)
    # Big stores pay for a full comparison in proportion to their size, so its interval
    # grows with them: 30 s at 5,000 entries, 10 min at 100,000.
    interval = FULL_SCAN_SECONDS * max(1.0, count / FULL_SCAN_LIMIT)
    if count >= FULL_SCAN_LIMIT and now - last_full < interval:
        return _survey_changed_folders(conn, store)
    folders = store.folder_stamps()  # before the files: a change meanwhile shows next time
    on_disk = {
        relpath: (entry_id, area, mtime, size)
        for area in ("tree", "archive")
        for entry_id, relpath, mtime, size in store.stamps(area)
    }
    known = _known(conn.execute("SELECT rowid, path, mtime_ns, size FROM docs"))
    return _Survey(on_disk, known, folders, full=True)


def _survey_changed_folders(conn: sqlite3.Connection, store: Store) -> _Survey | None:
    known_dirs = dict(conn.execute("SELECT path, mtime_ns FROM dirs").fetchall())
    folders = store.folder_stamps(known_dirs)
    changed = [d for d, m in folders.items() if known_dirs.get(d) != m]
    removed = [d for d in known_dirs if d not in folders]
    if not changed and not removed:
        return None
    on_disk = {
        relpath: (entry_id, area, mtime, size)
        for directory in changed
        for entry_id, relpath, area, mtime, size in store.stamps_in(directory)
    }
    scope = [*changed, *removed]
    marks = ",".join("?" * len(scope))
    known = _known(
        conn.execute(f"SELECT rowid, path, mtime_ns, size FROM docs WHERE dir IN ({marks})", scope)
    )
    return _Survey(on_disk, known, folders, full=False)


def _known(rows: Iterable[Any]) -> dict[str, tuple[int, int, int]]:
    """relpath: (rowid, mtime_ns, size) of `SELECT rowid, path, mtime_ns, size` rows."""
    return {str(path): (int(rowid), int(mtime), int(size)) for rowid, path, mtime, size in rows}


def _reindex(
    conn: sqlite3.Connection,
    store: Store,
    survey: _Survey,
    stale: list[str],
    progress: Progress | None,
) -> tuple[int, int, int]:
    """Parse and insert every stale file (replacing its old rows); (added, updated, invalid).
    The words of the new rows join the typo vocabulary."""
    added = updated = invalid = 0
    terms: set[str] = set()
    for done, relpath in enumerate(stale, start=1):
        entry_id, area, mtime, size = survey.on_disk[relpath]
        if relpath in survey.known:
            delete_doc(conn, survey.known[relpath][0])
            updated += 1
        else:
            added += 1
        invalid += not _insert(conn, store, (entry_id, area, relpath), (mtime, size), terms)
        if progress is not None and (done % 200 == 0 or done == len(stale)):
            progress(done, len(stale))
    conn.executemany("INSERT OR IGNORE INTO vocab(term) VALUES(?)", [(t,) for t in terms])
    return added, updated, invalid


def _record_folders(conn: sqlite3.Connection, folders: dict[str, int]) -> None:
    conn.execute("DELETE FROM dirs")
    conn.executemany("INSERT INTO dirs(path, mtime_ns) VALUES(?, ?)", list(folders.items()))


def _record_derived(conn: sqlite3.Connection) -> None:
    """After the documents changed: a new generation, and the counters kept in meta."""
    bump_generation(conn)
    valid = conn.execute("SELECT count(*) FROM docs WHERE error IS NULL").fetchone()[0]
    _set_meta(conn, "valid_docs", str(valid))
    _set_meta(conn, "superseded", json.dumps(sorted(superseded_now(conn))))
    _set_meta(conn, "windows", json.dumps(windows_now(conn)))


def _insert(
    conn: sqlite3.Connection,
    store: Store,
    where: tuple[str, str, str],
    stamp: Stamp,
    terms: set[str],
) -> bool:
    """Index the file `where` = (id, area, relpath); False when it is not a valid entry (it
    is kept as an error row, which `ctx lint` and `ctx status` report)."""
    entry_id, area, relpath = where
    from ctxtree.tree import frontmatter
    from ctxtree.tree.relations import outgoing

    folder = relpath.rsplit("/", 1)[0]
    try:
        entry = frontmatter.parse(store.read_text(relpath), entry_id, relpath)
        if entry_id.endswith("/"):
            entry = replace(entry, kind=OVERVIEW)
    except InvalidEntryError as exc:
        conn.execute(
            "INSERT INTO docs(id, area, path, dir, mtime_ns, size, error, error_line) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
            (entry_id, area, relpath, folder, *stamp, exc.message, exc.line),
        )
        return False
    except FileNotFoundError:
        return True
    cursor = conn.execute(
        "INSERT INTO docs(id, area, path, dir, mtime_ns, size, title, title_folded, summary,"
        " kind, tags, keywords, importance, maturity, trust, author, created, updated,"
        " valid_from, valid_until, sources, body, stale)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            entry_id, area, relpath, folder, *stamp, entry.title, fold(entry.title).strip(),
            entry.summary, entry.kind, json.dumps(list(entry.tags)),
            json.dumps(list(entry.keywords)), entry.importance, entry.maturity, entry.trust,
            entry.author, entry.created, entry.updated, entry.valid_from, entry.valid_until,
            json.dumps([[s.type, s.ref] for s in entry.sources]), entry.body,
            entry.stale.since if entry.stale else None,
        ),
    )  # fmt: skip
    rowid = cursor.lastrowid
    fields = _fts_fields(entry)
    conn.execute(
        f"INSERT INTO fts(rowid, {', '.join(FTS_COLUMNS)}) VALUES(?, ?, ?, ?, ?, ?, ?)",
        (rowid, *fields),
    )
    conn.executemany(
        "INSERT INTO links(src, dst, type) VALUES(?, ?, ?)",
        [(rowid, r.target, r.type) for r in outgoing(entry)],
    )
    for field_text in fields:
        terms.update(field_text.split())
    return True


def _fts_fields(entry: Entry) -> tuple[str, str, str, str, str, str]:
    """The entry's text for each of FTS_COLUMNS, tokenized as queries are."""
    return (
        document(entry.title),
        document(entry.summary),
        document(" ".join(entry.keywords)),
        joined(" ".join(entry.tags)),
        document(entry.body),
        joined(entry.id.replace("/", " ").replace("-", " ").replace("_", " ")),
    )


def delete_doc(conn: sqlite3.Connection, rowid: int) -> None:
    conn.execute("DELETE FROM docs WHERE rowid = ?", (rowid,))
    conn.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
    conn.execute("DELETE FROM links WHERE src = ?", (rowid,))


# ---- derived values ----------------------------------------------------------------------
def valid_count(conn: sqlite3.Connection) -> int:
    """Valid documents (BM25's N), from meta when a refresh kept it there."""
    kept = _meta(conn, "valid_docs")
    if kept is not None:
        return int(kept)
    return int(conn.execute("SELECT count(*) FROM docs WHERE error IS NULL").fetchone()[0])


def superseded_now(conn: sqlite3.Connection) -> set[str]:
    """Ids some entry of tree/ declares it supersedes, read from the links."""
    return {
        str(r[0])
        for r in conn.execute(
            "SELECT l.dst FROM links l INDEXED BY links_type JOIN docs d ON d.rowid = l.src "
            "WHERE l.type = 'supersedes' AND d.area = 'tree'"
        )
    }


def windows_now(conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """Sorted starts and ends of every readable validity window, read from the documents."""
    return validity.boundaries(
        (f, u)
        for f, u in conn.execute(
            "SELECT valid_from, valid_until FROM docs WHERE error IS NULL "
            "AND (valid_from IS NOT NULL OR valid_until IS NOT NULL)"
        )
    )


def bump_generation(conn: sqlite3.Connection) -> None:
    """The documents changed: answers cached under the old generation no longer apply."""
    conn.execute(
        "INSERT INTO meta(key, value) VALUES('generation', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = value + 1"
    )
    conn.execute("DELETE FROM qcache")


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, value))


def _drop_meta(conn: sqlite3.Connection, keys: Sequence[str]) -> None:
    conn.execute(f"DELETE FROM meta WHERE key IN ({','.join('?' * len(keys))})", list(keys))


# ---- other writes --------------------------------------------------------------------------
def restamp(conn: sqlite3.Connection, rows: Sequence[tuple[str, int, int, float, str]]) -> None:
    """(relpath, mtime_ns, size, importance, maturity) of files whose importance and
    maturity lines `ctx maintain` just rewrote, nothing else: set those columns and the
    new stamps, so the next read does not re-parse every file of a pass (10,000 entries:
    12 s). Rankings change, so the query cache goes."""
    with write_transaction(conn):
        conn.executemany(
            "UPDATE docs SET mtime_ns = ?, size = ?, importance = ?, maturity = ? "
            "WHERE path = ? AND error IS NULL",
            [(mtime, size, imp, mat, path) for path, mtime, size, imp, mat in rows],
        )
        bump_generation(conn)


def forget(conn: sqlite3.Connection, ids: Sequence[str], scrub: bool = False) -> None:
    """Drop every row about `ids` (documents, usage) and the whole query cache. With
    `scrub` (a purge), also rebuild the typo vocabulary without their words and compact
    the file, so no freed page keeps their text."""
    marks = ",".join("?" * len(ids))
    with write_transaction(conn):
        for (rowid,) in conn.execute(
            f"SELECT rowid FROM docs WHERE id IN ({marks})", list(ids)
        ).fetchall():
            delete_doc(conn, int(rowid))
        conn.execute(f"DELETE FROM usage WHERE id IN ({marks})", list(ids))
        bump_generation(conn)
        _drop_meta(conn, DERIVED_META)  # recomputed on the next read
        if scrub:
            conn.execute("DELETE FROM vocab")
            terms: set[str] = set()
            for row in conn.execute(f"SELECT {', '.join(FTS_COLUMNS)} FROM fts"):
                for text in row:
                    terms.update(str(text or "").split())
            conn.executemany("INSERT OR IGNORE INTO vocab(term) VALUES(?)", [(t,) for t in terms])
            conn.execute("INSERT INTO fts(fts) VALUES('optimize')")
    if scrub:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
