"""Ranking formulas: hand-computed tables and the 'relevance dominates' guarantee."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from ctxtree.retrieval.scoring import (
    CONFIDENT,
    FTS5_IDF_CLAMP,
    IDF_FLOOR,
    LIFECYCLE_SHARE,
    MATURITY_WEIGHT,
    NOT_IN_MEMORY,
    TYPO_CREDIT,
    compound,
    confidence,
    coverage,
    fts_idf,
    idf,
    idf_lift,
    presence,
    prior,
    ranking,
    recency,
    typo_budget,
)

NOW = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
UNIT = st.floats(min_value=0.0, max_value=1.0)


@pytest.mark.parametrize(
    ("df", "n", "expected"),
    [
        (0, 10, math.log(22.0)),  # 1 + 10.5 / 0.5
        (5, 10, math.log(2.0)),  # 1 + 5.5 / 5.5
        (10, 10, math.log(22.0 / 21.0)),  # 1 + 0.5 / 10.5
        (1, 1, math.log(4.0 / 3.0)),  # 1 + 0.5 / 1.5
        (0, 0, math.log(2.0)),  # 1 + 0.5 / 0.5
        (1, 100, math.log(202.0 / 3.0)),  # 1 + 99.5 / 1.5
        (3, 1000, math.log(2002.0 / 7.0)),  # 1 + 997.5 / 3.5
    ],
)
def test_idf(df: int, n: int, expected: float) -> None:
    assert idf(df, n) == pytest.approx(expected, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**6), st.data())
def test_idf_falls_as_df_rises(n: int, data: st.DataObject) -> None:
    low = data.draw(st.integers(0, n))
    high = data.draw(st.integers(low, n))
    assert idf(high, n) <= idf(low, n)
    if high > low:
        assert idf(high, n) < idf(low, n)
    assert idf(high, n) > 0.0


@pytest.mark.parametrize(
    ("df", "n", "own", "lift"),
    [
        (1, 7, math.log(6.5 / 1.5), 0.0),  # rare: above the floor, untouched
        (2, 7, math.log(5.5 / 2.5), 0.0),  # ln 2.2 > ln 2
        (3, 7, math.log(4.5 / 3.5), math.log(2.0) / math.log(4.5 / 3.5) - 1),  # a third+
        (4, 7, FTS5_IDF_CLAMP, math.log(2.0) / FTS5_IDF_CLAMP - 1),  # "Frank" in 4 of 7
        (7, 7, FTS5_IDF_CLAMP, math.log(2.0) / FTS5_IDF_CLAMP - 1),  # in every entry
        (333, 1000, math.log(667.5 / 333.5), 0.0),  # a third of a big store: at the floor
        (500, 1000, FTS5_IDF_CLAMP, math.log(2.0) / FTS5_IDF_CLAMP - 1),
        (0, 0, FTS5_IDF_CLAMP, math.log(2.0) / FTS5_IDF_CLAMP - 1),  # no store at all
    ],
)
def test_fts_idf_and_the_floor(df: int, n: int, own: float, lift: float) -> None:
    assert fts_idf(df, n) == pytest.approx(own, rel=1e-12)
    assert idf_lift(df, n) == pytest.approx(lift, rel=1e-9)
    # Under the floor every term weighs at least IDF_FLOOR, and a rarer term never less.
    assert fts_idf(df, n) * (1 + idf_lift(df, n)) == pytest.approx(max(own, IDF_FLOOR))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**6), st.data())
def test_the_floor_keeps_rarer_terms_ahead(n: int, data: st.DataObject) -> None:
    low = data.draw(st.integers(0, n))
    high = data.draw(st.integers(low, n))

    def floored(df: int) -> float:
        return fts_idf(df, n) * (1 + idf_lift(df, n))

    assert floored(high) <= floored(low) * (1 + 1e-12)
    assert floored(high) >= IDF_FLOOR * (1 - 1e-12)


WEIGHTS = {"jwt": 2.0, "refresh": 1.0, "token": 1.0}


@pytest.mark.parametrize(
    ("matched", "corrected", "expected"),
    [
        (set(), set(), 0.0),
        ({"jwt"}, set(), 0.5),
        ({"jwt", "refresh", "token"}, set(), 1.0),
        ({"refresh"}, set(), 0.25),
        # A term found only through a typo correction earns TYPO_CREDIT of its weight.
        ({"jwt"}, {"refresh"}, (2.0 + 0.5 * 1.0) / 4.0),
        (set(), {"jwt", "refresh", "token"}, 0.5),
        # An exact match is not also credited as a correction.
        ({"jwt"}, {"jwt"}, 0.5),
        # Terms outside the query weigh nothing.
        ({"unrelated"}, {"other"}, 0.0),
    ],
)
def test_coverage(matched: set[str], corrected: set[str], expected: float) -> None:
    assert TYPO_CREDIT == 0.5
    assert coverage(matched, WEIGHTS, corrected) == pytest.approx(expected, abs=1e-12)


def test_coverage_defaults_to_no_corrections() -> None:
    assert coverage({"jwt"}, WEIGHTS) == 0.5


@pytest.mark.parametrize("weights", [{}, {"a": 0.0}, {"a": 0.0, "b": 0.0}])
def test_coverage_of_weightless_query_is_zero(weights: dict[str, float]) -> None:
    assert coverage({"a", "b"}, weights, {"a"}) == 0.0


@pytest.mark.parametrize(
    ("updated", "tau", "expected"),
    [
        ("2026-11-20T10:00:00Z", 30.0, 1.0),
        ("2026-11-20T12:00:00+02:00", 30.0, 1.0),  # the same instant
        ("2026-10-21T10:00:00Z", 30.0, math.exp(-1.0)),  # age == tau
        ("2026-09-21T10:00:00Z", 30.0, math.exp(-2.0)),
        ("2026-11-19T10:00:00Z", 1.0, math.exp(-1.0)),
        ("2026-11-10T10:00:00", 30.0, math.exp(-10.0 / 30.0)),  # naive: read in now's zone
        ("2026-11-10", 30.0, math.exp(-(10.0 + 10.0 / 24.0) / 30.0)),
        ("2027-01-01T00:00:00Z", 30.0, 1.0),  # future
        ("2026-11-20T10:00:01Z", 30.0, 1.0),
        ("", 30.0, 1.0),
        ("yesterday", 30.0, 1.0),
        ("2026-13-45", 30.0, 1.0),
        ("2020-01-01T00:00:00Z", 0.0, 1.0),  # no decay
        ("2020-01-01T00:00:00Z", -5.0, 1.0),
    ],
)
def test_recency(updated: str, tau: float, expected: float) -> None:
    assert recency(updated, NOW, tau) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**6), 10**6), st.floats(0.0, 1e4, exclude_min=True))
def test_recency_is_a_fraction(minutes: int, tau: float) -> None:
    updated = (NOW - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fresh = recency(updated, NOW, tau)
    assert 0.0 <= fresh <= 1.0
    if minutes <= 0:
        assert fresh == 1.0


@pytest.mark.parametrize(
    ("importance", "maturity", "fresh", "expected"),
    [
        (0, "draft", 0.0, 0.0),
        (100, "core", 1.0, 1.0),
        (50, "validated", 0.5, 0.5),  # 0.25 + 0.15 + 0.1
        (10, "core", 0.0, 0.25),  # 0.05 + 0.2
        (80, "unknown", 1.0, 0.7),  # unknown maturity weighs nothing
        (150, "core", 1.0, 1.0),  # importance clamps to 100
        (-20, "draft", 0.0, 0.0),  # and to 0
        (0, "validated", 0.0, 0.1),
    ],
)
def test_prior(importance: int, maturity: str, fresh: float, expected: float) -> None:
    assert prior(importance, maturity, fresh) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-(10**9), 10**9),
    st.one_of(st.sampled_from(sorted(MATURITY_WEIGHT)), st.text(max_size=10)),
    UNIT,
)
def test_prior_is_a_fraction(importance: int, maturity: str, fresh: float) -> None:
    assert 0.0 <= prior(importance, maturity, fresh) <= 1.0


@pytest.mark.parametrize(
    ("relevance", "cover", "lifecycle", "expected"),
    [
        (1.0, 1.0, 1.0, 1.0),
        (1.0, 0.0, 0.0, 0.6 * 0.85),
        (1.0, 1.0, 0.0, 0.85),
        (0.5, 0.5, 0.5, 0.5 * 0.8 * 0.925),
        (0.0, 1.0, 1.0, 0.0),
    ],
)
def test_compound(relevance: float, cover: float, lifecycle: float, expected: float) -> None:
    assert compound(relevance, cover, lifecycle) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    relevance_a=st.floats(0.01, 1.0),
    cover_a=UNIT,
    cover_b=UNIT,
    excess=st.one_of(st.floats(1e-6, 0.01), st.floats(1e-6, 10.0)),
    prior_a=UNIT,
    prior_b=UNIT,
)
# The tightest corners: the smallest winning lead, the worst prior for A and the best for B.
@example(relevance_a=1.0, cover_a=1.0, cover_b=0.0, excess=1e-6, prior_a=0.0, prior_b=1.0)
@example(relevance_a=0.5, cover_a=0.0, cover_b=1.0, excess=1e-6, prior_a=0.0, prior_b=1.0)
def test_relevance_dominates_the_lifecycle_prior(
    relevance_a: float, cover_a: float, cover_b: float, excess: float, prior_a: float,
    prior_b: float,
) -> None:  # fmt: skip
    # B's query match is worse than A's by more than 1 / (1 - LIFECYCLE_SHARE): no prior,
    # however high for B or low for A, may put B first.
    match_a = relevance_a * (0.6 + 0.4 * cover_a)
    factor = (1.0 + excess) / (1.0 - LIFECYCLE_SHARE)
    relevance_b = match_a / factor / (0.6 + 0.4 * cover_b)
    assume(relevance_b <= 1.0)
    assert compound(relevance_a, cover_a, prior_a) > compound(relevance_b, cover_b, prior_b)


def test_a_smaller_lead_can_be_overturned_by_the_prior() -> None:
    # The bound is tight: a lead of 1.16 < 1 / 0.85 loses to the best prior against the worst.
    assert compound(1.0, 1.0, 0.0) < compound(1.0 / 1.16, 1.0, 1.0)
    assert compound(1.0, 1.0, 1.0) > compound(1.0 / 1.16, 1.0, 0.0)


def logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@pytest.mark.parametrize(
    ("cover", "expected"),
    [
        (0.0, logistic(-2.7)),
        (0.5, logistic(-2.7 + 3.1)),
        (1.0, logistic(-2.7 + 6.2)),
        (2.0, logistic(3.5)),  # clamped above
        (-1.0, logistic(-2.7)),  # and below
    ],
)
def test_presence(cover: float, expected: float) -> None:
    assert presence(cover) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("margin", "expected"),
    [
        (0.0, logistic(-0.3)),
        (0.05, logistic(0.0)),  # a 5% lead: an even chance
        (1.0, logistic(5.7)),
        (5.0, logistic(5.7)),  # clamped above
        (-3.0, logistic(-0.3)),  # and below
    ],
)
def test_ranking(margin: float, expected: float) -> None:
    assert ranking(margin) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("cover", "margin", "expected", "verdict"),
    [
        # Every query word, a clear lead: confident.
        (1.0, 1.0, logistic(3.5) * logistic(5.7), "confident"),
        (1.0, 0.3, logistic(3.5) * logistic(1.5), "confident"),
        # Every word but a tie: two entries are equally likely, neither is sure.
        (1.0, 0.0, logistic(3.5) * logistic(-0.3), "low"),
        # Half the query's weight, a good lead: more likely right than not.
        (0.6, 0.5, logistic(-2.7 + 3.72) * logistic(2.7), "confident"),
        # A quarter of the query's weight is not in memory even when alone.
        (0.25, 1.0, logistic(-2.7 + 1.55) * logistic(5.7), "not in memory"),
        (0.0, 1.0, logistic(-2.7) * logistic(5.7), "not in memory"),
        (0.3, 0.2, logistic(-2.7 + 1.86) * logistic(0.9), "not in memory"),
    ],
)
def test_confidence(cover: float, margin: float, expected: float, verdict: str) -> None:
    value = confidence(cover, margin)
    assert value == pytest.approx(expected, abs=1e-12)
    gate = (
        "confident" if value >= CONFIDENT else "not in memory" if value < NOT_IN_MEMORY else "low"
    )
    assert gate == verdict


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e9, 1e9), st.floats(-1e9, 1e9))
def test_confidence_is_a_fraction(cover: float, margin: float) -> None:
    assert 0.0 <= confidence(cover, margin) <= 1.0


@pytest.mark.parametrize(
    ("term", "edits"),
    [
        ("", 0),
        ("jwt", 0),
        ("auth", 1),
        ("rotate", 1),
        ("refresh", 1),
        ("rotation", 2),
        ("authentication", 2),
        ("café", 0),  # non-ASCII terms are never corrected
        ("東京東京東京", 0),
    ],
)
def test_typo_budget(term: str, edits: int) -> None:
    assert typo_budget(term) == edits
