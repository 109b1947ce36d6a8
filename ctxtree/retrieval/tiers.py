"""The progressive read path, tiers 0-2: cache, direct hits, field-weighted BM25.

Each tier either answers or says why it did not, so `--explain` can show the whole path.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from ctxtree.retrieval import scoring
from ctxtree.retrieval.cache import digest
from ctxtree.retrieval.index import Doc, Index
from ctxtree.retrieval.refresh import OVERVIEW
from ctxtree.retrieval.tokenize import fold, query_terms, stem, stems
from ctxtree.tree import validity
from ctxtree.tree.paths import SLUG_RE


@dataclass(frozen=True)
class Options:
    """What a read asks for besides its words: how many hits, where, which kind and status."""

    limit: int = 10
    scope: str = ""
    kind: str = ""
    include_superseded: bool = False
    include_archived: bool = False
    as_of: str = ""
    # Correct query words the index lacks (rapidfuzz, ~20 ms to import). A prompt hook turns
    # it off: a prompt is long natural text, and its words missing from memory are not typos.
    typos: bool = True

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class Hit:
    """One entry a read returns, with its score, the tier that found it and a snippet."""

    id: str
    title: str
    score: float
    tier: int
    snippet: str
    kind: str
    trust: str
    updated: str
    coverage: float
    via: str = ""  # "" for a direct hit; "related:<id>", "neighbour:<id>" for expansions
    status: str = "current"  # current | superseded | archived | expired | not_yet_valid
    stale: bool = False  # its anchored code changed since it was last reviewed

    def to_json(self) -> dict[str, Any]:
        # asdict() without its deep copy (every field is a str, number or bool): every
        # uncached answer stores its hits and expansions (up to ~120) in the query cache.
        return {name: getattr(self, name) for name in _HIT_FIELDS}


_HIT_FIELDS = tuple(item.name for item in fields(Hit))


@dataclass
class Retrieval:
    """A read's answer: hits and expansions, the tier that answered, and its confidence."""

    query: str
    hits: list[Hit]
    expansions: list[Hit]
    tier: int
    confidence: float
    confident: bool
    not_in_memory: bool
    elapsed_ms: float = 0.0
    explain: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)  # query term -> idf
    signals: dict[str, float] = field(default_factory=dict)  # what tier 2's confidence saw
    # A broad request: the words name folders, not what is in entries; the hits are those
    # folders' most important entries, not matches (see Engine._broad).
    broad: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "tier": self.tier,
            "confidence": round(self.confidence, 3),
            "confident": self.confident,
            "not_in_memory": self.not_in_memory,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "hits": [h.to_json() for h in self.hits],
            "expansions": [h.to_json() for h in self.expansions],
            "explain": self.explain,
            "weights": self.weights,
            "signals": self.signals,
            "broad": self.broad,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Retrieval:
        return Retrieval(
            query=data["query"],
            hits=[Hit(**h) for h in data["hits"]],
            expansions=[Hit(**h) for h in data["expansions"]],
            tier=data["tier"],
            confidence=data["confidence"],
            confident=data["confident"],
            not_in_memory=data["not_in_memory"],
            explain=list(data["explain"]),
            weights=dict(data.get("weights", {})),
            signals=dict(data.get("signals", {})),
            broad=bool(data.get("broad", False)),
        )


def normalise(query: str) -> str:
    return " ".join(fold(query).split())


def status_of(doc: Doc, superseded: set[str], when: str) -> str:
    """archived, superseded, expired or not_yet_valid (validity window at the UTC instant
    `when`, see tree.validity), else current."""
    if doc.area == "archive":
        return "archived"
    if doc.id in superseded:
        return "superseded"
    if doc.valid_from or doc.valid_until:
        return validity.state(doc.valid_from, doc.valid_until, when)
    return "current"


