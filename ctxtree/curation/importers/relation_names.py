"""Other tools' relation names onto our RELATION_TYPES: one table for every format. Pure.

| their name (any case; words joined by `_`, `-`, spaces or camelCase) | ours |
|---|---|
| ours as written (`depends_on`, `part_of`, ...) | the same |
| relates_to, related_to, see_also, references, links_to, mentions | related |
| pairs_with, similar_to | related |
| requires, uses, needs, relies_on, built_on | depends_on |
| belongs_to, member_of, component_of, child_of | part_of |
| replaces, obsoletes | supersedes |
| conflicts_with | contradicts |
| based_on, extends, inspired_by, follows_from | derived_from |
| implements, instance_of | example_of |
| anything else (works_at, leads, contrasts_with, ...) | related |

A leading `is_` is ignored (`is_part_of` is `part_of`). The importers keep the original name
in the entry's body, so `related` loses nothing a reader needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ctxtree.tree.model import RELATION_TYPES, Relation

RELATION_NAMES: Mapping[str, str] = {
    **{name: name for name in RELATION_TYPES},
    **dict.fromkeys(
        ("relates_to", "related_to", "see_also", "references", "links_to", "mentions"),
        "related",
    ),
    **dict.fromkeys(("pairs_with", "similar_to"), "related"),
    **dict.fromkeys(("requires", "uses", "needs", "relies_on", "built_on"), "depends_on"),
    **dict.fromkeys(("belongs_to", "member_of", "component_of", "child_of"), "part_of"),
    **dict.fromkeys(("replaces", "obsoletes"), "supersedes"),
    "conflicts_with": "contradicts",
    **dict.fromkeys(("based_on", "extends", "inspired_by", "follows_from"), "derived_from"),
    **dict.fromkeys(("implements", "instance_of"), "example_of"),
}
_WORDS = re.compile(r"[\s-]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def relation_type(name: str) -> str:
    """Our relation type for another tool's relation name (`related` when we have no match)."""
    key = _WORDS.sub("_", _CAMEL.sub("_", name.strip())).lower()
    return RELATION_NAMES.get(key) or RELATION_NAMES.get(key.removeprefix("is_"), "related")


def unique_relations(relations: Iterable[Relation], self_id: str) -> tuple[Relation, ...]:
    """Relations in order without repeats and without one to the entry itself."""
    seen: dict[Relation, None] = {}
    for relation in relations:
        if relation.target != self_id:
            seen.setdefault(relation, None)
    return tuple(seen)
