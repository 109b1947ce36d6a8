"""Passage scoring (retrieval/passages.py): hand-computed tables."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctxtree.retrieval.index import Doc
from ctxtree.retrieval.passages import (
    AFTER,
    BEFORE,
    provenance,
    query_weights,
    smoothed,
    unit_score,
    unit_scores,
    units,
)
from ctxtree.retrieval.tokenize import stem, terms


def doc(title: str, body: str, sources: tuple[tuple[str, str], ...] = (), trust: str = "user",
        kind: str = "note", updated: str = "2026-11-20T10:00:00Z") -> Doc:  # fmt: skip
    return Doc(1, "a/b/c", "tree", title, "", kind, (), (), 50.0, "draft", trust, "agent", "",
               updated, None, None, sources, body)  # fmt: skip


@pytest.mark.parametrize(
    ("unit", "weights", "expected"),
    [
        ("Refresh tokens rotate.", {"refresh": 2.0, "token": 1.0}, 1.0),  # tokens -> token
        ("Refresh only.", {"refresh": 2.0, "token": 1.0}, 2.0 / 3.0),
        ("Nothing here.", {"refresh": 2.0, "token": 1.0}, 0.0),
        ("Refresh.", {}, 0.0),  # no weight at all
        ("Rotated keys.", {"rotat": 1.0, "key": 1.0}, 1.0),  # rotated -> rotat, keys -> key
    ],
)
def test_unit_score(unit: str, weights: dict[str, float], expected: float) -> None:
    assert unit_score(unit, weights) == pytest.approx(expected, abs=1e-12)


_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(list("aeinost ZÉé.,-'東京はパ한ＡＧｶﾞ\n")), st.characters()),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.lists(_TEXT, min_size=1, max_size=4), st.data())
def test_unit_score_skips_only_units_that_cannot_match(
    unit: str, queries: list[str], data: st.DataObject
) -> None:
    """The shortcuts (no query stem in the folded text; only terms starting with one are
    stemmed) give what the definition gives: the idf-weighted share of the query's stems
    among the unit's stems."""
    keys = {stem(term) for text in (*queries, unit) for term in terms(text)}
    if not keys:
        return
    chosen = data.draw(st.lists(st.sampled_from(sorted(keys)), min_size=1, unique=True))
    weights = {key: data.draw(st.floats(0.1, 5.0)) for key in chosen}
    present = {stem(term) for term in terms(unit)}
    expected = sum(w for key, w in weights.items() if key in present) / sum(weights.values())
    assert unit_score(unit, weights) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], ()),
        ([0.0], (0.0,)),
        ([1.0, 0.0, 0.0], (1.0, AFTER, 0.0)),  # the line after a match inherits 0.7
        ([0.0, 0.0, 1.0], (0.0, BEFORE, 1.0)),  # the line before inherits 0.4
        ([0.5, 0.2, 0.5], (0.5, 0.35, 0.5)),  # max(0.2, 0.7 * 0.5, 0.4 * 0.5)
        ([0.1, 1.0, 0.1], (0.4, 1.0, 0.7)),
    ],
)
def test_smoothed(scores: list[float], expected: tuple[float, ...]) -> None:
    assert smoothed(scores) == pytest.approx(expected, abs=1e-12)


def test_unit_scores_without_a_query_favour_earlier_lines() -> None:
    assert unit_scores(["a"] * 12, {}) == pytest.approx(
        (0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.0, 0.0), abs=1e-12
    )
    assert unit_scores(["refresh", "x"], {"refresh": 1.0}) == (1.0, AFTER)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ({"tokens": 1.0, "token": 2.0}, {"token": 2.0}),  # one stem keeps the larger weight
        ({"rotated": 1.5, "keys": 0.5}, {"rotat": 1.5, "key": 0.5}),
        ({}, {}),
    ],
)
def test_query_weights(weights: dict[str, float], expected: dict[str, float]) -> None:
    assert query_weights(weights) == expected


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("Title", "# Title\n\nFirst line.", ["First line."]),  # a heading repeating the title
        ("Title", "# Other\n\nFirst line.", ["# Other", "First line."]),
        ("Title", "", []),
    ],
)
def test_units(title: str, body: str, expected: list[str]) -> None:
    assert units(doc(title, body)) == expected


@pytest.mark.parametrize(
    ("sources", "status", "trust", "expected"),
    [
        ((), "current", "user", "id: a/b/c · note · updated 2026-11-20"),
        ((("commit", "3f2a1c9"),), "superseded", "user",
         "id: a/b/c · note · updated 2026-11-20 · source commit:3f2a1c9 · superseded"),
        ((("turn", "D1:1"), ("url", "u1"), ("url", "u2"), ("url", "u3")), "current", "user",
         "id: a/b/c · note · updated 2026-11-20 · source url:u1, url:u2 (+1)"),
    ],
)  # fmt: skip
def test_provenance(
    sources: tuple[tuple[str, str], ...], status: str, trust: str, expected: str
) -> None:
    assert provenance(doc("T", "", sources, trust), status) == expected