def _allowed(doc: Doc, status: str, options: Options) -> bool:
    if doc.kind == OVERVIEW:
        return False  # folder overviews give hits their setting; they are not hits
    if options.scope and not (doc.id == options.scope or doc.id.startswith(options.scope + "/")):
        return False
    if options.kind and doc.kind != options.kind:
        return False
    if status == "superseded" and not options.include_superseded:
        return False
    if status == "archived" and not options.include_archived:
        return False
    # Outside its validity window an entry is out of date like a superseded one.
    return status not in (validity.EXPIRED, validity.NOT_YET_VALID) or options.include_superseded


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def snippet(doc: Doc, wanted: set[str], width: int = 180) -> str:
    """The body line or sentence sharing most terms with the query, cut at a word boundary."""
    best, best_score = doc.summary, -1
    for piece in _SENTENCE.split(doc.body):
        piece = piece.strip().lstrip("#").strip()
        if not piece or piece == doc.title:
            continue  # the heading repeats the title, which is shown anyway
        # A stem is a prefix of a term of the folded text (as in passages.unit_score): a
        # piece whose folded text holds no wanted stem scores 0 without being tokenized.
        folded = fold(piece)
        score = len(wanted.intersection(stems(piece))) if any(w in folded for w in wanted) else 0
        if score > best_score:
            best, best_score = piece, score
    if len(best) <= width:
        return best
    return best[:width].rsplit(" ", 1)[0] + "…"


