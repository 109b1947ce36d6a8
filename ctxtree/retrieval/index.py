"""The derived search index: SQLite (stdlib) with FTS5, in the store's cache/.

Everything here can be rebuilt from the markdown files: a missing, truncated or corrupt
database is deleted and rebuilt. Before every read the index refreshes itself by comparing file
stamps (mtime, size) with what it holds, so hand edits are found without `ctx reindex`.

Concurrency: any number of processes may open the index at once (ten hook processes on a
fresh cache, say). Opening, refreshing and rebuilding hold `cache/index.lock` (a flock), so one
process builds while the others wait for it and then find the work done, and a damaged file
is only ever deleted by the process holding the lock. Each refresh compares the files with
the index inside its write transaction, never with rows read before another build committed.
Reads after opening take no lock (SQLite WAL: readers see the last committed state).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ctxtree.errors import ConflictError, InvalidEntryError, StoreError
from ctxtree.retrieval.tokenize import fold, joined
from ctxtree.tree import frontmatter, validity
from ctxtree.tree.lock import write_lock
from ctxtree.tree.model import Entry
from ctxtree.tree.relations import outgoing
from ctxtree.tree.store import Store

SCHEMA = 6
DB_NAME = "index.sqlite"
LOCK_NAME = "index.lock"
# A first build of a big store takes a while (10,000 entries: ~12 s here); waiters wait for it.
BUILD_WAIT_SECONDS = 300.0
BUSY_SECONDS = 30.0  # SQLite's own wait for a write transaction of another process

# FTS5 column order; weights live in scoring.FIELD_WEIGHTS in the same order.
FTS_COLUMNS = ("title", "summary", "keywords", "tags", "body", "path")

_DDL = f"""
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS docs(
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL, area TEXT NOT NULL, path TEXT NOT NULL UNIQUE, dir TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
    title TEXT, title_folded TEXT, summary TEXT, kind TEXT, tags TEXT, keywords TEXT,
    importance REAL, maturity TEXT, trust TEXT, author TEXT,
    created TEXT, updated TEXT, valid_from TEXT, valid_until TEXT,
    sources TEXT, body TEXT, error TEXT, error_line INTEGER
);
CREATE INDEX IF NOT EXISTS docs_id ON docs(id);
CREATE INDEX IF NOT EXISTS docs_title ON docs(title_folded);
CREATE TABLE IF NOT EXISTS links(src INTEGER NOT NULL, dst TEXT NOT NULL, type TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS links_src ON links(src);
CREATE INDEX IF NOT EXISTS links_dst ON links(dst);
CREATE INDEX IF NOT EXISTS links_type ON links(type);
CREATE TABLE IF NOT EXISTS dirs(path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens(hash TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS qcache(key TEXT PRIMARY KEY, value TEXT NOT NULL, at INTEGER);
CREATE TABLE IF NOT EXISTS usage(
    id TEXT PRIMARY KEY, returned INTEGER NOT NULL DEFAULT 0, last_access TEXT, last_used TEXT
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    {", ".join(FTS_COLUMNS)}, tokenize = 'porter unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS vocab(term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS docs_dir ON docs(dir);
"""


@dataclass(frozen=True)
class Doc:
    """One indexed entry, as ranking and packing see it."""

    rowid: int
    id: str
    area: str
    title: str
    summary: str
    kind: str
    tags: tuple[str, ...]
    keywords: tuple[str, ...]
    importance: float
    maturity: str
    trust: str
    author: str
    created: str
    updated: str
    valid_from: str | None
    valid_until: str | None
    sources: tuple[tuple[str, str], ...]
    body: str


@dataclass(frozen=True)
class RefreshStats:
    added: int
    updated: int
    removed: int
    invalid: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


Progress = Callable[[int, int], None]

OVERVIEW = "overview"  # the kind the index gives a folder's context.md
FULL_SCAN_LIMIT = 5_000
FULL_SCAN_SECONDS = 30.0


def _dir(relpath: str) -> str:
    return relpath.rsplit("/", 1)[0]


_DOC_COLUMNS = (
    "rowid, id, area, title, summary, kind, tags, keywords, importance, maturity, trust, "
    "author, created, updated, valid_from, valid_until, sources, body"
)


def _row_to_doc(row: Sequence[object]) -> Doc:
    (rowid, id_, area, title, summary, kind, tags, keywords, importance, maturity, trust,
     author, created, updated, valid_from, valid_until, sources, body) = row  # fmt: skip
    return Doc(
        rowid=int(rowid),  # type: ignore[call-overload]
        id=str(id_),
        area=str(area),
        title=str(title or ""),
        summary=str(summary or ""),
        kind=str(kind or "note"),
        tags=tuple(json.loads(str(tags or "[]"))),
        keywords=tuple(json.loads(str(keywords or "[]"))),
        importance=float(importance or 0),  # type: ignore[arg-type]
        maturity=str(maturity or "draft"),
        trust=str(trust or "user"),
        author=str(author or ""),
        created=str(created or ""),
        updated=str(updated or ""),
        valid_from=str(valid_from) if valid_from else None,
        valid_until=str(valid_until) if valid_until else None,
        sources=tuple((str(a), str(b)) for a, b in json.loads(str(sources or "[]"))),
        body=str(body or ""),
    )


class IndexDamaged(StoreError):
    """SQLite found the index file damaged while reading it."""


class _Cursor(sqlite3.Cursor):
    """Rows are read lazily, so damage can surface while iterating, not only in execute."""

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.DatabaseError as exc:
            _on_error(self.connection, exc)
            raise

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as exc:
            _on_error(self.connection, exc)
            raise

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as exc:
            _on_error(self.connection, exc)
            raise


class _Connection(sqlite3.Connection):
    """A connection whose corruption errors become IndexDamaged (see `_on_error`)."""

    path: Path
    building = False  # True while this process holds the build lock for it

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        try:
            return self.cursor(_Cursor).execute(sql, parameters)
        except sqlite3.DatabaseError as exc:
            _on_error(self, exc)
            raise

    def executemany(self, sql: str, parameters: Any, /) -> _Cursor:
        try:
            return self.cursor(_Cursor).executemany(sql, parameters)
        except sqlite3.DatabaseError as exc:
            _on_error(self, exc)
            raise

    def executescript(self, script: str, /) -> _Cursor:
        try:
            cursor = self.cursor(_Cursor)
            cursor.executescript(script)
            return cursor
        except sqlite3.DatabaseError as exc:
            _on_error(self, exc)
            raise


def _on_error(conn: sqlite3.Connection, exc: sqlite3.DatabaseError) -> None:
    """Turn SQLite's "malformed"/"not a database" into IndexDamaged. Opening, refreshing and
    rebuilding (the build lock held) catch it and rebuild at once; met later, in a query,
    the file is deleted here so that the next command rebuilds it, and the error says so."""
    name = str(getattr(exc, "sqlite_errorname", ""))
    if not (name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB"):
        return
    if not isinstance(conn, _Connection):
        return
    if conn.building:
        raise IndexDamaged(str(exc)) from None
    with _build_lock(conn.path):
        _discard(conn.path, exc)
    raise IndexDamaged(
        f"the search index {conn.path} was damaged ({exc}) and has been deleted",
        "run the command again: the index is rebuilt from the markdown files, nothing is lost",
    ) from None


class Index:
    """An open index on one store. Use `Index.open(store)`; it refreshes on open."""

    def __init__(self, store: Store, conn: _Connection) -> None:
        self.store = store
        self.conn = conn
        self._new_terms: set[str] = set()

    # ---- opening -------------------------------------------------------------------------
    @staticmethod
    def path_for(store: Store) -> Path:
        return store.root / "cache" / DB_NAME

    @classmethod
    def open(cls, store: Store, progress: Progress | None = None, refresh: bool = True) -> Index:
        """Open (creating or rebuilding as needed) and bring up to date with the files."""
        path = cls.path_for(store)
        path.parent.mkdir(parents=True, exist_ok=True)
        with _build_lock(path):
            try:
                return cls._opened(store, path, progress, refresh)
            except (sqlite3.DatabaseError, IndexDamaged) as exc:
                _discard(path, exc)  # a damaged cache is only a cost: rebuilt from the files
            try:
                return cls._opened(store, path, progress, refresh)
            except (sqlite3.Error, IndexDamaged) as exc:
                _discard(path, exc)
                raise StoreError(
                    f"cannot use the search index {path}: {exc}",
                    f"check that {path.parent} is writable; it holds only derived data",
                ) from None

    @classmethod
    def _opened(cls, store: Store, path: Path, progress: Progress | None, refresh: bool) -> Index:
        index = cls(store, cls._connect(path))
        try:
            index.conn.building = True
            if refresh:
                index._refresh(progress)
            index.conn.building = False
        except BaseException:
            index.close()
            raise
        return index

    @staticmethod
    def _connect(path: Path) -> _Connection:
        damage = _damage(path)
        if damage:
            raise sqlite3.DatabaseError(damage)
        conn = _connection(path)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA):
                conn.close()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                conn = _connection(path)
            if version != SCHEMA:
                conn.executescript(_DDL)
                conn.execute(f"PRAGMA user_version={SCHEMA}")
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        self.conn.close()

    # ---- refreshing ----------------------------------------------------------------------
    def generation(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def refresh(self, progress: Progress | None = None) -> RefreshStats:
        """Bring the index up to date with the files.

        Small stores (under FULL_SCAN_LIMIT entries) compare every file's stamp (mtime,
        size) on every read: about 5 ms per 1,000 entries. Larger ones compare folder
        stamps first (cheap: a folder changes when a file in it is created, deleted,
        renamed or atomically replaced, as ctx, git and most editors do) and re-stat only
        the files of changed folders; a full comparison still runs when the last one is
        older than FULL_SCAN_SECONDS x (entries / FULL_SCAN_LIMIT), which bounds how long an
        in-place edit of a big store can go unseen. `ctx reindex` rebuilds everything.
        """
        with _build_lock(self.path_for(self.store)):
            self.conn.building = True
            try:
                return self._refresh(progress)
            finally:
                self.conn.building = False

    def _refresh(self, progress: Progress | None = None, clear: bool = False) -> RefreshStats:
        """`refresh`, the build lock held. The files are compared with the index inside the
        write transaction: rows read before it began may predate another process's build.
        With `clear`, the index is emptied first, in the same transaction (a rebuild that
        readers never see half done)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            if clear:
                for table in ("docs", "links", "fts", "qcache", "dirs"):
                    self.conn.execute(f"DELETE FROM {table}")
                # Derived counters describe the old contents: without them this is a full pass.
                self.conn.execute(
                    "DELETE FROM meta WHERE key IN "
                    "('valid_docs', 'full_scan', 'superseded', 'windows')"
                )
            stats = self._refresh_begun(progress)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return stats

    def _refresh_begun(self, progress: Progress | None) -> RefreshStats:
        count = self.count()
        now = time.time()
        row = self.conn.execute("SELECT value FROM meta WHERE key='full_scan'").fetchone()
        last_full = float(row[0]) if row else 0.0
        # Big stores pay for a full comparison in proportion to their size, so its interval
        # grows with them: 30 s at 5,000 entries, 10 min at 100,000.
        interval = FULL_SCAN_SECONDS * max(1.0, count / FULL_SCAN_LIMIT)
        if count >= FULL_SCAN_LIMIT and now - last_full < interval:
            known_dirs = dict(self.conn.execute("SELECT path, mtime_ns FROM dirs").fetchall())
            dirs_now = self.store.folder_stamps(known_dirs)
            changed = [d for d, m in dirs_now.items() if known_dirs.get(d) != m]
            removed = [d for d in known_dirs if d not in dirs_now]
            if not changed and not removed:
                return RefreshStats(0, 0, 0, 0)
            on_disk = {
                relpath: (entry_id, area, mtime, size)
                for directory in changed
                for entry_id, relpath, area, mtime, size in self.store.stamps_in(directory)
            }
            scope = [*changed, *removed]
            marks = ",".join("?" * len(scope))
            known = {
                str(path): (int(rowid), int(mtime), int(size))
                for rowid, path, mtime, size in self.conn.execute(
                    f"SELECT rowid, path, mtime_ns, size FROM docs WHERE dir IN ({marks})", scope
                )
            }
            full = False
        else:
            dirs_now = self.store.folder_stamps()
            on_disk = {
                relpath: (entry_id, area, mtime, size)
                for area in ("tree", "archive")
                for entry_id, relpath, mtime, size in self.store.stamps(area)
            }
            known = {
                str(path): (int(rowid), int(mtime), int(size))
                for rowid, path, mtime, size in self.conn.execute(
                    "SELECT rowid, path, mtime_ns, size FROM docs"
                )
            }
            full = True
        stale = [p for p, v in on_disk.items() if known.get(p, (0, -1, -1))[1:] != v[2:]]
        gone = [p for p in known if p not in on_disk]
        self._new_terms = set()
        added = updated = invalid = 0
        for relpath in gone:
            self._delete(known[relpath][0])
        total = len(stale)
        for done, relpath in enumerate(sorted(stale), start=1):
            entry_id, area, mtime, size = on_disk[relpath]
            if relpath in known:
                self._delete(known[relpath][0])
                updated += 1
            else:
                added += 1
            invalid += not self._insert(entry_id, area, relpath, mtime, size)
            if progress is not None and (done % 200 == 0 or done == total):
                progress(done, total)
        self.conn.executemany(
            "INSERT OR IGNORE INTO vocab(term) VALUES(?)", [(t,) for t in self._new_terms]
        )
        self.conn.execute("DELETE FROM dirs")
        self.conn.executemany(
            "INSERT INTO dirs(path, mtime_ns) VALUES(?, ?)", list(dirs_now.items())
        )
        if full:
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES('full_scan', ?)", (str(now),)
            )
        if (
            stale
            or gone
            or self.conn.execute("SELECT 1 FROM meta WHERE key='valid_docs'").fetchone() is None
        ):
            self.conn.execute(
                "INSERT INTO meta(key, value) VALUES('generation', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = value + 1",
                ("1",),
            )
            valid = self.conn.execute("SELECT count(*) FROM docs WHERE error IS NULL").fetchone()[0]
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES('valid_docs', ?)", (str(valid),)
            )
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES('superseded', ?)",
                (json.dumps(sorted(self._superseded_now())),),
            )
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES('windows', ?)",
                (json.dumps(self._windows_now()),),
            )
            self.conn.execute("DELETE FROM qcache")
        return RefreshStats(added, updated, len(gone), invalid)

    def rebuild(self, progress: Progress | None = None) -> RefreshStats:
        """Index every file again, in one transaction; a damaged file is replaced."""
        path = self.path_for(self.store)
        with _build_lock(path):
            try:
                self.conn.building = True
                return self._refresh(progress, clear=True)
            except (sqlite3.DatabaseError, IndexDamaged) as exc:
                self.close()
                _discard(path, exc)
                self.conn = self._connect(path)
                self.conn.building = True
                return self._refresh(progress)
            finally:
                self.conn.building = False

    def _delete(self, rowid: int) -> None:
        self.conn.execute("DELETE FROM docs WHERE rowid = ?", (rowid,))
        self.conn.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
        self.conn.execute("DELETE FROM links WHERE src = ?", (rowid,))

    def _insert(self, entry_id: str, area: str, relpath: str, mtime: int, size: int) -> bool:
        try:
            entry = frontmatter.parse(self.store.read_text(relpath), entry_id, relpath)
            if entry_id.endswith("/"):
                entry = replace(entry, kind=OVERVIEW)
        except InvalidEntryError as exc:
            self.conn.execute(
                "INSERT INTO docs(id, area, path, dir, mtime_ns, size, error, error_line) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                (entry_id, area, relpath, _dir(relpath), mtime, size, exc.message, exc.line),
            )
            return False
        except FileNotFoundError:
            return True
        cursor = self.conn.execute(
            "INSERT INTO docs(id, area, path, dir, mtime_ns, size, title, title_folded, summary,"
            " kind, tags, keywords, importance, maturity, trust, author, created, updated,"
            " valid_from, valid_until, sources, body)"
            " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                entry_id, area, relpath, _dir(relpath), mtime, size, entry.title,
                fold(entry.title).strip(),
                entry.summary, entry.kind, json.dumps(list(entry.tags)),
                json.dumps(list(entry.keywords)), entry.importance, entry.maturity, entry.trust,
                entry.author, entry.created, entry.updated, entry.valid_from, entry.valid_until,
                json.dumps([[s.type, s.ref] for s in entry.sources]), entry.body,
            ),
        )  # fmt: skip
        rowid = cursor.lastrowid
        fields = _fts_fields(entry)
        self.conn.execute(
            "INSERT INTO fts(rowid, title, summary, keywords, tags, body, path) "
            "VALUES(?, ?, ?, ?, ?, ?, ?)",
            (rowid, *fields),
        )
        self.conn.executemany(
            "INSERT INTO links(src, dst, type) VALUES(?, ?, ?)",
            [(rowid, r.target, r.type) for r in outgoing(entry)],
        )
        for field_text in fields:
            self._new_terms.update(field_text.split())
        return True

    # ---- reading -------------------------------------------------------------------------
    def count(self) -> int:
        """Valid documents (BM25's N); kept in meta by refresh, so no table scan per query."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='valid_docs'").fetchone()
        if row is not None:
            return int(row[0])
        return int(self.conn.execute("SELECT count(*) FROM docs WHERE error IS NULL").fetchone()[0])

    def docs(self, rowids: Iterable[int]) -> dict[int, Doc]:
        ids = list(rowids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(
            f"SELECT {_DOC_COLUMNS} FROM docs WHERE rowid IN ({marks})", ids
        ).fetchall()
        return {int(r[0]): _row_to_doc(r) for r in rows}

    def doc_by_id(self, entry_id: str) -> Doc | None:
        row = self.conn.execute(
            f"SELECT {_DOC_COLUMNS} FROM docs WHERE id = ? AND error IS NULL "
            "ORDER BY area DESC LIMIT 1",
            (entry_id,),
        ).fetchone()
        return _row_to_doc(row) if row else None

    def rowids_by_title(self, folded_title: str) -> list[int]:
        return [
            int(r[0])
            for r in self.conn.execute(
                "SELECT rowid FROM docs WHERE title_folded = ? AND error IS NULL", (folded_title,)
            )
        ]

    def match(
        self, fts_query: str, weights: Sequence[float], limit: int
    ) -> list[tuple[int, float]]:
        """(rowid, relevance) best first; relevance is FTS5 bm25 negated (higher is better)."""
        args = ", ".join(f"{w:.3f}" for w in weights)
        rows = self.conn.execute(
            f"SELECT rowid, -bm25(fts, {args}) AS s FROM fts WHERE fts MATCH ? "
            "ORDER BY s DESC, rowid LIMIT ?",
            (fts_query, limit),
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def doc_frequency(self, fts_query: str) -> int:
        return int(
            self.conn.execute(
                "SELECT count(*) FROM fts WHERE fts MATCH ?", (fts_query,)
            ).fetchone()[0]
        )

    def containing(self, fts_query: str, rowids: Sequence[int]) -> set[int]:
        marks = ",".join("?" * len(rowids))
        return {
            int(r[0])
            for r in self.conn.execute(
                f"SELECT rowid FROM fts WHERE fts MATCH ? AND rowid IN ({marks})",
                (fts_query, *rowids),
            )
        }

    def vocabulary_near(self, term: str) -> list[str]:
        """Indexed terms sharing the first letter and of similar length (typo candidates)."""
        first = term[0]
        rows = self.conn.execute(
            "SELECT term FROM vocab WHERE term >= ? AND term < ? AND length(term) BETWEEN ? AND ?",
            (first, first + "\U0010ffff", len(term) - 2, len(term) + 2),
        )
        return [str(r[0]) for r in rows]

    def links_from(self, rowids: Sequence[int]) -> list[tuple[int, str, str]]:
        marks = ",".join("?" * len(rowids))
        return [
            (int(a), str(b), str(c))
            for a, b, c in self.conn.execute(
                f"SELECT src, dst, type FROM links WHERE src IN ({marks})", list(rowids)
            )
        ]

    def links_to(self, ids: Sequence[str]) -> list[tuple[int, str, str]]:
        marks = ",".join("?" * len(ids))
        return [
            (int(a), str(b), str(c))
            for a, b, c in self.conn.execute(
                f"SELECT src, dst, type FROM links WHERE dst IN ({marks})", list(ids)
            )
        ]

    def superseded(self) -> set[str]:
        """Ids some current entry declares it supersedes (computed at refresh, kept in meta)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='superseded'").fetchone()
        if row is not None:
            return set(json.loads(str(row[0])))
        return self._superseded_now()

    def _superseded_now(self) -> set[str]:
        return {
            str(r[0])
            for r in self.conn.execute(
                "SELECT l.dst FROM links l INDEXED BY links_type JOIN docs d ON d.rowid = l.src "
                "WHERE l.type = 'supersedes' AND d.area = 'tree'"
            )
        }

    def windows(self) -> tuple[list[str], list[str]]:
        """Sorted starts and ends of every validity window (computed at refresh, kept in meta),
        so the query cache can tell when a window opens or closes."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='windows'").fetchone()
        if row is not None:
            starts, ends = json.loads(str(row[0]))
            return list(starts), list(ends)
        found = self._windows_now()  # an index built before windows were kept: keep them now
        self.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES('windows', ?)", (json.dumps(found),)
        )
        return found

    def _windows_now(self) -> tuple[list[str], list[str]]:
        return validity.boundaries(
            (f, u)
            for f, u in self.conn.execute(
                "SELECT valid_from, valid_until FROM docs WHERE error IS NULL "
                "AND (valid_from IS NOT NULL OR valid_until IS NOT NULL)"
            )
        )

    def neighbours(self, entry_id: str, span: int) -> list[str]:
        """Ids of up to `span` entries on each side of `entry_id` in the same folder, by id."""
        folder = entry_id.rsplit("/", 1)[0] + "/"
        before = self.conn.execute(
            "SELECT id FROM docs WHERE id > ? AND id < ? AND id < ? AND error IS NULL "
            "AND area='tree' AND instr(substr(id, ?), '/') = 0 ORDER BY id DESC LIMIT ?",
            (folder, folder + "\U0010ffff", entry_id, len(folder) + 1, span),
        ).fetchall()
        after = self.conn.execute(
            "SELECT id FROM docs WHERE id > ? AND id < ? AND error IS NULL "
            "AND area='tree' AND instr(substr(id, ?), '/') = 0 ORDER BY id LIMIT ?",
            (entry_id, folder + "\U0010ffff", len(folder) + 1, span),
        ).fetchall()
        return [str(r[0]) for r in reversed(before)] + [str(r[0]) for r in after]

    def overviews(self, ids: Sequence[str]) -> dict[str, Doc]:
        """The context.md overviews of these folders (ids ending in '/'), where they exist."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(
            f"SELECT {_DOC_COLUMNS} FROM docs WHERE id IN ({marks}) AND error IS NULL", list(ids)
        ).fetchall()
        return {str(r[1]): _row_to_doc(r) for r in rows}

    def rowid_of(self, ids: Sequence[str]) -> dict[str, int]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {
            str(i): int(r)
            for r, i in self.conn.execute(
                f"SELECT rowid, id FROM docs WHERE id IN ({marks}) AND error IS NULL "
                "AND area = 'tree'",
                list(ids),
            )
        }

    # ---- caches kept beside the index ----------------------------------------------------
    def cached_query(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM qcache WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def store_query(self, key: str, value: str, now: int) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO qcache(key, value, at) VALUES(?, ?, ?)", (key, value, now)
        )
        self.conn.execute(
            "DELETE FROM qcache WHERE key NOT IN "
            "(SELECT key FROM qcache ORDER BY at DESC LIMIT 2000)"
        )

    def token_counts(self, hashes: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(
                (str(h), int(n))
                for h, n in self.conn.execute(
                    f"SELECT hash, n FROM tokens WHERE hash IN ({marks})", list(chunk)
                )
            )
        return out

    def store_token_counts(self, counts: dict[str, int]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO tokens(hash, n) VALUES(?, ?)", list(counts.items())
        )

    def record_returned(self, ids: Sequence[str], when: str) -> None:
        """Usage signal: these entries were returned by a read (not necessarily used)."""
        self.conn.executemany(
            "INSERT INTO usage(id, returned, last_access) VALUES(?, 1, ?) "
            "ON CONFLICT(id) DO UPDATE SET returned = returned + 1, "
            "last_access = excluded.last_access",
            [(i, when) for i in ids],
        )

    def usage(self) -> dict[str, tuple[int, str | None]]:
        """(times returned since the last `ctx maintain`, when last used) by entry id.
        `used` signals live in cache/used.log (see service/maintain.py); maintain folds them."""
        return {
            str(i): (int(n), str(u) if u else None)
            for i, n, u in self.conn.execute("SELECT id, returned, last_used FROM usage")
        }

    def fold_usage(self, returned: Mapping[str, int], last_used: Mapping[str, str]) -> None:
        """After a maintain commit: subtract the returned counts it folded (reads since keep
        theirs) and keep when each entry was last used (archive candidates need it)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany(
                "UPDATE usage SET returned = max(0, returned - ?) WHERE id = ?",
                [(n, i) for i, n in returned.items() if n],
            )
            self.conn.executemany(
                "INSERT INTO usage(id, last_used) VALUES(?, ?) ON CONFLICT(id) DO UPDATE SET "
                "last_used = max(coalesce(last_used, ''), excluded.last_used)",
                list(last_used.items()),
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def current_docs(self) -> list[Doc]:
        """Every valid entry of tree/ (no folder overviews), by id: what `ctx maintain` reads
        instead of parsing every file."""
        rows = self.conn.execute(
            f"SELECT {_DOC_COLUMNS} FROM docs WHERE area = 'tree' AND error IS NULL "
            "AND substr(id, -1) != '/' ORDER BY id"
        ).fetchall()
        return [_row_to_doc(r) for r in rows]

    def restamp(self, rows: Sequence[tuple[str, int, int, float, str]]) -> None:
        """(relpath, mtime_ns, size, importance, maturity) of files whose importance and
        maturity lines `ctx maintain` just rewrote, nothing else: set those columns and the
        new stamps, so the next read does not re-parse every file of a pass (10,000 entries:
        12 s). Rankings change, so the query cache goes."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany(
                "UPDATE docs SET mtime_ns = ?, size = ?, importance = ?, maturity = ? "
                "WHERE path = ? AND error IS NULL",
                [(mtime, size, imp, mat, path) for path, mtime, size, imp, mat in rows],
            )
            self.conn.execute(
                "INSERT INTO meta(key, value) VALUES('generation', '1') "
                "ON CONFLICT(key) DO UPDATE SET value = value + 1"
            )
            self.conn.execute("DELETE FROM qcache")
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def link_targets(self) -> set[str]:
        """Ids that some file of tree/ (entry or overview) relates or links to."""
        return {
            str(r[0])
            for r in self.conn.execute(
                "SELECT DISTINCT l.dst FROM links l JOIN docs d ON d.rowid = l.src "
                "WHERE d.area = 'tree' AND l.dst != d.id"
            )
        }

    def listing(self, prefix: str) -> list[tuple[str, str, str]]:
        """(id, title, path) of valid current entries under `prefix` ('' for all), by id."""
        rows = self.conn.execute(
            "SELECT id, title, path FROM docs WHERE area = 'tree' AND error IS NULL "
            "AND substr(id, -1) != '/' AND (? = '' OR id = ? OR substr(id, 1, ?) = ?) "
            "ORDER BY id",
            (prefix, prefix, len(prefix) + 1, prefix + "/"),
        )
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def census(self) -> tuple[dict[str, int], int]:
        """Entry files per domain (valid or not) in tree/, and how many are archived."""
        domains: dict[str, int] = {}
        archived = 0
        for entry_id, area in self.conn.execute(
            "SELECT id, area FROM docs WHERE substr(id, -1) != '/'"
        ):
            if area == "archive":
                archived += 1
            else:
                domain = str(entry_id).split("/", 1)[0]
                domains[domain] = domains.get(domain, 0) + 1
        return dict(sorted(domains.items())), archived

    def all_rowids(self) -> list[int]:
        return [
            int(r[0])
            for r in self.conn.execute("SELECT rowid FROM docs WHERE error IS NULL ORDER BY rowid")
        ]

    def most_important(self, limit: int) -> list[int]:
        """Current entries for session start: core first, then importance, then freshness."""
        return [
            int(r[0])
            for r in self.conn.execute(
                "SELECT rowid FROM docs WHERE area = 'tree' AND error IS NULL "
                "ORDER BY maturity = 'core' DESC, importance DESC, updated DESC, id LIMIT ?",
                (limit,),
            )
        ]

    def invalid(self) -> list[tuple[str, str, int]]:
        return [
            (str(p), str(e), int(n or 0))
            for p, e, n in self.conn.execute(
                "SELECT path, error, error_line FROM docs WHERE error IS NOT NULL ORDER BY path"
            )
        ]

    def forget(self, ids: Sequence[str], scrub: bool = False) -> None:
        """Drop every row about `ids` (documents, usage) and the whole query cache. With
        `scrub` (a purge), also rebuild the typo vocabulary without their words and compact
        the file, so no freed page keeps their text."""
        marks = ",".join("?" * len(ids))
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for (rowid,) in self.conn.execute(
                f"SELECT rowid FROM docs WHERE id IN ({marks})", list(ids)
            ).fetchall():
                self._delete(int(rowid))
            self.conn.execute(f"DELETE FROM usage WHERE id IN ({marks})", list(ids))
            self.conn.execute("DELETE FROM qcache")
            self.conn.execute(
                "INSERT INTO meta(key, value) VALUES('generation', '1') "
                "ON CONFLICT(key) DO UPDATE SET value = value + 1"
            )
            # Derived from the documents: recomputed on the next read.
            self.conn.execute(
                "DELETE FROM meta WHERE key IN ('valid_docs', 'superseded', 'windows')"
            )
            if scrub:
                self.conn.execute("DELETE FROM vocab")
                terms: set[str] = set()
                for row in self.conn.execute(f"SELECT {', '.join(FTS_COLUMNS)} FROM fts"):
                    for text in row:
                        terms.update(str(text or "").split())
                self.conn.executemany(
                    "INSERT OR IGNORE INTO vocab(term) VALUES(?)", [(t,) for t in terms]
                )
                self.conn.execute("INSERT INTO fts(fts) VALUES('optimize')")
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        if scrub:
            self.conn.execute("VACUUM")
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _connection(path: Path) -> _Connection:
    conn = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, factory=_Connection)
    conn.path = path
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # derived data: a crash costs a rebuild
    return conn


@contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    with write_lock(path.with_name(LOCK_NAME), BUILD_WAIT_SECONDS, "the search index's lock"):
        yield


def _busy(exc: Exception) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _discard(path: Path, exc: Exception) -> None:
    """Delete a damaged index (the build lock held); a busy one is an error, not damage."""
    if _busy(exc):
        raise ConflictError(
            f"the search index {path} stayed busy for {BUSY_SECONDS:.0f} s",
            "another ctx process is writing it; try again when it is done",
        ) from None
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _damage(path: Path) -> str:
    """Why `path` cannot be a whole SQLite database, from its header and size, or ''.

    SQLite notices a truncated file only when a query reaches a missing page, which may be
    long after opening; the header records the page size and (when its change counter says
    the count is current) the number of pages, so a short file shows at once. While a write-
    ahead log holds frames, a checkpoint may be growing the file: it is judged only without.
    """
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        return ""
    if not header:
        return ""  # a new, empty database
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return "file is not a database"
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return ""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if header[24:28] == header[92:96] and size < pages * page_size:
        return f"database file truncated: {size} of {pages * page_size} bytes"
    return ""


def _fts_fields(entry: Entry) -> tuple[str, str, str, str, str, str]:
    return (
        joined(entry.title),
        joined(entry.summary),
        joined(" ".join(entry.keywords)),
        joined(" ".join(entry.tags)),
        joined(entry.body),
        joined(entry.id.replace("/", " ").replace("-", " ").replace("_", " ")),
    )
