"""Read use cases over the index: search, context packing, reindex."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from ctxtree.errors import UsageError
from ctxtree.hints import Param
from ctxtree.retrieval import budget as budgeting
from ctxtree.retrieval import enclosure
from ctxtree.retrieval.enclosure import Enclosure, one_line
from ctxtree.retrieval.index import Doc, Index, Progress, RefreshStats
from ctxtree.retrieval.tiers import Engine, Hit, Options, Retrieval, status_of
from ctxtree.retrieval.tokenize import query_terms, stem, stems
from ctxtree.service.session import Session

if TYPE_CHECKING:
    from ctxtree.service.asof import Origin

FORMATS = ("markdown", "xml", "json")
BUDGET = Param("budget")


def open_index(session: Session, progress: Progress | None = None) -> Index:
    return Index.open(session.store, progress)


def engine(session: Session, index: Index, now: datetime | None = None) -> Engine:
    tau = float(session.config()["lifecycle"]["recency_tau_days"])
    return Engine(index, now or session.now, tau)


@dataclass(frozen=True)
class Reader:
    """What a read runs on: the live index, or for `--as-of DATE` the index of the store as
    it stood then, with the instant validity windows are judged at."""

    index: Index
    origin: Origin | None = None
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


def open_reader(session: Session, as_of: str | None) -> Reader:
    if as_of is None:
        return Reader(open_index(session))
    from ctxtree.service import asof

    moment = asof.parse_date(as_of)
    snapshot = asof.snapshot(session, moment)
    return Reader(asof.open_index(snapshot), snapshot.origin, moment)


@dataclass
class SearchResult:
    retrieval: Retrieval
    origin: Origin | None = None

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
        raise UsageError((Param("limit"), " must be at least 1"), "")
    reader = open_reader(session, as_of)
    try:
        options = Options(
            limit, scope.strip("/"), kind, include_superseded, include_archived, reader.as_of
        )
        result = reader.explained(reader.engine(session).run(query, options))
        if reader.origin is None:  # a look into the past is not a use of today's entries
            reader.index.record_returned([h.id for h in result.hits], session.timestamp)
    finally:
        reader.index.close()
    return SearchResult(result, reader.origin)


@dataclass
class ContextResult:
    text: str
    tokens: int
    ids: list[str]
    confident: bool
    not_in_memory: bool
    retrieval: Retrieval | None
    encoding_loaded: bool = False
    entries: list[dict[str, Any]] = field(default_factory=list)
    origin: Origin | None = None

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


def _provenance(doc: Doc, hit: Hit | None) -> str:
    parts = [f"id: {doc.id}", doc.kind]
    if doc.updated:
        parts.append(f"updated {doc.updated[:10]}")
    # Turn ids are already inline in a transcript's lines; other sources are shown (two).
    sources = [(t, r) for t, r in doc.sources if t != "turn"]
    if sources:
        shown = [enclosure.inline(f"{t}:{r}") for t, r in sources[:2]]
        more = len(sources) - 2
        parts.append("source " + ", ".join(shown) + (f" (+{more})" if more > 0 else ""))
    if hit is not None and hit.status != "current":
        parts.append(hit.status)
    if doc.trust == "external":
        parts.append(enclosure.NOTICE)
    return " · ".join(parts)


def _units(doc: Doc) -> list[str]:
    units = budgeting.units_of(doc.body)
    if units and units[0].lstrip("# ").strip() == doc.title.strip() and units[0].startswith("#"):
        units = units[1:]
    return units


def _unit_score(unit: str, weights: dict[str, float]) -> float:
    """idf-weighted share of the query's (stemmed) terms that a unit contains, in [0, 1]."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    present = stems(unit)
    return sum(w for term, w in weights.items() if term in present) / total


# A line right after a matching line often answers it (a reply in a conversation, the body of
# a list item); the line before gives its setting. Units inherit part of their neighbours'
# match: score_i = max(s_i, AFTER * s_(i-1), BEFORE * s_(i+1)).
AFTER = 0.7
BEFORE = 0.4


def _smoothed(scores: list[float]) -> tuple[float, ...]:
    out = []
    for i, own in enumerate(scores):
        prev = scores[i - 1] if i > 0 else 0.0
        nxt = scores[i + 1] if i + 1 < len(scores) else 0.0
        out.append(max(own, AFTER * prev, BEFORE * nxt))
    return tuple(out)


