"""The adaptive knowledge lifecycle (SPEC §3): importance, decay, maturity, archive candidates.

Pure functions of their arguments; `ctx maintain` (service/maintain.py) gathers the inputs and
writes the results as one commit.

One pass, per entry:

    new = round_importance(clamp(
        old * rate ** days + min(cap, used * hit_bonus + updates * update_bonus)))

- `used` counts explicit reads (`ctx show`) since the last pass, `updates` the commits that
  changed the entry's content since then. Being *returned* by search or context is not an
  input at all: an entry that keeps showing up but is never opened gains nothing, and decay
  pulls it back down. With the per-pass cap (+15) and the 15% ceiling on the lifecycle's share
  of any ranking score (retrieval/scoring.py), usage can reorder near-ties, never bury a better
  match: ranking does not become a popularity contest.
- `days` come from a decay clock kept in git (`decay_clock`), so the total decay over a period
  does not depend on how often maintain runs: daily, hourly or monthly passes all apply
  rate ** (whole days elapsed). Importance keeps two decimals (`model.round_importance`: one
  would drift by up to 2 points over a season of daily passes); a daily step that rounds to
  nothing (under importance 1) is the only loss.
- maturity moves at most one tier per pass, with hysteresis (`next_maturity`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ctxtree.config import LifecycleConfig
from ctxtree.tree.model import round_importance

DAY = timedelta(days=1)


def clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def decayed(importance: float, days: float, rate: float) -> float:
    """importance * rate ** days (days below 0 count as 0). Not rounded."""
    factor: float = rate ** max(0.0, days)
    return importance * factor


def boost(used: int, updates: int, s: LifecycleConfig) -> float:
    """min(boost_cap, used * hit_bonus + updates * update_bonus): what one pass may add."""
    return min(s.boost_cap, max(0, used) * s.hit_bonus + max(0, updates) * s.update_bonus)


def boosted(importance: float, used: int, updates: int, s: LifecycleConfig) -> float:
    """clamp(importance + boost(used, updates), 0, 100). Not rounded."""
    return clamp(importance + boost(used, updates, s))


def next_importance(
    importance: float, days: float, used: int, updates: int, s: LifecycleConfig
) -> float:
    """round_importance(clamp(importance * rate ** days + boost(used, updates))): decay first,
    then the pass's (capped) boost, rounded to two decimals."""
    return round_importance(boosted(decayed(importance, days, s.decay_per_day), used, updates, s))


def next_maturity(current: str, importance: float, s: LifecycleConfig) -> str:
    """One tier per pass, with hysteresis: draft -> validated at >= promote_validated (65),
    validated -> core at >= promote_core (85); core -> validated below demote_validated (60),
    validated -> draft below demote_draft (35). Between the thresholds a tier holds, so an
    entry hovering around one does not flip every pass (a core entry at 62 stays core).

    One step per pass, not a jump: a draft at 90 becomes validated now and core on the next
    pass, so each promotion is its own reviewable line in a maintain commit. An unknown tier is
    left alone."""
    if current == "draft":
        return "validated" if importance >= s.promote_validated else "draft"
    if current == "validated":
        if importance >= s.promote_core:
            return "core"
        if importance < s.demote_draft:
            return "draft"
        return "validated"
    if current == "core":
        return "validated" if importance < s.demote_validated else "core"
    return current


def decay_clock(passes: Sequence[datetime], now: datetime) -> tuple[datetime | None, datetime]:
    """(start, end) of the period this pass decays, from the times of the earlier maintain
    passes (oldest first).

    The clock starts at the first pass and each pass advances it by the whole days elapsed
    since: T_0 = t_0, T_i = T_(i-1) + floor((t_i - T_(i-1)) / 1 day) days. The fraction of a
    day left over carries into the next pass instead of being dropped, so hourly passes decay
    exactly as much as daily ones. Before any pass, start is None (entries decay from their
    `created`) and end is now. Recomputed from git history each time: nothing is cached."""
    if not passes:
        return None, now
    clock = passes[0]
    for moment in passes[1:]:
        clock = _advance(clock, moment)
    return clock, _advance(clock, now)


