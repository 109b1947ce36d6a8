"""Usage signals kept beside the index: how often each entry was returned by a read since
the last `ctx maintain`, and when it was last used. `used` signals themselves live in
cache/used.log (service/maintain.py); maintain folds both into importance and archiving."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

from ctxtree.retrieval.database import write_transaction


class Usage:
    """The index's `usage` table (`Index.usage`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def record_returned(self, ids: Sequence[str], when: str) -> None:
        """These entries were returned by a read (not necessarily used)."""
        self.conn.executemany(
            "INSERT INTO usage(id, returned, last_access) VALUES(?, 1, ?) "
            "ON CONFLICT(id) DO UPDATE SET returned = returned + 1, "
            "last_access = excluded.last_access",
            [(i, when) for i in ids],
        )

    def counts(self) -> dict[str, tuple[int, str | None]]:
        """(times returned since the last `ctx maintain`, when last used) by entry id."""
        return {
            str(i): (int(n), str(u) if u else None)
            for i, n, u in self.conn.execute("SELECT id, returned, last_used FROM usage")
        }

    def fold(self, returned: Mapping[str, int], last_used: Mapping[str, str]) -> None:
        """After a maintain commit: subtract the returned counts it folded (reads since keep
        theirs) and keep when each entry was last used (archive candidates need it)."""
        with write_transaction(self.conn):
            self.conn.executemany(
                "UPDATE usage SET returned = max(0, returned - ?) WHERE id = ?",
                [(n, i) for i, n in returned.items() if n],
            )
            self.conn.executemany(
                "INSERT INTO usage(id, last_used) VALUES(?, ?) ON CONFLICT(id) DO UPDATE SET "
                "last_used = max(coalesce(last_used, ''), excluded.last_used)",
                list(last_used.items()),
            )
