"""Ranking formulas. Pure functions of their arguments, each naming its formula.

Relevance dominates: the lifecycle prior (importance, recency, maturity) can move a score
by at most LIFECYCLE_SHARE (15%), so a popular or important entry never outranks one that
matches the query clearly better. Usage counts do not enter ranking at query time at all:
they reach importance only through `ctx maintain`, as a reviewable commit.
"""

from __future__ import annotations

import math
from datetime import datetime

# FTS5 bm25 column weights, in database.FTS_COLUMNS order: title, summary, keywords, tags, body,
# path. Short fields that name the topic count more than a body word.
FIELD_WEIGHTS = (4.0, 2.5, 3.0, 2.0, 1.0, 2.0)
LIFECYCLE_SHARE = 0.15
MATURITY_WEIGHT = {"draft": 0.0, "validated": 0.5, "core": 1.0}

# Confidence gates, on the [0, 1] confidence below. Calibrated on the demo store and the
# LoCoMo development split (bench/locomo.py prints the distribution): answers at or above
# CONFIDENT carry at least half of the query's information; below NOT_IN_MEMORY the best
# hit matches less than a quarter of it and is reported as "not in memory".
CONFIDENT = 0.5
NOT_IN_MEMORY = 0.25


def idf(df: int, n: int) -> float:
    """BM25's idf: ln(1 + (n - df + 0.5) / (df + 0.5)); a term in no document weighs most."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


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


def prior(importance: float, maturity: str, fresh: float) -> float:
    """Lifecycle prior in [0, 1]: 0.5 * importance/100 + 0.3 * recency + 0.2 * maturity."""
    imp = min(100, max(0, importance)) / 100.0
    return 0.5 * imp + 0.3 * fresh + 0.2 * MATURITY_WEIGHT.get(maturity, 0.0)


def compound(relevance: float, cover: float, lifecycle: float) -> float:
    """Final score: relevance (normalised to the best hit) * (0.6 + 0.4 * coverage)
    * (1 - LIFECYCLE_SHARE + LIFECYCLE_SHARE * prior)."""
    return relevance * (0.6 + 0.4 * cover) * (1.0 - LIFECYCLE_SHARE + LIFECYCLE_SHARE * lifecycle)


def confidence(cover: float, margin: float) -> float:
    """How sure the top answer is: coverage * (0.85 + 0.15 * margin), margin being the top
    score's lead over the second, relative to the top (0 when tied, 1 when alone)."""
    return max(0.0, min(1.0, cover * (0.85 + 0.15 * max(0.0, min(1.0, margin)))))


def typo_budget(term: str) -> int:
    """Edits allowed when correcting a query term: none under 4 characters, 1 up to 7, 2 above."""
    if len(term) < 4 or not term.isascii():
        return 0
    return 1 if len(term) <= 7 else 2