class Engine:
    """Runs tiers 0-2 on an open index."""

    def __init__(self, index: Index, now: datetime, tau_days: float = 30.0) -> None:
        self.index = index
        self.now = now
        self.tau_days = tau_days
        self._read: dict[int, Doc] = {}  # the documents the current read has loaded

    def documents(self, rowids: Iterable[int]) -> dict[int, Doc]:
        """`Index.docs` for the current read (ascending rowid): ranking, expansion and then
        packing ask for many of the same documents, each read once. `run` starts afresh, so
        nothing outlives one query."""
        wanted = sorted(set(rowids))
        missing = [r for r in wanted if r not in self._read]
        if missing:
            self._read.update(self.index.docs(missing))
        return {r: self._read[r] for r in wanted if r in self._read}

    # ---- tier 0 ----------------------------------------------------------------------------
    def when(self, options: Options) -> str:
        """The instant validity windows are judged at: `as_of`, else now."""
        return options.as_of or validity.iso(self.now)

    def _cache_key(self, query: str, options: Options) -> str:
        # Same tree revision, but a validity window may have opened or closed since.
        windows = validity.epoch(*self.index.windows(), self.when(options))
        raw = (
            f"{normalise(query)}\x00{options.key()}\x00{self.index.generation()}\x00{windows}"
            f"\x00{scoring.CALIBRATION}\x00{self.tau_days!r}"  # recency ranks with it
        )
        return digest(raw, 32)

    def run(self, query: str, options: Options, use_cache: bool = True) -> Retrieval:
        started = time.perf_counter()
        self._read = {}
        key = self._cache_key(query, options)
        if use_cache:
            cached = self.index.query_cache.get(key)
            if cached is not None:
                result = Retrieval.from_json(json.loads(cached))
                result.explain = [
                    "tier 0: answered from the query cache (same query, options and tree revision)",
                    *result.explain,
                ]
                result.tier = 0
                result.elapsed_ms = (time.perf_counter() - started) * 1000
                return result
        result = self._search(query, options)
        self.index.query_cache.put(key, json.dumps(result.to_json()), int(time.time()))
        result.explain.insert(0, "tier 0: not cached for this tree revision")
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    # ---- tiers 1 and 2 ---------------------------------------------------------------------
    def _search(self, query: str, options: Options) -> Retrieval:
        """Tier 1 (an id or exact title), else tier 2: weigh the query's terms, match them,
        score and filter the candidates, then let a near-exact title or keyword (tier 1)
        take the lead or rank by score, and gauge confidence."""
        explain: list[str] = []
        when = self.when(options)
        superseded = self.index.superseded()
        direct = self._direct(query, options, superseded, when, explain)
        if direct is not None:
            return direct
        words = query_terms(query)
        if not words:
            explain.append("tier 2: the query has no searchable terms")
            return _nothing(query, explain, [])
        terms = self._weigh(words, explain, options.typos)
        candidates = self.index.match(
            terms.fts_query(), scoring.FIELD_WEIGHTS, max(60, options.limit * 6)
        )
        if not candidates:
            explain.append(f"tier 2: no entry contains any of: {', '.join(words)}")
            return _nothing(query, explain, words)
        candidates = self._floored(candidates, terms, explain)
        scored = self._score(candidates, terms, options, superseded, when)
        if not scored or self._names_only_folders(candidates, scored, terms):
            broad = self._broad(query, candidates, terms, options, superseded, when, explain)
            if broad is not None:
                return broad
        if not scored:
            explain.append("tier 2: matches exist but all are filtered out (scope, kind, status)")
            return _nothing(query, explain, words)
        floor = scoring.HIT_FLOOR * scored[0].score
        scored = [s for s in scored if s.score >= floor]
        near = self._near_exact(query, words, [s.doc for s in scored[:10]])
        if near is not None:
            result = self._near_exact_answer(query, near, scored, terms, options, explain)
        else:
            result = self._ranked_answer(query, scored, terms, len(candidates), options, explain)
        result.expansions = self._expand(result.hits, options, superseded, when)
        return result

    def _weigh(self, words: list[str], explain: list[str], typos: bool = True) -> Terms:
        """Each query word's idf; a word the index lacks also matches its typo corrections
        (with `typos`)."""
        n = max(1, self.index.count())
        groups: dict[str, list[str]] = {}
        weights: dict[str, float] = {}
        frequencies: dict[str, int] = {}
        for word in words:
            df = self.index.doc_frequency(_quote(word))
            alternatives = [word]
            if df == 0 and typos:
                alternatives += self._corrections(word)
                if len(alternatives) > 1:
                    explain.append(
                        f"tier 2: '{word}' is not in the index; also trying "
                        f"{', '.join(alternatives[1:])}"
                    )
                    df = self.index.doc_frequency(_group(alternatives))
            groups[word] = alternatives
            weights[word] = scoring.idf(df, n)
            frequencies[word] = df
        return Terms(words, groups, weights, frequencies)

    def _floored(
        self, candidates: list[tuple[int, float]], terms: Terms, explain: list[str]
    ) -> list[tuple[int, float]]:
        """Candidates re-ranked under the idf floor (scoring.IDF_FLOOR): each common term's
        FTS5 bm25 contribution, read from a query for that term alone, is lifted by
        scoring.idf_lift; best first by (-relevance, rowid)."""
        n = self.index.count()
        lifts = {
            word: lift
            for word, df in terms.frequencies.items()
            if len(terms.groups[word]) == 1 and (lift := scoring.idf_lift(df, n)) > 0 and df
        }
        if not lifts:
            return candidates
        relevance = dict(candidates)
        rowids = list(relevance)
        for word, lift in lifts.items():
            own = self.index.match_among(_quote(word), scoring.FIELD_WEIGHTS, rowids)
            for rowid, part in own.items():
                relevance[rowid] += part * lift
        explain.append(
            f"tier 2: idf floor lifts {', '.join(lifts)} (in more than a third of the store)"
        )
        return sorted(relevance.items(), key=lambda item: (-item[1], item[0]))

    def _names_only_folders(
        self, candidates: list[tuple[int, float]], scored: list[Scored], terms: Terms
    ) -> bool:
        """True when the query's words name folders of the hits and no hit holds any of them
        in its own text (title, summary, keywords, tags, body): only its path matched."""
        wanted = terms.stems()
        if not any(_folder_words(s.doc.id) & wanted for s in scored[:10]):
            return False
        text = f"{{{' '.join(TEXT_COLUMNS)}}} : ({terms.fts_query()})"
        in_text = self.documents(self.index.containing(text, [r for r, _s in candidates]))
        allowed = {s.doc.id for s in scored}
        return not any(doc.id in allowed for doc in in_text.values())

    def _broad(
        self, query: str, candidates: list[tuple[int, float]], terms: Terms, options: Options,
        superseded: set[str], when: str, explain: list[str],
    ) -> Retrieval | None:  # fmt: skip
        """A broad request ("tell me about people"): its words match folders (a folder's name
        or its context.md overview), not entries. Better than nothing: the BROAD_FOLDERS
        folders with the highest summed relevance of their matching overviews and
        path-matched entries, and their entries ranked by lifecycle prior (scoring.prior),
        ties by id. Marked broad, with a low confidence (scoring.NOT_IN_MEMORY): these are
        not matches for the words."""
        wanted = terms.stems()
        docs = self.documents([r for r, _s in candidates])
        folders: dict[str, float] = {}
        for rowid, relevance in candidates:
            doc = docs.get(rowid)
            if doc is None:
                continue
            folder = doc.id.rstrip("/") if doc.kind == OVERVIEW else _named_folder(doc.id, wanted)
            if folder and not (options.scope and not _inside(folder, options.scope)):
                folders[folder] = folders.get(folder, 0.0) + relevance
        best = [f for f, _r in sorted(folders.items(), key=lambda fr: (-fr[1], fr[0]))]
        best = best[:BROAD_FOLDERS]
        if not best:
            return None
        found = self.documents(self.index.under(best, 20 * options.limit))
        ranked: list[tuple[float, Doc, str]] = []
        for doc in found.values():
            status = status_of(doc, superseded, when)
            if not _allowed(doc, status, options):
                continue
            fresh = scoring.recency(doc.updated, self.now, self.tau_days)
            ranked.append((scoring.prior(doc.importance, doc.maturity, fresh, doc.stale), doc,
                           status))  # fmt: skip
        if not ranked:
            return None
        ranked.sort(key=lambda item: (-item[0], item[1].id))
        hits = [
            Hit(doc.id, doc.title, round(value, 4), 2, doc.summary or snippet(doc, wanted),
                doc.kind, doc.trust, doc.updated, 0.0, status=status, stale=doc.stale)
            for value, doc, status in ranked[: options.limit]
        ]  # fmt: skip
        named = ", ".join(w for w in terms.words if terms.frequencies.get(w))
        explain.append(
            f"tier 2: broad request: {named} name folders, not entries; "
            f"the most important entries of {', '.join(f + '/' for f in best)}"
        )
        return Retrieval(query, hits, [], 2, scoring.NOT_IN_MEMORY, False, False,
                         explain=explain, terms=terms.words, weights=terms.weights,
                         broad=True)  # fmt: skip

    def _score(
        self, candidates: list[tuple[int, float]], terms: Terms, options: Options,
        superseded: set[str], when: str,
    ) -> list[Scored]:  # fmt: skip
        """The allowed candidates with their compound score, best first by (-score, id)."""
        rowids = [r for r, _s in candidates]
        docs = self.documents(rowids)
        matched: dict[int, set[str]] = {r: set() for r in rowids}
        corrected: dict[int, set[str]] = {r: set() for r in rowids}
        for word, alts in terms.groups.items():
            exact = self.index.containing(_quote(word), rowids)
            for rowid in exact:
                matched[rowid].add(word)
            if len(alts) > 1:
                for rowid in self.index.containing(_group(alts[1:]), rowids) - exact:
                    corrected[rowid].add(word)
        best_relevance = candidates[0][1] or 1.0
        scored: list[Scored] = []
        for rowid, relevance in candidates:
            doc = docs.get(rowid)
            if doc is None:
                continue
            status = status_of(doc, superseded, when)
            if not _allowed(doc, status, options):
                continue
            cover = scoring.coverage(matched[rowid], terms.weights, corrected[rowid])
            fresh = scoring.recency(doc.updated, self.now, self.tau_days)
            lifecycle = scoring.prior(doc.importance, doc.maturity, fresh, doc.stale)
            score = scoring.compound(relevance / best_relevance, cover, lifecycle)
            scored.append(Scored(score, doc, cover, status))
        scored.sort(key=lambda s: (-s.score, s.doc.id))
        return scored

    def _near_exact_answer(
        self, query: str, near: tuple[Doc, float, str], scored: list[Scored], terms: Terms,
        options: Options, explain: list[str],
    ) -> Retrieval:  # fmt: skip
        """Tier 1: the near-exact title or keyword leads, at no less than the top score."""
        doc, ratio, what = near
        explain.append(f"tier 1: near-exact {what} of {doc.id} (similarity {ratio:.0f}/100)")
        lead = next(s for s in scored if s.doc.id == doc.id)
        rest = [s for s in scored if s is not lead]
        score = max(lead.score, rest[0].score if rest else 0.0)
        wanted = terms.stems()
        first = Hit(doc.id, doc.title, round(score, 4), 1, snippet(doc, wanted), doc.kind,
                    doc.trust, doc.updated, 1.0, status=lead.status, stale=doc.stale)  # fmt: skip
        others = [s for s in scored[: options.limit] if s is not lead]
        hits = [first, *(_hit(s, wanted) for s in others)][: options.limit]
        return Retrieval(query, hits, [], 1, max(ratio / 100, 0.9), True, False,
                         explain=explain, terms=terms.words, weights=terms.weights)  # fmt: skip

    def _ranked_answer(
        self, query: str, scored: list[Scored], terms: Terms, candidates: int, options: Options,
        explain: list[str],
    ) -> Retrieval:  # fmt: skip
        """Tier 2: hits by score, with the confidence that the first one answers."""
        top = scored[0]
        second = scored[1].score if len(scored) > 1 else 0.0
        margin = (top.score - second) / top.score if top.score > 0 else 0.0
        signals = scoring.Signals(coverage=top.cover, margin=margin)
        conf = scoring.confidence(top.cover, margin)
        explain.append(
            f"tier 2: {candidates} candidates for {len(terms.words)} terms; top score "
            f"{top.score:.3f}, margin {margin:.2f}, coverage {top.cover:.2f}, confidence "
            f"{conf:.2f} (confident at >= {scoring.CONFIDENT}, not in memory below "
            f"{scoring.NOT_IN_MEMORY})"
        )
        wanted = terms.stems()
        return Retrieval(
            query=query,
            hits=[_hit(s, wanted) for s in scored[: options.limit]],
            expansions=[],
            tier=2,
            confidence=conf,
            confident=conf >= scoring.CONFIDENT,
            not_in_memory=conf < scoring.NOT_IN_MEMORY,
            explain=explain,
            terms=terms.words,
            weights=terms.weights,
            signals=signals.to_json(),
        )

    def _direct(
        self, query: str, options: Options, superseded: set[str], when: str, explain: list[str]
    ) -> Retrieval | None:
        text = query.strip().removeprefix("tree/").removesuffix(".md").strip("/")
        parts = text.split("/")
        if 3 <= len(parts) <= 4 and all(SLUG_RE.fullmatch(p) for p in parts):
            doc = self.index.doc_by_id(text)
            if doc is not None:
                status = status_of(doc, superseded, when)
                explain.append("tier 1: the query is an entry id")
                hit = Hit(doc.id, doc.title, 1.0, 1, doc.summary, doc.kind, doc.trust,
                          doc.updated, 1.0, status=status, stale=doc.stale)  # fmt: skip
                return Retrieval(query, [hit], self._expand([hit], options, superseded, when),
                                 1, 1.0, True, False, explain=explain)  # fmt: skip
            explain.append("tier 1: looks like an id, but no such entry")
        rowids = self.index.rowids_by_title(fold(query).strip())
        if rowids:
            docs = [d for d in self.documents(rowids).values()]
            docs = [d for d in docs if _allowed(d, status_of(d, superseded, when), options)]
            if docs:
                explain.append("tier 1: the query is an entry's exact title")
                hits = [
                    Hit(d.id, d.title, 1.0, 1, d.summary, d.kind, d.trust, d.updated, 1.0,
                        status=status_of(d, superseded, when), stale=d.stale)
                    for d in sorted(docs, key=lambda d: d.id)
                ]  # fmt: skip
                return Retrieval(query, hits, self._expand(hits, options, superseded, when),
                                 1, 1.0, True, False, explain=explain)  # fmt: skip
        explain.append("tier 1: not an id or an exact title")
        return None

    def _near_exact(
        self, query: str, words: list[str], docs: list[Doc]
    ) -> tuple[Doc, float, str] | None:
        """A title or keyword that is the query give or take a typo (rapidfuzz ratio >=
        NEAR_RATIO). rapidfuzz is imported only when a title already shares most of the
        query's terms and could reach that ratio (`could_be_near`)."""
        if not words or len(words) > 10:
            return None
        wanted = normalise(query)
        for doc in docs:
            if any(normalise(k) == wanted for k in doc.keywords):
                return doc, 100.0, "keyword"
        for doc in docs:
            title_terms = set(query_terms(doc.title))
            shared = len(title_terms.intersection(words))
            if not title_terms or shared < 0.6 * max(len(words), len(title_terms)):
                continue
            title = normalise(doc.title)
            if not could_be_near(wanted, title, NEAR_RATIO):
                continue
            from rapidfuzz import fuzz

            ratio = float(fuzz.ratio(wanted, title))
            if ratio >= NEAR_RATIO:
                return doc, ratio, "title"
        return None

    def _corrections(self, word: str) -> list[str]:
        budget = scoring.typo_budget(word)
        if budget == 0:
            return []
        from rapidfuzz.distance import Levenshtein

        near = [
            (Levenshtein.distance(word, term, score_cutoff=budget), term)
            for term in self.index.vocabulary_near(word)
        ]
        close = sorted((d, t) for d, t in near if d <= budget and t != word)
        return [t for _d, t in close[:3]]

    def _expand(
        self, hits: list[Hit], options: Options, superseded: set[str], when: str
    ) -> list[Hit]:
        """Neighbours that help read the hits: declared relations both ways, and the entries
        right before and after an episode in its topic (conversation turns need context)."""
        seen = {h.id for h in hits}
        out: dict[str, tuple[float, str]] = {}
        ids = [h.id for h in hits]
        by_id = {h.id: h for h in hits}
        rowids = self.index.rowid_of(ids)
        for src, dst, rtype in self.index.links_from(list(rowids.values())):
            parent = next((i for i, r in rowids.items() if r == src), "")
            if parent and dst not in seen and rtype != "supersedes":
                score = by_id[parent].score * 0.5
                if score > out.get(dst, (0.0, ""))[0]:
                    out[dst] = (score, f"{rtype}:{parent}")
        if ids:
            backlinks = self.index.links_to(ids)
            sources = self.documents({src for src, _dst, _rtype in backlinks})
            for src, dst, rtype in backlinks:
                doc = sources.get(src)
                if doc is not None and doc.id not in seen and rtype != "supersedes":
                    score = by_id[dst].score * 0.45
                    if score > out.get(doc.id, (0.0, ""))[0]:
                        out[doc.id] = (score, f"backlink:{dst}")
        for hit in hits:
            if hit.kind == "episode":
                for near in self.index.neighbours(hit.id, 1):
                    if near not in seen:
                        score = hit.score * 0.6
                        if score > out.get(near, (0.0, ""))[0]:
                            out[near] = (score, f"neighbour:{hit.id}")
        parents: dict[str, tuple[float, str]] = {}
        for hit in hits[:3]:
            if hit.kind == "episode":
                continue  # an episode's title already names its setting (who, when)
            parts = hit.id.split("/")
            for depth, share in ((len(parts) - 1, 0.35), (1, 0.25)):
                folder = "/".join(parts[:depth]) + "/"
                score = hit.score * share
                if score > parents.get(folder, (0.0, ""))[0]:
                    parents[folder] = (score, f"parent:{hit.id}")
        overviews = self.index.overviews(list(parents))
        if not out and not overviews:
            return []
        rows = self.index.rowid_of(list(out))
        docs = self.documents(rows.values())
        expanded = []
        for doc in docs.values():
            status = status_of(doc, superseded, when)
            if not _allowed(doc, status, options):
                continue
            score, via = out[doc.id]
            expanded.append(Hit(doc.id, doc.title, round(score, 4), 2, doc.summary, doc.kind,
                                doc.trust, doc.updated, 0.0, via=via, status=status,
                                stale=doc.stale))  # fmt: skip
        for folder, doc in overviews.items():
            score, via = parents[folder]
            expanded.append(Hit(doc.id, doc.title, round(score, 4), 2, doc.summary, OVERVIEW,
                                doc.trust, doc.updated, 0.0, via=via, stale=doc.stale))  # fmt: skip
        expanded.sort(key=lambda h: (-h.score, h.id))
        return expanded