def _block(
    doc: Doc, hit: Hit | None, weights: dict[str, float], fmt: str, weight: float,
    fence: Enclosure,
) -> budgeting.Block:  # fmt: skip
    """One entry's lines. An external entry's title, summary and passages stand quoted inside
    `fence` (see retrieval/enclosure.py): its heading is its provenance, which is ours."""
    units = _units(doc)
    if weights:
        scores = _smoothed([_unit_score(u, weights) for u in units])
    else:  # no query (core context): earlier lines first
        scores = tuple(max(0.0, 0.5 - 0.05 * i) for i in range(len(units)))
    standalone = bool(doc.summary) and doc.kind != "episode"
    provenance = _provenance(doc, hit)
    external = doc.trust == "external"
    if external:
        inner = [f"title: {doc.title}", *([f"summary: {doc.summary}"] if standalone else [])]
        units = [enclosure.quote(u) for u in units]
    else:
        units = [enclosure.escape_line(u) for u in units]
    if fmt == "xml":
        attrs = f'id="{escape(doc.id)}" kind="{doc.kind}" trust="{doc.trust}"'
        if external:
            header = [
                f"<entry {attrs}>",
                f"<provenance>{escape(provenance)}</provenance>",
                fence.xml_open,
                *(escape(enclosure.quote(x), quote=False) for x in inner),
            ]
            footer: tuple[str, ...] = (enclosure.XML_CLOSE, "</entry>")
        else:
            header = [
                f"<entry {attrs}>",
                f"<title>{escape(one_line(doc.title))}</title>",
                f"<provenance>{escape(provenance)}</provenance>",
            ]
            if doc.summary:
                header.append(f"<summary>{escape(one_line(doc.summary))}</summary>")
            footer = ("</entry>",)
        return budgeting.Block(
            doc.id, tuple(header), tuple(escape(u, quote=False) for u in units), scores,
            footer, weight, standalone,
        )  # fmt: skip
    if external:
        header = [f"### {provenance}", fence.open, *(enclosure.quote(line) for line in inner)]
        return budgeting.Block(
            doc.id, tuple(header), tuple(units), scores, (fence.close,), weight, standalone
        )
    title = enclosure.escape_title(doc.title)
    if doc.kind == "episode":  # one line: turns carry their own ids, the title its date
        header = [f"### {title} · {provenance}"]
    else:
        header = [f"### {title}", provenance]
    if doc.summary and doc.kind != "episode":  # an episode's summary repeats its own lines
        header.append(f"> {one_line(doc.summary)}")
    return budgeting.Block(doc.id, tuple(header), tuple(units), scores, (), weight, standalone)


def _pack(
    session: Session, index: Index, ranked: list[tuple[Doc, Hit | None]],
    weights: dict[str, float], tokens: int, fmt: str,
) -> tuple[budgeting.Packed, bool, list[dict[str, Any]]]:  # fmt: skip
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    block_fmt = "xml" if fmt == "xml" else "markdown"
    top = max((hit.score for _doc, hit in ranked if hit is not None), default=1.0) or 1.0
    fence = Enclosure.fresh()
    blocks = [
        _block(doc, hit, weights, block_fmt, (hit.score / top) if hit else 1.0 / (1 + rank), fence)
        for rank, (doc, hit) in enumerate(ranked)
    ]
    cached = budgeting.CachedCounter(index.token_counts, index.store_token_counts)

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
        units = _units(doc)
        entries.append({
            "id": doc.id, "title": doc.title, "summary": doc.summary, "kind": doc.kind,
            "trust": doc.trust, "updated": doc.updated,
            "sources": [{"type": t, "ref": r} for t, r in doc.sources],
            "passages": [units[i] for i in picked],
        })  # fmt: skip
    if packed.ids:
        index.record_returned(list(packed.ids), session.timestamp)
    return packed, cached.loaded_encoding, entries


def _stemmed_weights(weights: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for term, weight in weights.items():
        key = stem(term)
        out[key] = max(out.get(key, 0.0), weight)
    return out


def context(
    session: Session, query: str, budget: int, fmt: str = "markdown", scope: str = "",
    kind: str = "", as_of: str | None = None,
) -> ContextResult:  # fmt: skip
    """The best material for `query` packed into `budget` tokens (cl100k_base); with `as_of`
    (a DATE), from the store as it stood then."""
    if budget < 1:
        raise UsageError((BUDGET, " must be at least 1 token"), ("e.g. ", Param("budget", 1500)))
    reader = open_reader(session, as_of)
    index = reader.index
    try:
        limit = max(5, min(60, budget // 50))
        options = Options(limit, scope.strip("/"), kind, as_of=reader.as_of)
        result = reader.explained(reader.engine(session).run(query, options))
        merged = sorted(result.hits + result.expansions, key=lambda h: (-h.score, h.id))
        rows = index.rowid_of([h.id for h in merged])
        docs = {d.id: d for d in index.docs(rows.values()).values()}
        docs.update(index.overviews([h.id for h in merged if h.id.endswith("/")]))
        ranked: list[tuple[Doc, Hit | None]] = [(docs[h.id], h) for h in merged if h.id in docs]
        weights = _stemmed_weights(result.weights or dict.fromkeys(query_terms(query), 1.0))
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
    `as_of` (a DATE), as the store stood then. Superseded entries and entries outside their
    validity window are left out."""
    if budget < 1:
        raise UsageError((BUDGET, " must be at least 1 token"), ("e.g. ", Param("budget", 1000)))
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
    index = Index.open(session.store)
    try:
        counter = budgeting.CachedCounter(index.token_counts, index.store_token_counts)
        rowids = index.all_rowids()
        for start in range(0, len(rowids), 200):
            docs = index.docs(rowids[start : start + 200]).values()
            lines: list[str] = []
            for doc in docs:
                block = _block(doc, None, {}, "markdown", 1.0, Enclosure())
                lines += [f"{line}\n" for line in (*block.header, *block.units, *block.footer)]
            counter(lines)
            if progress is not None:
                progress(min(start + 200, len(rowids)), len(rowids))
        return counter.misses
    finally:
        index.close()
