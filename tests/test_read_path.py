"""The read path's shortcuts give what the long way gives: each skips work (a module load, a
query) only where the answer is already known."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from ctxtree.retrieval import database
from ctxtree.retrieval.cache import CACHE_SIZE, QueryCache
from ctxtree.retrieval.tiers import NEAR_RATIO, could_be_near
from ctxtree.tree import validity

WORDS = st.text(alphabet="abcdeé nio", max_size=30)


@pytest.mark.parametrize(
    ("query", "title", "expected"),
    [
        ("stes dapu vas", "stes dapu vas fil", False),  # ratio 86.7: too long to be near
        ("refresh token rotaton", "refresh token rotation", True),  # one typo: ratio 97.7
        ("abc", "xyz", False),  # same length, no character in common
        ("ab", "ba", True),  # the bound passes, the ratio (50) does not: rapidfuzz decides
        ("", "", True),
    ],
)
def test_could_be_near(query: str, title: str, expected: bool) -> None:
    assert could_be_near(query, title, NEAR_RATIO) is expected


@settings(max_examples=400)
@given(WORDS, WORDS, st.integers(min_value=50, max_value=100))
@example("wit ni tun tra", "kio wit ni tun tra", 90)  # ratio 87.5
@example("aaab", "aaa", 86)  # ratio 85.7, one character short of the bound
def test_could_be_near_never_skips_a_near_title(a: str, b: str, at_least: int) -> None:
    if fuzz.ratio(a, b) >= at_least:
        assert could_be_near(a, b, at_least)


@pytest.mark.parametrize("year", ["0000", "0001", "1900", "2000", "2023", "2024", "2100", "9999"])
def test_a_date_bound_is_read_as_strptime_reads_it(year: str) -> None:
    for month in range(100):
        for day in range(100):
            text = f"{year}-{month:02d}-{day:02d}"
            try:
                datetime.strptime(text, "%Y-%m-%d")
                expected: str | None = f"{text}T00:00:00Z"
            except ValueError:
                expected = None
            assert validity.bound(text, end_of_day=False) == expected, text


# strptime reads any script's digits in a year, ASCII ones only in a month
@pytest.mark.parametrize(("text", "expected"), [("٢٠٢٦-12-01", True), ("2026-0٣-01", False)])
def test_a_date_bound_in_other_digits_is_strptime_s(text: str, expected: bool) -> None:
    assert (validity.bound(text, end_of_day=False) is not None) is expected


def test_the_query_cache_keeps_the_newest_answers(tmp_path: Path) -> None:
    conn = database.connect(tmp_path / "index.sqlite")
    cache = QueryCache(conn)
    for n in range(CACHE_SIZE):
        cache.put(f"q{n}", f"answer {n}", now=1_000)
    cache.put("q0", "answer 0, again", now=1_000)  # stored again: now the newest
    cache.put("new", "a new answer", now=999)  # the clock went back: still the newest
    assert cache.get("q1") is None  # the oldest made room
    assert cache.get("q2") == "answer 2"
    assert cache.get("q0") == "answer 0, again"
    assert cache.get("new") == "a new answer"
    assert conn.execute("SELECT count(*) FROM qcache").fetchone()[0] == CACHE_SIZE
    conn.close()
