"""Read use cases over the index: search, context packing, reindex."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from ctxtree.errors import UsageError
from ctxtree.retrieval.enclosure import Enclosure
from ctxtree.retrieval.index import Doc, Index
from ctxtree.retrieval.refresh import Progress, RefreshStats
from ctxtree.retrieval.tiers import Engine, Hit, Options, Retrieval, status_of
from ctxtree.retrieval.tokenize import query_terms
from ctxtree.service.session import Session

if TYPE_CHECKING:
    from ctxtree.retrieval import budget as budgeting
    from ctxtree.service.asof import AsOf

FORMATS = ("markdown", "xml", "json")


def open_index(session: Session, progress: Progress | None = None) -> Index:
    return Index.open(session.store, progress, throttle=session.throttle)


def engine(session: Session, index: Index, now: datetime | None = None) -> Engine:
    tau = float(session.settings.lifecycle.recency_tau_days)
    return Engine(index, now or session.now, tau)


@dataclass(frozen=True)
class Reader:
    """What a read runs on: the live index, or for `--as-of DATE` the index of the store as
    it stood then, with the instant validity windows are judged at."""

    index: Index
    origin: AsOf | None = None
    moment: datetime | None = None

    @property
    def as_of(self) -> str:
        return self.origin.as_of if self.origin else ""

    def engine(self, session: Session) -> Engine:
        # Recency as it was then; a future DATE changes only the validity windows.
        now = min(self.moment, session.now) if self.moment else None
        return engine(session, self.index, now)

    def explained(self, result: Retrieval) -> Retrieval:
        if self.origin is not None:
            result.explain.insert(0, self.origin.explain())
        return result


def _too_small(example: int) -> NoReturn:
    from ctxtree.hints import Param  # only an error needs it

    raise UsageError(
        (Param("budget"), " must be at least 1 token"), ("e.g. ", Param("budget", example))
    )


def _query(query: str, example: str) -> str:
    """A query with something to search for; a blank one is a usage error, as a missing one is."""
    if not query.strip():
        raise UsageError("the query is empty", f"say what to look for, e.g. {example}")
    return query


def _kind(kind: str) -> str:
    if not kind:
        return kind
    from ctxtree.tree.model import KINDS  # its dataclasses cost a prompt hook ~5 ms

    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}", f"use one of {', '.join(KINDS)}")
    return kind


def _scope(session: Session, reader: Reader, scope: str) -> str:
    """A scope naming a folder or an entry that exists (an empty folder is fine), in the tree,
    the archive, or the store as it stood at `--as-of`; else a usage error that suggests the
    nearest existing folders and entries."""
    scope = scope.strip("/")
    store = session.store
    if (
        not scope
        or store.folder_exists(scope)
        or store.exists(scope)
        or store.is_file(f"archive/{scope}.md")
        or reader.index.listing(scope)
    ):
        return scope
    import difflib

    known: set[str] = set()
    for entry_id, _title, _path in reader.index.listing(""):
        parts = entry_id.split("/")
        known.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    near = difflib.get_close_matches(scope, sorted(known), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(near)}?" if near else "`ctx tree` lists the folders"
    raise UsageError(f"--scope {scope!r} names no folder or entry in the store", hint)


def open_reader(session: Session, as_of: str | None) -> Reader:
    if as_of is None:
        return Reader(open_index(session))
    from ctxtree.service import asof

    moment = asof.parse_date(as_of)
    snapshot = asof.snapshot(session, moment)
    return Reader(asof.snapshot_index(snapshot), snapshot.origin, moment)


@dataclass
class SearchResult:
    """`search`'s answer; with `--as-of`, the past store it was read from."""

    retrieval: Retrieval
    origin: AsOf | None = None

    def to_json(self) -> dict[str, Any]:
        data = self.retrieval.to_json()
        if self.origin is not None:
            data.update(self.origin.to_json())
        return data

    @property
    def hits(self) -> list[Hit]:
        return self.retrieval.hits

    @property
    def confidence(self) -> float:
        return self.retrieval.confidence

    @property
    def confident(self) -> bool:
        return self.retrieval.confident

    @property
    def not_in_memory(self) -> bool:
        return self.retrieval.not_in_memory


