"""The index's SQLite file: its schema, connections whose corruption errors become
IndexDamaged, the build lock, and telling a damaged file from a busy one.

Everything in the file is derived from the markdown files (retrieval/refresh.py writes it,
retrieval/index.py reads it): a missing, truncated or corrupt database is deleted and rebuilt.
Opening, refreshing and rebuilding hold `cache/index.lock` (a flock), so one process builds
while the others wait for it, and a damaged file is only ever deleted by the process holding
the lock. Reads after opening take no lock (SQLite WAL: readers see the last committed state).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ctxtree.errors import ConflictError, StoreError
from ctxtree.tree.lock import write_lock

# 8: documents carry canonical identity terms (tree/identity.py), so older indexes rebuild.
SCHEMA = 8
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
    sources TEXT, body TEXT, stale TEXT, error TEXT, error_line INTEGER
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


class IndexDamaged(StoreError):
    """SQLite found the index file damaged while reading it."""


class _Cursor(sqlite3.Cursor):
    """Rows are read lazily, so damage can surface while iterating, not only in execute.
    This `__next__` runs as Python for every row (~1 us more each): the index's queries take
    their rows with `fetchall()`, one call."""

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


class Connection(sqlite3.Connection):
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
    if not isinstance(conn, Connection):
        return
    if conn.building:
        raise IndexDamaged(str(exc)) from None
    with build_lock(conn.path):
        discard(conn.path, exc)
    raise IndexDamaged(
        f"the search index {conn.path} was damaged ({exc}) and has been deleted",
        "run the command again: the index is rebuilt from the markdown files, nothing is lost",
    ) from None


def _connection(path: Path) -> Connection:
    conn = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, factory=Connection)
    conn.path = path
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # derived data: a crash costs a rebuild
    return conn


@contextmanager
def build_lock(path: Path) -> Iterator[None]:
    with write_lock(path.with_name(LOCK_NAME), BUILD_WAIT_SECONDS, "the search index's lock"):
        yield


def _busy(exc: Exception) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def discard(path: Path, exc: Exception) -> None:
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
    busy = _wal_in_use(path)
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
    if busy or _wal_in_use(path):  # before and after the read: a checkpoint may run between
        return ""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if header[24:28] == header[92:96] and size < pages * page_size:
        return f"database file truncated: {size} of {pages * page_size} bytes"
    return ""


def _wal_in_use(path: Path) -> bool:
    """Whether a write-ahead log with frames sits beside `path`. Another reader may remove
    it at any moment (the last connection to close checkpoints and deletes it): a log that
    vanishes while looked at was just checkpointed, and the next read judges the file."""
    try:
        return os.stat(f"{path}-wal").st_size > 0
    except OSError:
        return False


def connect(path: Path) -> Connection:
    """A connection to the index at `path` with the current schema: a file of another
    schema version is deleted and made anew (it holds only derived data)."""
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


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error: readers never see half a write."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