# A title this similar to the query (rapidfuzz's ratio, 0-100) is the query give or take a typo.
NEAR_RATIO = 90


def could_be_near(a: str, b: str, at_least: int) -> bool:
    """False when rapidfuzz's `fuzz.ratio(a, b)` is surely below `at_least`, so it need not
    be loaded (~20 ms) to compute it. The ratio is 200 * LCS / (len(a) + len(b)), and the
    longest common subsequence holds no more of a character than either string does:
    LCS <= sum of min(count in a, count in b) over characters. Integer arithmetic, so the
    bound is exact."""
    total = len(a) + len(b)
    if 200 * min(len(a), len(b)) < at_least * total:
        return False
    shared = sum(min(n, b.count(ch)) for ch, n in Counter(a).items())
    return 200 * shared >= at_least * total


# A broad request draws on this many of its best-matching folders.
BROAD_FOLDERS = 3
# The FTS columns that hold an entry's own text (all but its path).
TEXT_COLUMNS = ("title", "summary", "keywords", "tags", "body")


def _folder_words(entry_id: str) -> set[str]:
    """Stems of the words of an entry's folder names (its id without the last part)."""
    return {stem(w) for part in entry_id.split("/")[:-1] for w in re.split(r"[-_]", part) if w}


def _named_folder(entry_id: str, wanted: set[str]) -> str:
    """The deepest folder of `entry_id` whose name holds one of the `wanted` stems, or ''."""
    parts = entry_id.split("/")[:-1]
    for depth in range(len(parts), 0, -1):
        if {stem(w) for w in re.split(r"[-_]", parts[depth - 1]) if w} & wanted:
            return "/".join(parts[:depth])
    return ""


