"""Three-way merge of one entry, field by field: what `ctx merge-driver` does for git (SPEC §8).

Pure: it takes the base, ours and theirs as parsed entries (the base may be absent: both sides
added the file) and a function that merges two bodies against a base text, and returns the
merged entry and whether the bodies conflicted.

Rules, each symmetric in the two sides so that A merging B and B merging A agree:
- A field only one side changed takes that side's value; a field both sides set alike keeps it.
- Lists (tags, keywords, anchors, relations, sources) merge as sets against the base: an item
  either side added is kept, an item either side removed is dropped (so `ctx unlink` on one
  machine is not undone by the other's copy); with no base that is the plain union. Order:
  ours' surviving items in ours' order, then theirs' additions in theirs' order.
- A scalar both sides changed differently takes the value of the side with the later `updated`
  (ISO 8601 UTC strings compare as times); on equal `updated` the greater value in a fixed
  textual order wins, so the rule does not depend on which side is "ours".
- `updated` is the later of the two; `created` the earlier (when both are set).
- The body: one side's change is taken; both changed → `merge_bodies(base, ours, theirs)`,
  which returns the merged text and whether it holds conflict hunks.

So a supersede on one side (a `supersedes` relation added) and an edit on the other (a new
summary) both land: the relation by the list rule, the summary by the one-side rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from ctxtree.tree.model import Entry

T = TypeVar("T")
LIST_FIELDS = ("tags", "keywords", "anchors", "relations", "sources")
SCALAR_FIELDS = (
    "title",
    "summary",
    "kind",
    "author",
    "trust",
    "importance",
    "maturity",
    "valid_from",
    "valid_until",
    "stale",
    "schema",
)
BodyMerge = Callable[[str, str, str], tuple[str, bool]]


@dataclass(frozen=True)
class Merged:
    """The merged entry; `conflict` when its body holds conflict hunks git must report."""

    entry: Entry
    conflict: bool


def merge_lists(base: Sequence[T] | None, ours: Sequence[T], theirs: Sequence[T]) -> tuple[T, ...]:
    """Set merge against `base` (module docstring); duplicates collapse to the first."""
    known = set(base or ())
    removed = {x for x in known if x not in ours or x not in theirs}
    out: list[T] = []
    for item in (*ours, *theirs):
        if item not in removed and item not in out:
            out.append(item)
    return tuple(out)


def _order_key(value: object) -> str:
    return json.dumps(value, default=repr, sort_keys=True, ensure_ascii=False)


def pick(base: Any, ours: Any, theirs: Any, ours_later: bool | None) -> Any:
    """One scalar: a one-sided change wins; a two-sided one goes to the later side
    (`ours_later`; None when the `updated` stamps are equal: the greater value wins)."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    if ours_later is None:
        return max(ours, theirs, key=_order_key)
    return ours if ours_later else theirs


def _later(ours: str, theirs: str) -> bool | None:
    if ours == theirs:
        return None
    return ours > theirs


def merge_entries(
    base: Entry | None, ours: Entry, theirs: Entry, merge_bodies: BodyMerge
) -> Merged:
    """The three-way merge of one entry (module docstring). `ours` keeps its id and origin,
    so an unchanged frontmatter is written back as it was."""
    later = _later(ours.updated, theirs.updated)
    changes: dict[str, Any] = {}
    for name in LIST_FIELDS:
        changes[name] = merge_lists(
            getattr(base, name) if base else None, getattr(ours, name), getattr(theirs, name)
        )
    for name in SCALAR_FIELDS:
        changes[name] = pick(
            getattr(base, name) if base else None, getattr(ours, name), getattr(theirs, name), later
        )
    changes["updated"] = max(ours.updated, theirs.updated)
    created = [c for c in (ours.created, theirs.created) if c]
    changes["created"] = min(created) if created else ""
    changes["extra"] = _merge_extra(base, ours, theirs, later)
    body, conflict = _merge_body(base, ours, theirs, merge_bodies)
    changes["body"] = body
    return Merged(replace(ours, **changes), conflict)


def _merge_extra(
    base: Entry | None, ours: Entry, theirs: Entry, later: bool | None
) -> tuple[tuple[str, Any], ...]:
    """Unknown keys, each a scalar by `pick` (a key one side deleted stays deleted)."""
    missing = object()
    old = dict(base.extra) if base else {}
    mine, other = dict(ours.extra), dict(theirs.extra)
    out = []
    for key in [*mine, *(k for k in other if k not in mine)]:
        value = pick(old.get(key, missing), mine.get(key, missing), other.get(key, missing), later)
        if value is not missing:
            out.append((key, value))
    return tuple(out)


def _merge_body(
    base: Entry | None, ours: Entry, theirs: Entry, merge_bodies: BodyMerge
) -> tuple[str, bool]:
    old = base.body if base else ""
    if ours.body == theirs.body or theirs.body == old:
        return ours.body, False
    if ours.body == old:
        return theirs.body, False
    return merge_bodies(old, ours.body, theirs.body)
