"""The Entry model: typed, frozen values parsed once at the boundary (SPEC §2)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

KINDS = ("fact", "decision", "convention", "procedure", "bug", "rule", "episode", "note")
RELATION_TYPES = (
    "related",
    "depends_on",
    "part_of",
    "supersedes",
    "contradicts",
    "derived_from",
    "example_of",
)
TRUST_LEVELS = ("user", "agent", "external")
MATURITIES = ("draft", "validated", "core")
SCHEMA_VERSION = 1


def round_importance(value: float) -> float:
    """Importance as stored: rounded half up to two decimals, a whole number as an int (written
    `50`, not `50.0`). Two decimals, not one: daily passes round every day's decay (about 0.25
    at 50), and at one decimal that rounding drifts by up to 2 points a season (50 decays to 22
    instead of 20.3 over 180 daily passes); at two it stays within 0.1."""
    scaled = math.floor(value * 100 + 0.5)
    return scaled // 100 if scaled % 100 == 0 else scaled / 100


@dataclass(frozen=True)
class Relation:
    type: str
    target: str

    def render(self) -> str:
        return f"{self.type}:{self.target}"


@dataclass(frozen=True)
class Source:
    type: str
    ref: str

    def render(self) -> str:
        return f"{self.type}:{self.ref}"


@dataclass(frozen=True)
class Stale:
    """The flag an anchored entry carries after its code changed (SPEC §3): `since` is the
    first unreviewed change (`commit:<sha>`), `paths` the anchored files changed since then.
    Written as `stale: {since: commit:abc1234, paths: [src/a.py]}`, so a reader of the file
    sees what to re-check; `ctx review ok ID` removes it."""

    since: str
    paths: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since, "paths": list(self.paths)}


@dataclass(frozen=True)
class Origin:
    """The frontmatter text an entry was parsed from, so an unchanged entry is written back
    byte for byte (hand formatting and comments survive)."""

    text: str
    mapping: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    body: str = ""
    summary: str = ""
    kind: str = "note"
    tags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    relations: tuple[Relation, ...] = ()
    sources: tuple[Source, ...] = ()
    author: str = ""
    trust: str = "agent"
    importance: float = 50  # 0..100, two decimals (see round_importance)
    maturity: str = "draft"
    created: str = ""
    updated: str = ""
    valid_from: str | None = None
    valid_until: str | None = None
    anchors: tuple[str, ...] = ()
    stale: Stale | None = None
    schema: int = SCHEMA_VERSION
    extra: tuple[tuple[str, Any], ...] = ()
    origin: Origin | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready view, the shape `--json` prints."""
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "kind": self.kind,
            "tags": list(self.tags),
            "keywords": list(self.keywords),
            "relations": [{"type": r.type, "target": r.target} for r in self.relations],
            "sources": [{"type": s.type, "ref": s.ref} for s in self.sources],
            "author": self.author,
            "trust": self.trust,
            "importance": self.importance,
            "maturity": self.maturity,
            "created": self.created,
            "updated": self.updated,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "anchors": list(self.anchors),
            "stale": self.stale.to_json() if self.stale else None,
            "extra": {k: v for k, v in self.extra},
            "body": self.body,
        }
        return data


@dataclass(frozen=True)
class EntryRef:
    """A cheap view of an entry for listings: id and title, no full parse."""

    id: str
    title: str
    path: str