def _inside(folder: str, scope: str) -> bool:
    return folder == scope or folder.startswith(scope + "/") or scope.startswith(folder + "/")


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _group(alternatives: list[str]) -> str:
    if len(alternatives) == 1:
        return _quote(alternatives[0])
    return "(" + " OR ".join(_quote(a) for a in alternatives) + ")"


@dataclass(frozen=True)
class Terms:
    """A query's words as tier 2 searches them."""

    words: list[str]
    groups: dict[str, list[str]]  # word -> [word, *typo corrections]
    weights: dict[str, float]  # word -> idf (of the word or, when absent, its corrections)
    frequencies: dict[str, int] = field(default_factory=dict)  # word -> document frequency

    def fts_query(self) -> str:
        return " OR ".join(_group(alts) for alts in self.groups.values())

    def stems(self) -> set[str]:
        return {stem(w) for w in self.words}


@dataclass(frozen=True)
class Scored:
    """A candidate that passed the filters, with its compound score and coverage."""

    score: float
    doc: Doc
    cover: float
    status: str


def _hit(item: Scored, wanted: set[str]) -> Hit:
    doc = item.doc
    return Hit(doc.id, doc.title, round(item.score, 4), 2, snippet(doc, wanted), doc.kind,
               doc.trust, doc.updated, round(item.cover, 3), status=item.status,
               stale=doc.stale)  # fmt: skip


def _nothing(query: str, explain: list[str], words: list[str]) -> Retrieval:
    return Retrieval(query, [], [], 2, 0.0, False, True, explain=explain, terms=words)
