"""Validity windows: whether an entry's `valid_from`/`valid_until` make it current at an instant.

Instants are UTC strings `YYYY-MM-DDTHH:MM:SSZ`, which compare correctly as text. A date-only
bound covers whole days: `valid_from: 2026-12-01` starts at 00:00:00Z that day and
`valid_until: 2026-12-10` ends at 23:59:59Z that day (the fact still holds on the 10th). A
timestamp bound is exact; one without an offset is read as UTC. An unreadable bound is ignored
(`ctx lint` reports it), so a typo never hides an entry already in the store; writes refuse one
(`check_validity`, the one rule lint and the write path share).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime

from ctxtree.errors import InvalidEntryError

CURRENT = "current"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso(moment: datetime) -> str:
    """`moment` as a UTC instant string (seconds): the one format of every stored time
    (created, updated, validity bounds, the session clock)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bound(value: str | None, end_of_day: bool) -> str | None:
    """The UTC instant of a window bound; a date-only `value` means the start of that day, or
    its last second with `end_of_day`. None for no bound or an unreadable one."""
    if not value:
        return None
    text = value.strip()
    if _DATE.fullmatch(text):
        if not _real_date(text):
            return None
        return f"{text}T23:59:59Z" if end_of_day else f"{text}T00:00:00Z"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _real_date(text: str) -> bool:
    """Whether `text` (`_DATE`'s digits) is a calendar date, as `strptime(text, "%Y-%m-%d")`
    judges it. ASCII digits are read directly: strptime's first call loads _strptime and
    builds its locale tables (~4 ms of every read that meets a validity window)."""
    try:
        if text.isascii():
            datetime(int(text[:4]), int(text[5:7]), int(text[8:10]))
        else:  # other scripts' digits, whose reading is strptime's own
            datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def check_validity(valid_from: str | None, valid_until: str | None) -> None:
    """Raise InvalidEntryError unless both bounds are readable (None or '' for no bound) and
    the window is not empty (its end, by `bound`'s day rule, not before its start). One
    message names every problem, each as `ctx lint` shows it."""
    start = bound(valid_from, end_of_day=False)
    end = bound(valid_until, end_of_day=True)
    problems = [
        f"{key} {value!r} is not a date or UTC timestamp"
        for key, value, read in (
            ("valid_from", valid_from, start),
            ("valid_until", valid_until, end),
        )
        if value and read is None
    ]
    if start is not None and end is not None and end < start:
        problems.append(
            f"valid_until {valid_until} is before valid_from {valid_from}: the entry would "
            "never be current"
        )
    if problems:
        raise InvalidEntryError(
            "; ".join(problems),
            "write dates as YYYY-MM-DD or times as ISO 8601 (2026-12-01T09:00:00Z), "
            "valid_from on or before valid_until",
        )


def state(valid_from: str | None, valid_until: str | None, when: str) -> str:
    """current, expired (`when` after the end) or not_yet_valid (`when` before the start)."""
    end = bound(valid_until, end_of_day=True)
    if end is not None and when > end:
        return EXPIRED
    start = bound(valid_from, end_of_day=False)
    if start is not None and when < start:
        return NOT_YET_VALID
    return CURRENT


def boundaries(
    windows: Iterable[tuple[str | None, str | None]],
) -> tuple[list[str], list[str]]:
    """Sorted starts and ends of every readable window bound."""
    pairs = list(windows)
    starts = sorted(s for s in (bound(f, end_of_day=False) for f, _u in pairs) if s)
    ends = sorted(e for e in (bound(u, end_of_day=True) for _f, u in pairs) if e)
    return starts, ends


def epoch(starts: list[str], ends: list[str], when: str) -> tuple[int, int]:
    """How many windows have started (start <= when) and ended (end < when) by `when`.

    Every entry's state at `when` is a function of this pair, so a cached answer keyed by it is
    still right at any other instant with the same pair."""
    return bisect_right(starts, when), bisect_left(ends, when)
