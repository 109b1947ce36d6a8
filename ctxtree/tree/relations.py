"""Relation bookkeeping: inline links, retargeting on move, outgoing and backlinks. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ctxtree.tree.model import Entry, Relation

LINK_RE = re.compile(r"\[\[([a-z0-9][a-z0-9_/-]*)(\|[^\]]*)?\]\]")


def unwrap_links(text: str, ids: Iterable[str], plain: str | None = None) -> str:
    """`text` with each inline link to one of `ids` turned into plain text: `[[id|label]]`
    becomes `label`; `[[id]]`, or a link whose label is blank, becomes `plain` (default: the
    id itself). Links to other targets are left alone. lint's fix for a broken link and
    forget's cleanup of the entries that linked to what it removed both use this one rule."""
    wanted = set(ids)
    if not wanted:
        return text

    def one(match: re.Match[str]) -> str:
        if match.group(1) not in wanted:
            return match.group(0)
        label = (match.group(2) or "|")[1:]
        if label.strip():
            return label
        return plain if plain is not None else match.group(1)

    return LINK_RE.sub(one, text)


def inline_links(body: str) -> list[str]:
    """Targets of `[[id]]` / `[[id|label]]` links in a body, in order, without duplicates."""
    seen: dict[str, None] = {}
    for match in LINK_RE.finditer(body):
        seen.setdefault(match.group(1), None)
    return list(seen)


def outgoing(entry: Entry) -> list[Relation]:
    """Declared relations, then inline links as `related` (not already declared, not to itself).

    A merge can leave a link to the entry itself in its body; that is not an edge.
    """
    out = list(entry.relations)
    skip = {r.target for r in entry.relations} | {entry.id}
    out += [Relation("related", t) for t in inline_links(entry.body) if t not in skip]
    return out


def _moved(target: str, old: str, new: str) -> str:
    if target == old:
        return new
    if target.startswith(old + "/"):
        return new + target[len(old) :]
    return target


def retarget(entry: Entry, old: str, new: str) -> Entry:
    """Point every relation and inline link at `old` (or inside folder `old`) to `new`."""
    relations = tuple(Relation(r.type, _moved(r.target, old, new)) for r in entry.relations)

    def link(match: re.Match[str]) -> str:
        return f"[[{_moved(match.group(1), old, new)}{match.group(2) or ''}]]"

    body = LINK_RE.sub(link, entry.body)
    if relations == entry.relations and body == entry.body:
        return entry
    return replace(entry, relations=_dedupe(relations, entry.id), body=body)


def _dedupe(relations: tuple[Relation, ...], self_id: str) -> tuple[Relation, ...]:
    seen: dict[Relation, None] = {}
    for relation in relations:
        if relation.target != self_id:
            seen.setdefault(relation, None)
    return tuple(seen)


def points_at(entry: Entry, target: str) -> bool:
    return any(r.target == target or r.target.startswith(target + "/") for r in outgoing(entry))


@dataclass(frozen=True)
class Link:
    """One edge seen from an entry: direction, type and the entry at the other end."""

    direction: str  # "out" | "in"
    type: str
    id: str
    title: str
    exists: bool
