"""The derived search index on one store, opened: SQLite (stdlib) with FTS5 in cache/.

`Index.open` connects (retrieval/database.py: schema, damage, the build lock) and refreshes
from the files (retrieval/refresh.py), so hand edits are found without `ctx reindex`; the
methods here read. The query cache (retrieval/cache.py) and usage signals
(retrieval/usage.py) are tables of the same file, reached as `index.query_cache` and
`index.usage`.

Concurrency: any number of processes may open the index at once (ten hook processes on a
fresh cache, say). Opening, refreshing and rebuilding hold `cache/index.lock`, so one process
builds while the others wait for it and then find the work done; reads after opening take no
lock (SQLite WAL: readers see the last committed state).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ctxtree.errors import StoreError
from ctxtree.retrieval import refresh as refreshing
from ctxtree.retrieval.cache import QueryCache, TokenCounts
from ctxtree.retrieval.database import (
    DB_NAME,
    Connection,
    IndexDamaged,
    build_lock,
    connect,
    discard,
)
from ctxtree.retrieval.refresh import Progress, RefreshStats
from ctxtree.retrieval.usage import Usage
from ctxtree.tree.store import Store

if TYPE_CHECKING:
    from ctxtree.retrieval.throttle import Throttle


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
    stale: bool = False  # flagged by a change to its anchors, not yet reviewed


_DOC_COLUMNS = (
    "rowid, id, area, title, summary, kind, tags, keywords, importance, maturity, trust, "
    "author, created, updated, valid_from, valid_until, sources, body, stale"
)


def _strings(column: object) -> tuple[str, ...]:
    """A JSON list column as a tuple; most are empty, and "[]" needs no decoder."""
    return tuple(json.loads(str(column))) if column and column != "[]" else ()


def _row_to_doc(row: Sequence[object]) -> Doc:
    (rowid, id_, area, title, summary, kind, tags, keywords, importance, maturity, trust,
     author, created, updated, valid_from, valid_until, sources, body, stale) = row  # fmt: skip
    return Doc(
        rowid=int(rowid),  # type: ignore[call-overload]
        id=str(id_),
        area=str(area),
        title=str(title or ""),
        summary=str(summary or ""),
        kind=str(kind or "note"),
        tags=_strings(tags),
        keywords=_strings(keywords),
        importance=float(importance or 0),  # type: ignore[arg-type]
        maturity=str(maturity or "draft"),
        trust=str(trust or "user"),
        author=str(author or ""),
        created=str(created or ""),
        updated=str(updated or ""),
        valid_from=str(valid_from) if valid_from else None,
        valid_until=str(valid_until) if valid_until else None,
        sources=tuple((str(a), str(b)) for a, b in json.loads(str(sources)))
        if sources and sources != "[]"
        else (),
        body=str(body or ""),
        stale=stale is not None,
    )


class Index:
    """An open index on one store. Use `Index.open(store)`; it refreshes on open."""

    def __init__(self, store: Store, conn: Connection) -> None:
        self.store = store
        self.conn = conn

    # ---- opening -------------------------------------------------------------------------
    @staticmethod
    def path_for(store: Store) -> Path:
        return store.root / "cache" / DB_NAME

    @classmethod
    def open(
        cls, store: Store, progress: Progress | None = None, refresh: bool = True,
        throttle: Throttle | None = None,
    ) -> Index:  # fmt: skip
        """Open (creating or rebuilding as needed) and bring up to date with the files; with
        a `throttle`, only when it says a comparison is due."""
        path = cls.path_for(store)
        if refresh and throttle is not None:
            import time

            from ctxtree.tree.git import head_stamp

            # Stamped before comparing: a commit while it runs makes the next read compare.
            stamp, now = head_stamp(store.root), time.monotonic()
            if not throttle.due(stamp, now) and path.is_file():
                try:
                    return cls(store, connect(path))
                except (sqlite3.DatabaseError, IndexDamaged):
                    pass  # opened, repaired and compared below
            index = cls.open(store, progress)
            throttle.checked(stamp, now)
            return index
        path.parent.mkdir(parents=True, exist_ok=True)
        with build_lock(path):
            try:
                return cls._opened(store, path, progress, refresh)
            except (sqlite3.DatabaseError, IndexDamaged) as exc:
                discard(path, exc)  # a damaged cache is only a cost: rebuilt from the files
            try:
                return cls._opened(store, path, progress, refresh)
            except (sqlite3.Error, IndexDamaged) as exc:
                discard(path, exc)
                raise StoreError(
                    f"cannot use the search index {path}: {exc}",
                    f"check that {path.parent} is writable; it holds only derived data",
                ) from None

    @classmethod
    def _opened(cls, store: Store, path: Path, progress: Progress | None, refresh: bool) -> Index:
        index = cls(store, connect(path))
        try:
            index.conn.building = True
            if refresh:
                refreshing.refresh(index.conn, store, progress)
            index.conn.building = False
        except BaseException:
            index.close()
            raise
        return index

    def close(self) -> None:
        self.conn.close()

    @property
    def query_cache(self) -> QueryCache:
        return QueryCache(self.conn)

    @property
    def token_counts(self) -> TokenCounts:
        return TokenCounts(self.conn)

    @property
    def usage(self) -> Usage:
        return Usage(self.conn)

    # ---- writing -------------------------------------------------------------------------
    def refresh(self, progress: Progress | None = None) -> RefreshStats:
        """Bring the index up to date with the files (`refresh.refresh` says how)."""
        with build_lock(self.path_for(self.store)):
            self.conn.building = True
            try:
                return refreshing.refresh(self.conn, self.store, progress)
            finally:
                self.conn.building = False

    def rebuild(self, progress: Progress | None = None) -> RefreshStats:
        """Index every file again, in one transaction; a damaged file is replaced."""
        path = self.path_for(self.store)
        with build_lock(path):
            try:
                self.conn.building = True
                return refreshing.refresh(self.conn, self.store, progress, clear=True)
            except (sqlite3.DatabaseError, IndexDamaged) as exc:
                self.close()
                discard(path, exc)
                self.conn = connect(path)
                self.conn.building = True
                return refreshing.refresh(self.conn, self.store, progress)
            finally:
                self.conn.building = False

    def restamp(self, rows: Sequence[tuple[str, int, int, float, str]]) -> None:
        """See `refresh.restamp`: a maintain pass's new importance and maturity."""
        refreshing.restamp(self.conn, rows)

    def forget(self, ids: Sequence[str], scrub: bool = False) -> None:
        """See `refresh.forget`: every row about `ids`, scrubbed from the file with `scrub`."""
        refreshing.forget(self.conn, ids, scrub)

    def generation(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    # ---- reading -------------------------------------------------------------------------
    def count(self) -> int:
        """Valid documents (BM25's N); kept in meta by refresh, so no table scan per query."""
        return refreshing.valid_count(self.conn)

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
            ).fetchall()
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

    # `+rowid IN (...)`, not `rowid IN (...)`: given the IN, FTS5 runs the MATCH again for
    # every listed rowid (and bm25 re-reads the term's whole doclist for its idf each time):
    # ~90 ms for 60 rowids and a term in most of a 10k store. The unary + keeps the IN out of
    # FTS5's plan, so the MATCH runs once and SQLite filters its rows: ~4 ms, same scores.
    def match_among(
        self, fts_query: str, weights: Sequence[float], rowids: Sequence[int]
    ) -> dict[int, float]:
        """rowid -> relevance (FTS5 bm25 negated) of those of `rowids` that match."""
        args = ", ".join(f"{w:.3f}" for w in weights)
        marks = ",".join("?" * len(rowids))
        rows = self.conn.execute(
            f"SELECT rowid, -bm25(fts, {args}) FROM fts WHERE fts MATCH ? AND +rowid IN ({marks})",
            (fts_query, *rowids),
        ).fetchall()
        return {int(r[0]): float(r[1]) for r in rows}

    def doc_frequency(self, fts_query: str) -> int:
        return int(
            self.conn.execute(
                "SELECT count(*) FROM fts WHERE fts MATCH ?", (fts_query,)
            ).fetchone()[0]
        )

    def containing(self, fts_query: str, rowids: Sequence[int]) -> set[int]:
        """Those of `rowids` that match `fts_query` (`+rowid`: see match_among)."""
        marks = ",".join("?" * len(rowids))
        return {
            int(r[0])
            for r in self.conn.execute(
                f"SELECT rowid FROM fts WHERE fts MATCH ? AND +rowid IN ({marks})",
                (fts_query, *rowids),
            ).fetchall()
        }

    def vocabulary_near(self, term: str) -> list[str]:
        """Indexed terms sharing the first letter and of similar length (typo candidates)."""
        first = term[0]
        rows = self.conn.execute(
            "SELECT term FROM vocab WHERE term >= ? AND term < ? AND length(term) BETWEEN ? AND ?",
            (first, first + "\U0010ffff", len(term) - 2, len(term) + 2),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def links_from(self, rowids: Sequence[int]) -> list[tuple[int, str, str]]:
        marks = ",".join("?" * len(rowids))
        return [
            (int(a), str(b), str(c))
            for a, b, c in self.conn.execute(
                f"SELECT src, dst, type FROM links WHERE src IN ({marks})", list(rowids)
            ).fetchall()
        ]

    def links_to(self, ids: Sequence[str]) -> list[tuple[int, str, str]]:
        marks = ",".join("?" * len(ids))
        return [
            (int(a), str(b), str(c))
            for a, b, c in self.conn.execute(
                f"SELECT src, dst, type FROM links WHERE dst IN ({marks})", list(ids)
            ).fetchall()
        ]

    def superseded(self) -> set[str]:
        """Ids some current entry declares it supersedes (computed at refresh, kept in meta)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='superseded'").fetchone()
        if row is not None:
            return set(json.loads(str(row[0])))
        return refreshing.superseded_now(self.conn)

    def windows(self) -> tuple[list[str], list[str]]:
        """Sorted starts and ends of every validity window (computed at refresh, kept in meta),
        so the query cache can tell when a window opens or closes."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='windows'").fetchone()
        if row is not None:
            starts, ends = json.loads(str(row[0]))
            return list(starts), list(ends)
        # An index built before windows were kept: keep them now.
        found = refreshing.windows_now(self.conn)
        self.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES('windows', ?)", (json.dumps(found),)
        )
        return found

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
            ).fetchall()
        }

    def current_docs(self) -> list[Doc]:
        """Every valid entry of tree/ (no folder overviews), by id: what `ctx maintain` reads
        instead of parsing every file."""
        rows = self.conn.execute(
            f"SELECT {_DOC_COLUMNS} FROM docs WHERE area = 'tree' AND error IS NULL "
            "AND substr(id, -1) != '/' ORDER BY id"
        ).fetchall()
        return [_row_to_doc(r) for r in rows]

    def link_targets(self) -> set[str]:
        """Ids that some file of tree/ (entry or overview) relates or links to."""
        return {
            str(r[0])
            for r in self.conn.execute(
                "SELECT DISTINCT l.dst FROM links l JOIN docs d ON d.rowid = l.src "
                "WHERE d.area = 'tree' AND l.dst != d.id"
            ).fetchall()
        }

    def listing(self, prefix: str) -> list[tuple[str, str, str]]:
        """(id, title, path) of valid current entries under `prefix` ('' for all), by id."""
        rows = self.conn.execute(
            "SELECT id, title, path FROM docs WHERE area = 'tree' AND error IS NULL "
            "AND substr(id, -1) != '/' AND (? = '' OR id = ? OR substr(id, 1, ?) = ?) "
            "ORDER BY id",
            (prefix, prefix, len(prefix) + 1, prefix + "/"),
        ).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def census(self) -> tuple[dict[str, int], int]:
        """Entry files per domain (valid or not) in tree/, and how many are archived."""
        domains: dict[str, int] = {}
        archived = 0
        for entry_id, area in self.conn.execute(
            "SELECT id, area FROM docs WHERE substr(id, -1) != '/'"
        ).fetchall():
            if area == "archive":
                archived += 1
            else:
                domain = str(entry_id).split("/", 1)[0]
                domains[domain] = domains.get(domain, 0) + 1
        return dict(sorted(domains.items())), archived

    def all_rowids(self) -> list[int]:
        return [
            int(r[0])
            for r in self.conn.execute(
                "SELECT rowid FROM docs WHERE error IS NULL ORDER BY rowid"
            ).fetchall()
        ]

    def most_important(self, limit: int) -> list[int]:
        """Current entries for session start: core first, then importance, then freshness.
        Episodes (captured sessions and commits) are raw material waiting to be curated, not
        knowledge: they never crowd the core."""
        return [
            int(r[0])
            for r in self.conn.execute(
                "SELECT rowid FROM docs WHERE area = 'tree' AND error IS NULL "
                "AND kind != 'episode' "
                "ORDER BY maturity = 'core' DESC, importance DESC, updated DESC, id LIMIT ?",
                (limit,),
            ).fetchall()
        ]

    def under(self, folders: Sequence[str], limit: int) -> list[int]:
        """Rowids of the entries of tree/ inside any of `folders` (no overviews), core first,
        then importance, then freshness, then id."""
        if not folders:
            return []
        inside = " OR ".join("substr(id, 1, ?) = ?" for _ in folders)
        args: list[object] = []
        for folder in folders:
            args += [len(folder) + 1, folder + "/"]
        return [
            int(r[0])
            for r in self.conn.execute(
                "SELECT rowid FROM docs WHERE area = 'tree' AND error IS NULL "
                f"AND substr(id, -1) != '/' AND ({inside}) "
                "ORDER BY maturity = 'core' DESC, importance DESC, updated DESC, id LIMIT ?",
                (*args, limit),
            ).fetchall()
        ]

    def invalid(self) -> list[tuple[str, str, int]]:
        return [
            (str(p), str(e), int(n or 0))
            for p, e, n in self.conn.execute(
                "SELECT path, error, error_line FROM docs WHERE error IS NOT NULL ORDER BY path"
            ).fetchall()
        ]
