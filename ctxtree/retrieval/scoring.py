"""Ranking formulas. Pure functions of their arguments, each naming its formula.

Relevance dominates: the lifecycle prior (importance, recency, maturity) can move a score
by at most LIFECYCLE_SHARE (15%), so a popular or important entry never outranks one that
matches the query clearly better. Usage counts do not enter ranking at query time at all:
they reach importance only through `ctx maintain`, as a reviewable commit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime

# FTS5 bm25 column weights, in database.FTS_COLUMNS order: title, summary, keywords, tags, body,
# path. Short fields that name the topic count more than a body word.
FIELD_WEIGHTS = (4.0, 2.5, 3.0, 2.0, 1.0, 2.0)
LIFECYCLE_SHARE = 0.15
MATURITY_WEIGHT = {"draft": 0.0, "validated": 0.5, "core": 1.0}
# A stale entry (its anchored code changed since review) keeps half its lifecycle prior: with
# LIFECYCLE_SHARE at 0.15 it loses at most 7.5% of its score, enough to yield a tie to a
# reviewed entry, never enough to bury the only relevant one.
STALE_FACTOR = 0.5

# Confidence gates, on the [0, 1] confidence below (the probability that the top hit answers
# the query): at or above CONFIDENT the top hit is more likely right than not (exit 0); below
# NOT_IN_MEMORY fewer than one answer in four would be right, so the answer is "not in memory".
CONFIDENT = 0.5
NOT_IN_MEMORY = 0.25
# Hits scoring under this share of the top hit's score are not listed: on the calibration
# sets (bench/calibration.py) they were 12% of all hits and held 4 of 918 right answers.
HIT_FLOOR = 0.1


def idf(df: int, n: int) -> float:
    """BM25's idf: ln(1 + (n - df + 0.5) / (df + 0.5)); a term in no document weighs most."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


# FTS5 ranks with bm25's classic idf, which reaches zero for a term in half the documents and
# is then clamped to FTS5_IDF_CLAMP: in a small store a name in most entries ("Frank" in four of
# seven) stops counting, and only the entry that also matches a rarer word survives the hit
# floor. IDF_FLOOR raises every term to at least the idf a term in a third of a large store
# has (ln 2), so a common term still counts while any rarer term still counts more.
FTS5_IDF_CLAMP = 1e-6
IDF_FLOOR = math.log(2.0)


def fts_idf(df: int, n: int) -> float:
    """FTS5's bm25 idf: ln((n - df + 0.5) / (df + 0.5)), FTS5_IDF_CLAMP when not positive."""
    value = math.log((n - df + 0.5) / (df + 0.5)) if n > 0 else 0.0
    return value if value > 0 else FTS5_IDF_CLAMP


def idf_lift(df: int, n: int) -> float:
    """How much a term's FTS5 bm25 contribution is multiplied by under the idf floor:
    max(fts_idf, IDF_FLOOR) / fts_idf - 1 is added to it (0 for a term rarer than the floor)."""
    own = fts_idf(df, n)
    return max(0.0, IDF_FLOOR / own - 1.0)


TYPO_CREDIT = 0.5


def coverage(
    matched: set[str],
    weights: dict[str, float],
    corrected: set[str] = frozenset(),  # type: ignore[assignment]
) -> float:
    """Share of the query's idf mass present in a document:
    (sum idf(matched) + TYPO_CREDIT * sum idf(matched only through a typo correction))
    / sum idf(all query terms)."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    exact = sum(w for term, w in weights.items() if term in matched)
    fuzzy = sum(w for term, w in weights.items() if term in corrected and term not in matched)
    return (exact + TYPO_CREDIT * fuzzy) / total


def recency(updated: str, now: datetime, tau_days: float) -> float:
    """exp(-age / tau), age in days since `updated` (1.0 when unknown or in the future)."""
    if not updated:
        return 1.0
    try:
        moment = datetime.fromisoformat(updated.replace("Z", "+00:00"))
    except ValueError:
        return 1.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    age = max(0.0, (now - moment).total_seconds() / 86400.0)
    return math.exp(-age / tau_days) if tau_days > 0 else 1.0


def prior(importance: float, maturity: str, fresh: float, stale: bool = False) -> float:
    """Lifecycle prior in [0, 1]: (0.5 * importance/100 + 0.3 * recency + 0.2 * maturity),
    times STALE_FACTOR for an entry whose anchored code changed since it was reviewed."""
    imp = min(100, max(0, importance)) / 100.0
    base = 0.5 * imp + 0.3 * fresh + 0.2 * MATURITY_WEIGHT.get(maturity, 0.0)
    return base * STALE_FACTOR if stale else base


def compound(relevance: float, cover: float, lifecycle: float) -> float:
    """Final score: relevance (normalised to the best hit) * (0.6 + 0.4 * coverage)
    * (1 - LIFECYCLE_SHARE + LIFECYCLE_SHARE * prior)."""
    return relevance * (0.6 + 0.4 * cover) * (1.0 - LIFECYCLE_SHARE + LIFECYCLE_SHARE * lifecycle)


@dataclass(frozen=True)
class Signals:
    """What tier 2 knows about its top hit when it gauges confidence."""

    coverage: float  # the top hit's coverage of the query (see `coverage`)
    margin: float  # its lead over the second hit, relative to its own score (1 when alone)

    def to_json(self) -> dict[str, float]:
        return {k: round(float(v), 4) for k, v in asdict(self).items()}


# Logistic coefficients (intercept, slope) fitted by `bench/calibration.py --fit` on the demo
# questions and the LoCoMo development split, each set weighing the same (bench/README.md).
PRESENCE_FIT = (-2.7, 6.2)  # on coverage
RANKING_FIT = (-0.3, 6.0)  # on margin


# Part of the query cache's key: a cached answer is only reused under the same calibration.
CALIBRATION = f"{PRESENCE_FIT}{RANKING_FIT}{HIT_FLOOR}{FIELD_WEIGHTS}{IDF_FLOOR}"


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def presence(cover: float) -> float:
    """How likely the answer is in memory at all: 1 / (1 + exp(-(-2.7 + 6.2 * coverage))).
    Questions whose answer is absent share few of their rare words with any entry."""
    a, b = PRESENCE_FIT
    return _logistic(a + b * max(0.0, min(1.0, cover)))


def ranking(margin: float) -> float:
    """How likely the first hit is the one, given the answer is there:
    1 / (1 + exp(-(-0.3 + 6.0 * margin))); a tie (margin 0) is close to a coin toss."""
    a, b = RANKING_FIT
    return _logistic(a + b * max(0.0, min(1.0, margin)))


def confidence(cover: float, margin: float) -> float:
    """The probability that the top hit answers the query: presence(coverage) *
    ranking(margin), in [0, 1]. Fitted so that, per bucket, it matches how often the top hit
    was right on the calibration sets (bench/calibration.py)."""
    return presence(cover) * ranking(margin)


def typo_budget(term: str) -> int:
    """Edits allowed when correcting a query term: none under 4 characters, 1 up to 7, 2 above."""
    if len(term) < 4 or not term.isascii():
        return 0
    return 1 if len(term) <= 7 else 2