def search(
    session: Session,
    query: str,
    limit: int = 10,
    scope: str = "",
    kind: str = "",
    include_superseded: bool = False,
    include_archived: bool = False,
    as_of: str | None = None,
) -> SearchResult:
    """Ranked hits (tiers 0-2); with `as_of` (a DATE), as the store stood then."""
    if limit < 1:
        from ctxtree.hints import Param

        raise UsageError((Param("limit"), " must be at least 1"), "")
    _query(query, 'ctx search "refresh token reuse"')
    _kind(kind)
    reader = open_reader(session, as_of)
    try:
        scope = _scope(session, reader, scope)
        options = Options(limit, scope, kind, include_superseded, include_archived, reader.as_of)
        result = reader.explained(reader.engine(session).run(query, options))
        if reader.origin is None:  # a look into the past is not a use of today's entries
            reader.index.usage.record_returned([h.id for h in result.hits], session.timestamp)
    finally:
        reader.index.close()
    return SearchResult(result, reader.origin)


@dataclass
class ContextResult:
    """`context`'s packed text, its token count and entries, and the retrieval behind it."""

    text: str
    tokens: int
    ids: list[str]
    confident: bool
    not_in_memory: bool
    retrieval: Retrieval | None
    encoding_loaded: bool = False
    entries: list[dict[str, Any]] = field(default_factory=list)
    origin: AsOf | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tokens": self.tokens,
            "ids": self.ids,
            "confident": self.confident,
            "not_in_memory": self.not_in_memory,
            "entries": self.entries,
        }
        if self.retrieval is not None:
            data["retrieval"] = self.retrieval.to_json()
        if self.origin is not None:
            data.update(self.origin.to_json())
        return data


def _pack(
    session: Session, index: Index, ranked: list[tuple[Doc, Hit | None]],
    weights: dict[str, float], tokens: int, fmt: str,
) -> tuple[budgeting.Packed, bool, list[dict[str, Any]]]:  # fmt: skip
    # Packing's modules load here, not with this module: `ctx search` never packs.
    from ctxtree.retrieval import budget as budgeting
    from ctxtree.retrieval import passages

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    block_fmt = "xml" if fmt == "xml" else "markdown"
    top = max((hit.score for _doc, hit in ranked if hit is not None), default=1.0) or 1.0
    fence = Enclosure.fresh()
    blocks = [
        passages.block(
            doc, hit, weights, block_fmt, (hit.score / top) if hit else 1.0 / (1 + rank), fence
        )
        for rank, (doc, hit) in enumerate(ranked)
    ]
    known = index.token_counts
    cached = budgeting.CachedCounter(known.get, known.put)

    def counter(texts: Sequence[str]) -> list[int]:
        # A marker line costs what its placeholder twin costs, and that count is cached.
        return cached([fence.counted_as(t) for t in texts])

    wrapper = ("<context>", "</context>") if fmt == "xml" else ()
    reserve = sum(counter([f"{line}\n" for line in wrapper])) if wrapper else 0
    packed = budgeting.pack(blocks, max(0, tokens - reserve), counter)
    if wrapper and packed.ids:
        packed = budgeting.Packed(
            f"{wrapper[0]}\n{packed.text}{wrapper[1]}\n", packed.tokens + reserve, packed.ids,
            packed.chosen,
        )  # fmt: skip
    by_id = {doc.id: doc for doc, _hit in ranked}
    entries = []
    for entry_id, picked in packed.chosen:
        doc = by_id[entry_id]
        units = passages.units(doc)
        entries.append({
            "id": doc.id, "title": doc.title, "summary": doc.summary, "kind": doc.kind,
            "trust": doc.trust, "updated": doc.updated,
            "sources": [{"type": t, "ref": r} for t, r in doc.sources],
            "passages": [units[i] for i in picked],
        })  # fmt: skip
    if packed.ids:
        index.usage.record_returned(list(packed.ids), session.timestamp)
    return packed, cached.loaded_encoding, entries