def _advance(clock: datetime, moment: datetime) -> datetime:
    """The clock moved on by the whole days from it to `moment` (never backwards)."""
    return clock + max(0, math.floor((moment - clock) / DAY)) * DAY


def decay_days(created: datetime | None, start: datetime | None, end: datetime) -> float:
    """Days an entry decays in the period (start, end]: end - max(start, created), at least 0.
    Before any pass (start None) from `created`; without either, 0."""
    begin = start if created is None else (created if start is None else max(start, created))
    if begin is None:
        return 0.0
    return max(0.0, (end - begin) / DAY)


def archive_reason(
    importance: float, maturity: str, idle_days: float, targeted: bool, s: LifecycleConfig
) -> str | None:
    """Why an entry may be archived, or None when it should stay. All must hold: importance
    below archive_below (15), a draft (never validated or core knowledge), no use and no
    content change for archive_idle_days (90), and no relation from a current entry points at
    it (archiving a target would break the entry that depends on it).

    `maturity` is the entry's tier before the pass: an entry demoted to draft by this pass is
    not a candidate until the next one, so a demotion is seen before an archive."""
    if maturity != "draft" or importance >= s.archive_below or targeted:
        return None
    if idle_days < s.archive_idle_days:
        return None
    return (
        f"importance {importance:g} < {s.archive_below:g}, draft, "
        f"idle for {math.floor(idle_days)} days, nothing points at it"
    )


@dataclass(frozen=True)
class Change:
    """What one pass does to one entry, and why."""

    id: str
    old_importance: float
    new_importance: float
    old_maturity: str
    new_maturity: str
    used: int = 0
    returned: int = 0
    updates: int = 0
    days: float = 0.0
    reasons: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return (self.old_importance, self.old_maturity) != (self.new_importance, self.new_maturity)

    @property
    def step(self) -> str:
        """'promoted', 'demoted' or '' (maturity unchanged)."""
        order = {"draft": 0, "validated": 1, "core": 2}
        old, new = order.get(self.old_maturity, -1), order.get(self.new_maturity, -1)
        return "" if old == new else ("promoted" if new > old else "demoted")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "importance": [self.old_importance, self.new_importance],
            "maturity": [self.old_maturity, self.new_maturity],
            "used": self.used,
            "returned": self.returned,
            "updates": self.updates,
            "decay_days": round(self.days, 2),
            "reasons": list(self.reasons),
        }


def assess(
    entry_id: str,
    importance: float,
    maturity: str,
    *,
    used: int,
    updates: int,
    days: float,
    s: LifecycleConfig,
    returned: int = 0,
) -> Change:
    """One entry's pass: next_importance, then next_maturity on the new importance.
    `returned` is carried for the report only; it never changes the outcome."""
    new = next_importance(importance, days, used, updates, s)
    tier = next_maturity(maturity, new, s)
    reasons: list[str] = []
    lost = importance - decayed(importance, days, s.decay_per_day)
    if days > 0 and lost >= 0.005:
        reasons.append(f"decay {days:.1f} d: -{round_importance(lost):g}")
    raw = max(0, used) * s.hit_bonus + max(0, updates) * s.update_bonus
    if used:
        reasons.append(f"used {used}x: +{used * s.hit_bonus:g}")
    if updates:
        reasons.append(f"updated {updates}x: +{updates * s.update_bonus:g}")
    if raw > s.boost_cap:
        reasons.append(f"boost capped at +{s.boost_cap:g}")
    if tier != maturity:
        rank = {"draft": 0, "validated": 1, "core": 2}
        up = rank.get(tier, 0) > rank.get(maturity, 0)
        limit = {
            ("draft", "validated"): s.promote_validated,
            ("validated", "core"): s.promote_core,
            ("core", "validated"): s.demote_validated,
            ("validated", "draft"): s.demote_draft,
        }[(maturity, tier)]
        sign = ">=" if up else "<"
        reasons.append(
            f"{'promoted' if up else 'demoted'} {maturity} -> {tier}: {new:g} {sign} {limit:g}"
        )
    return Change(
        entry_id, round_importance(importance), new, maturity, tier, used, returned, updates, days,
        tuple(reasons),
    )  # fmt: skip
