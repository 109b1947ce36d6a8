"""The lifecycle's pure functions (curation/lifecycle.py) and importance's two-decimal format."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctxtree import config
from ctxtree.config import LifecycleConfig
from ctxtree.curation import lifecycle as lc
from ctxtree.errors import InvalidEntryError, UsageError
from ctxtree.tree import frontmatter
from ctxtree.tree.model import MATURITIES, Entry, round_importance

S = LifecycleConfig()
T0 = datetime(2026, 11, 1, 10, tzinfo=UTC)
importances = st.floats(0, 100, allow_nan=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(50, 50), (49.75, 49.75), (49.751, 49.75), (49.756, 49.76), (50.0, 50), (99.996, 100),
     (0.004, 0), (0.006, 0.01)],
)  # fmt: skip
def test_round_importance_keeps_two_decimals_and_whole_numbers_as_ints(
    value: float, expected: float
) -> None:
    result = round_importance(value)
    assert result == expected
    assert isinstance(result, int) == (expected == int(expected))


@pytest.mark.parametrize(
    ("written", "parsed", "rewritten"),
    [("50", 50, "50"), ("49.8", 49.8, "49.8"), ("49.75", 49.75, "49.75"),
     ("49.834", 49.83, "49.83"), ("7.0", 7, "7")],
)  # fmt: skip
def test_importance_parses_ints_and_decimals(written: str, parsed: float, rewritten: str) -> None:
    text = f"---\ntitle: x\nimportance: {written}\n---\nbody\n"
    entry = frontmatter.parse(text, "a/b/c")
    assert entry.importance == parsed
    assert frontmatter.serialize(entry) == text  # unchanged: written back byte for byte
    out = frontmatter.serialize(dataclasses.replace(entry, title="y"))
    assert f"\nimportance: {rewritten}\n" in out and out.endswith("---\nbody\n")


@pytest.mark.parametrize("value", ["100.5", "-0.1", "high", "true", "[1]"])
def test_importance_outside_0_100_or_not_a_number_is_rejected(value: str) -> None:
    with pytest.raises(InvalidEntryError) as info:
        frontmatter.parse(f"---\ntitle: x\nimportance: {value}\n---\n", "a/b/c")
    assert str(info.value) == "tree/a/b/c.md:3: 'importance' must be a number from 0 to 100"


@given(st.integers(0, 10000).map(lambda n: n / 100))
def test_two_decimal_importance_round_trips(value: float) -> None:
    entry = Entry(id="a/b/c", title="t", importance=value)
    assert frontmatter.parse(frontmatter.serialize(entry), "a/b/c").importance == value


# ---- importance ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("importance", "days", "used", "updates", "expected"),
    [
        (50, 0, 0, 0, 50),
        (50, 1, 0, 0, 49.75),  # two decimals keep a day's decay
        (50, 30, 0, 0, 43.02),  # 50 x 0.995^30 = 43.0248
        (50, 0, 1, 0, 53),
        (50, 0, 2, 1, 61),  # 2 x 3 + 1 x 5
        (50, 0, 10, 0, 65),  # 30 capped at +15
        (50, 0, 1, 3, 65),  # 3 + 15 capped at +15
        (95, 0, 5, 0, 100),  # clamped
        (50, 1, 5, 0, 64.75),  # decay first, then the boost: 49.75 + 15
        (50, -3, 0, 0, 50),  # a clock going backwards never raises importance
    ],
)
def test_next_importance(
    importance: float, days: float, used: int, updates: int, expected: float
) -> None:
    assert lc.next_importance(importance, days, used, updates, S) == expected


def test_settings_come_from_the_config_section() -> None:
    s = config.from_values(
        {"lifecycle": {"hit_bonus": 4, "boost_cap": "20", "unknown": 1}}
    ).lifecycle
    assert (s.hit_bonus, s.boost_cap, s.update_bonus) == (4, 20, 5)


@given(importances, st.floats(0, 3650), st.integers(0, 50), st.integers(0, 50))
def test_importance_stays_in_range_with_two_decimals(
    importance: float, days: float, used: int, updates: int
) -> None:
    new = lc.next_importance(importance, days, used, updates, S)
    assert 0 <= new <= 100
    assert new == round_importance(new)
    assert new - round_importance(importance) <= S.boost_cap + 0.01


@given(importances, st.floats(0, 3650))
def test_without_use_or_update_importance_never_rises(importance: float, days: float) -> None:
    # Being returned by search is not an input at all: nothing but use and updates can raise it.
    assert lc.next_importance(importance, days, 0, 0, S) <= round_importance(importance)


@given(importances, st.floats(0, 365), st.integers(0, 20), st.integers(0, 20))
def test_more_use_never_lowers_importance(
    importance: float, days: float, used: int, updates: int
) -> None:
    base = lc.next_importance(importance, days, used, updates, S)
    assert lc.next_importance(importance, days, used + 1, updates, S) >= base
    assert lc.next_importance(importance, days, used, updates + 1, S) >= base


@given(importances, st.floats(0, 400), st.floats(0, 400))
def test_decay_composes_over_split_periods(importance: float, a: float, b: float) -> None:
    once = lc.decayed(importance, a + b, S.decay_per_day)
    twice = lc.decayed(lc.decayed(importance, a, S.decay_per_day), b, S.decay_per_day)
    assert twice == pytest.approx(once, abs=1e-9)


# ---- maturity --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("current", "importance", "expected"),
    [
        ("draft", 64.9, "draft"),
        ("draft", 65, "validated"),
        ("draft", 95, "validated"),  # one tier per pass
        ("validated", 84.9, "validated"),
        ("validated", 85, "core"),
        ("validated", 35, "validated"),
        ("validated", 34.9, "draft"),
        ("validated", 5, "draft"),
        ("core", 62, "core"),  # hysteresis: above 60 core holds
        ("core", 60, "core"),
        ("core", 59.9, "validated"),
        ("core", 10, "validated"),  # one tier per pass, down too
        ("draft", 0, "draft"),
        ("core", 100, "core"),
    ],
)
def test_next_maturity(current: str, importance: float, expected: str) -> None:
    assert lc.next_maturity(current, importance, S) == expected


@given(st.sampled_from(MATURITIES), importances)
def test_maturity_moves_one_tier_at_most_and_never_straight_back(
    current: str, importance: float
) -> None:
    new = lc.next_maturity(current, importance, S)
    assert abs(MATURITIES.index(new) - MATURITIES.index(current)) <= 1
    # Hysteresis: after a move, the same importance never moves it straight back.
    if new != current:
        assert lc.next_maturity(new, importance, S) != current


def test_a_draft_at_90_is_promoted_on_two_passes() -> None:
    first = lc.assess("a/b/c", 90, "draft", used=0, updates=0, days=0, s=S)
    assert (first.new_maturity, first.step) == ("validated", "promoted")
    assert first.reasons == ("promoted draft -> validated: 90 >= 65",)
    second = lc.assess("a/b/c", 90, first.new_maturity, used=0, updates=0, days=0, s=S)
    assert second.new_maturity == "core"


# ---- the decay clock -------------------------------------------------------------------------
def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


@pytest.mark.parametrize(
    ("passes", "now", "start", "end"),
    [
        ([], hours(5), None, hours(5)),
        ([hours(0)], hours(30), hours(0), hours(24)),  # the 6 hours left carry over
        ([hours(0), hours(30)], hours(50), hours(24), hours(48)),
        ([hours(0), hours(6), hours(12)], hours(18), hours(0), hours(0)),  # no whole day yet
        ([hours(0)], hours(-5), hours(0), hours(0)),  # a clock set back: never backwards
    ],
)
def test_decay_clock(
    passes: list[datetime], now: datetime, start: datetime | None, end: datetime
) -> None:
    assert lc.decay_clock(passes, now) == (start, end)


@given(st.lists(st.floats(0.01, 200), min_size=1, max_size=40))
def test_decay_over_any_cadence_sums_to_the_whole_days_elapsed(gaps: list[float]) -> None:
    created = T0 - timedelta(days=3)
    moments = [T0]
    for gap in gaps:
        moments.append(moments[-1] + timedelta(hours=gap))
    total = lc.decay_days(created, *lc.decay_clock([], moments[0]))
    for i in range(1, len(moments)):
        start, end = lc.decay_clock(moments[:i], moments[i])
        total += lc.decay_days(created, start, end)
    elapsed = (moments[-1] - created) / timedelta(days=1)
    assert elapsed - 1 < total <= elapsed + 1e-9


@pytest.mark.parametrize(
    ("created", "start", "end", "days"),
    [
        (hours(-48), None, hours(0), 2.0),
        (hours(-48), hours(-24), hours(0), 1.0),
        (hours(-12), hours(-24), hours(0), 0.5),  # created during the period
        (hours(12), hours(-24), hours(0), 0.0),
        (None, hours(-24), hours(0), 1.0),
        (None, None, hours(0), 0.0),
    ],
)
def test_decay_days(
    created: datetime | None, start: datetime | None, end: datetime, days: float
) -> None:
    assert lc.decay_days(created, start, end) == days


# ---- archive candidates ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("importance", "maturity", "idle", "targeted", "candidate"),
    [
        (14.9, "draft", 90, False, True),
        (15, "draft", 400, False, False),
        (5, "validated", 400, False, False),
        (5, "core", 400, False, False),
        (5, "draft", 89.9, False, False),
        (5, "draft", 400, True, False),  # a relation target is never a candidate
    ],
)
def test_archive_reason(
    importance: float, maturity: str, idle: float, targeted: bool, candidate: bool
) -> None:
    reason = lc.archive_reason(importance, maturity, idle, targeted, S)
    assert (reason is not None) == candidate
    if reason:
        assert reason == f"importance {importance:g} < 15, draft, idle for 90 days, " + (
            "nothing points at it"
        )


def test_assess_explains_each_part_and_reports_returned_without_using_it() -> None:
    change = lc.assess("a/b/c", 50, "draft", used=7, updates=1, days=10, s=S, returned=40)
    assert change.reasons == (
        "decay 10.0 d: -2.44",
        "used 7x: +21",
        "updated 1x: +5",
        "boost capped at +15",
    )
    assert (change.new_importance, change.returned) == (62.56, 40)
    same = lc.assess("a/b/c", 50, "draft", used=7, updates=1, days=10, s=S, returned=0)
    assert same.new_importance == change.new_importance
    assert change.to_json()["importance"] == [50, 62.56]


# ---- frontmatter.with_scalars: how a pass writes importance and maturity ----------------------
@pytest.mark.parametrize(
    ("text", "expected", "old"),
    [
        (
            "---\ntitle: x\nimportance: 50\nmaturity: draft\n---\nimportance: 1\n",
            "---\ntitle: x\nimportance: 49.75\nmaturity: core\n---\nimportance: 1\n",
            {"importance": "50", "maturity": "draft"},
        ),
        (  # comments, spacing and CRLF survive
            "---\r\nimportance:   50   # by hand\r\nmaturity: draft #x\r\n---\r\nb\r\n",
            "---\r\nimportance:   49.75   # by hand\r\nmaturity: core #x\r\n---\r\nb\r\n",
            {"importance": "50", "maturity": "draft"},
        ),
    ],
)
def test_with_scalars_changes_only_those_values(
    text: str, expected: str, old: dict[str, str]
) -> None:
    assert frontmatter.with_scalars(text, {"importance": "49.75", "maturity": "core"}) == (
        expected,
        old,
    )


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: x\nmaturity: draft\n---\n",  # no importance line
        "---\nimportance: '50'\nmaturity: draft\n---\n",  # quoted
        "---\nimportance: 50\nimportance: 51\nmaturity: draft\n---\n",  # repeated
        "---\nimportance:\n  50\nmaturity: draft\n---\n",  # over two lines
        "title: x\nimportance: 50\nmaturity: draft\n",  # no fences
    ],
)
def test_with_scalars_declines_what_it_cannot_patch_exactly(text: str) -> None:
    assert frontmatter.with_scalars(text, {"importance": "1", "maturity": "core"}) is None


def test_a_setting_that_is_not_a_number_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        config.from_values({"lifecycle": {"decay_per_day": "slow"}})
    assert info.value.message == "config lifecycle.decay_per_day is 'slow', not a number"
    assert info.value.hint == "e.g. ctx config set lifecycle.decay_per_day 0.995"