def context(
    session: Session, query: str, budget: int, fmt: str = "markdown", scope: str = "",
    kind: str = "", as_of: str | None = None, exclude: frozenset[str] = frozenset(),
    confident_only: bool = False, typos: bool = True,
) -> ContextResult:  # fmt: skip
    """The best material for `query` packed into `budget` tokens (cl100k_base); with `as_of`
    (a DATE), from the store as it stood then. Entries in `exclude` are left out (a prompt
    hook's "already shown in this session"); with `confident_only`, nothing is packed unless
    the retrieval passed the confidence gate; without `typos`, query words the index lacks
    are not corrected (see tiers.Options.typos)."""
    if budget < 1:
        _too_small(1500)
    _query(query, 'ctx context "jwt refresh"')
    _kind(kind)
    reader = open_reader(session, as_of)
    index = reader.index
    try:
        limit = max(5, min(60, budget // 50))
        scope = _scope(session, reader, scope)
        options = Options(limit, scope, kind, as_of=reader.as_of, typos=typos)
        engine = reader.engine(session)
        result = reader.explained(engine.run(query, options))
        merged = sorted(result.hits + result.expansions, key=lambda h: (-h.score, h.id))
        if confident_only and not result.confident:
            merged = []
        merged = [h for h in merged if h.id not in exclude]
        rows = index.rowid_of([h.id for h in merged])
        docs = {d.id: d for d in engine.documents(rows.values()).values()}
        docs.update(index.overviews([h.id for h in merged if h.id.endswith("/")]))
        ranked: list[tuple[Doc, Hit | None]] = [(docs[h.id], h) for h in merged if h.id in docs]
        from ctxtree.retrieval.passages import query_weights

        weights = query_weights(result.weights or dict.fromkeys(query_terms(query), 1.0))
        packed, loaded, entries = _pack(session, index, ranked, weights, budget, fmt)
    finally:
        index.close()
    text = json.dumps({"query": query, "entries": entries}, ensure_ascii=False, indent=2) \
        if fmt == "json" else packed.text  # fmt: skip
    return ContextResult(text, packed.tokens, list(packed.ids), result.confident,
                         result.not_in_memory, result, loaded, entries, reader.origin)  # fmt: skip


def core_context(
    session: Session, budget: int, fmt: str = "markdown", as_of: str | None = None
) -> ContextResult:
    """The store's most important current knowledge, for session start (no query); with
    `as_of` (a DATE), as the store stood then. Superseded entries, entries outside their
    validity window and episodes (raw captures, not yet curated) are left out."""
    if budget < 1:
        _too_small(1000)
    reader = open_reader(session, as_of)
    index = reader.index
    try:
        limit = max(5, min(60, budget // 60))
        superseded = index.superseded()
        when = reader.engine(session).when(Options(as_of=reader.as_of))
        # Ask for more than needed: some of the most important may be out of date.
        rowids = index.most_important(3 * limit + min(len(superseded), 200))
        docs = index.docs(rowids)
        current = [
            r for r in rowids if r in docs and status_of(docs[r], superseded, when) == "current"
        ]
        ranked: list[tuple[Doc, Hit | None]] = [(docs[r], None) for r in current[:limit]]
        packed, loaded, entries = _pack(session, index, ranked, {}, budget, fmt)
    finally:
        index.close()
    text = json.dumps({"query": None, "entries": entries}, ensure_ascii=False, indent=2) \
        if fmt == "json" else packed.text  # fmt: skip
    found = bool(packed.ids)
    return ContextResult(text, packed.tokens, list(packed.ids), found, not found, None, loaded,
                         entries, reader.origin)  # fmt: skip


def reindex(session: Session, progress: Progress | None = None) -> RefreshStats:
    index = Index.open(session.store, refresh=False)
    try:
        return index.rebuild(progress)
    finally:
        index.close()


def count_tokens(session: Session, progress: Progress | None = None) -> int:
    """Count (and cache) the tokens of every line `ctx context` may pack, so later reads
    never load the tokenizer. Returns how many lines were newly counted."""
    from ctxtree.retrieval import budget as budgeting
    from ctxtree.retrieval import passages

    index = Index.open(session.store)
    try:
        tokens = index.token_counts
        counter = budgeting.CachedCounter(tokens.get, tokens.put)
        rowids = index.all_rowids()
        for start in range(0, len(rowids), 200):
            docs = index.docs(rowids[start : start + 200]).values()
            lines: list[str] = []
            for doc in docs:
                block = passages.block(doc, None, {}, "markdown", 1.0, Enclosure())
                lines += [f"{line}\n" for line in (*block.header, *block.units, *block.footer)]
            counter(lines)
            if progress is not None:
                progress(min(start + 200, len(rowids)), len(rowids))
        return counter.misses
    finally:
        index.close()
