"""Caches kept in the index's file, beside the documents.

The query cache (tier 0): whole answers by a key that names the query, its options and the
index generation, so a repeated question costs one lookup; the newest 2,000 are kept and a
refresh that changes any document empties it. Token counts: what the tokenizer said about a
line of text, by the text's hash, so `ctx context` rarely loads tiktoken (retrieval/budget.py);
they stay true whatever the documents do."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

try:  # what hashlib.blake2b is; importing hashlib itself loads OpenSSL too (~5 ms a hook)
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it
    from hashlib import blake2b

CACHE_SIZE = 2000


def digest(text: str, size: int) -> str:
    """The blake2b hex digest of `text` (UTF-8), `size` bytes long: the caches' keys."""
    return blake2b(text.encode("utf-8"), digest_size=size).hexdigest()


class QueryCache:
    """Cached answers in the index's `qcache` table (`Index.query_cache`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM qcache WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def put(self, key: str, value: str, now: int) -> None:
        """Keep `value` under `key` (stamped `now`, epoch seconds) and drop the oldest
        answers past CACHE_SIZE, oldest by rowid: a put (INSERT OR REPLACE) always takes a
        rowid above every other, so rowids run in the order answers were stored. Ordering by
        `at` would read every cached answer's overflow pages (`at` is stored after `value`):
        ~20 ms a put once the cache is full; counting the keys reads only their index."""
        self.conn.execute(
            "INSERT OR REPLACE INTO qcache(key, value, at) VALUES(?, ?, ?)", (key, value, now)
        )
        (count,) = self.conn.execute("SELECT count(*) FROM qcache").fetchone()
        if count > CACHE_SIZE:
            self.conn.execute(
                "DELETE FROM qcache WHERE rowid IN "
                "(SELECT rowid FROM qcache ORDER BY rowid LIMIT ?)",
                (count - CACHE_SIZE,),
            )


class TokenCounts:
    """Token counts by text hash in the index's `tokens` table (`Index.token_counts`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, hashes: Sequence[str]) -> dict[str, int]:
        """The known counts of `hashes` (unknown ones are left out)."""
        out: dict[str, int] = {}
        for start in range(0, len(hashes), 500):  # below SQLite's limit on parameters
            chunk = hashes[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(
                (str(h), int(n))
                for h, n in self.conn.execute(
                    f"SELECT hash, n FROM tokens WHERE hash IN ({marks})", list(chunk)
                ).fetchall()
            )
        return out

    def put(self, counts: dict[str, int]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO tokens(hash, n) VALUES(?, ?)", list(counts.items())
        )
