"""Pure entry transformations the write operations share: parsing flag values, applying an
edit or a plan's fields, folding one entry into another, cutting one into parts. No I/O: the
operations (service/operations.py) read and write through a Workspace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ctxtree.curation import sections
from ctxtree.errors import NotFoundError, UsageError
from ctxtree.hints import Param
from ctxtree.tree import relations as rel
from ctxtree.tree.model import (
    KINDS,
    MATURITIES,
    RELATION_TYPES,
    TRUST_LEVELS,
    Entry,
    Relation,
    Source,
)
from ctxtree.tree.paths import SLUG_RE, parse_id, parse_target

TRUST_ORDER = {"external": 0, "agent": 1, "user": 2}


def parse_relation(raw: str) -> Relation:
    rtype, sep, target = raw.partition(":")
    if not sep or rtype not in RELATION_TYPES:
        raise UsageError(
            f"bad relation {raw!r}: expected TYPE:TARGET",
            f"TYPE is one of {', '.join(RELATION_TYPES)}, e.g. depends_on:auth/jwt/signing-keys",
        )
    return Relation(rtype, parse_target(target))


def parse_relations(items: Sequence[Mapping[str, str]]) -> list[Relation]:
    return list(dict.fromkeys(Relation(r["type"], parse_target(r["target"])) for r in items))


def parse_folder(raw: str) -> str:
    """A folder of the tree: a domain, domain/topic or domain/topic/subtopic."""
    return parse_id(raw.strip().rstrip("/"), min_parts=1, max_parts=3)


def parse_source(raw: str) -> Source:
    stype, sep, ref = raw.partition(":")
    if not sep or not SLUG_RE.fullmatch(stype) or not ref.strip():
        raise UsageError(
            f"bad source {raw!r}: expected TYPE:REF",
            "e.g. commit:3f2a1c9, file:src/auth.py#L40-88, url:https://..., conversation:ID",
        )
    return Source(stype, ref.strip())


def check_choice(value: str, choices: tuple[str, ...], name: str | Param) -> str:
    """`value`, or a usage error naming the field or parameter (`name`) and the choices."""
    if value not in choices:
        raise UsageError((name, f" {value!r} is not one of {', '.join(choices)}"), "")
    return value


def dedup(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i.strip() for i in items if i.strip()))


def with_title_heading(title: str, body: str) -> str:
    body = body.strip("\n")
    if body.startswith("# "):
        return body + "\n"
    return f"# {title}\n\n{body}\n" if body else f"# {title}\n"


def appended(body: str, text: str) -> str:
    """`body` with `text` added as a paragraph of its own at the end (pure)."""
    head = body.rstrip("\n")
    return (head + "\n\n" if head else "") + text.strip("\n") + "\n"


def new_entry(draft: Entry, entry_id: str, now: str) -> Entry:
    """A draft made ready to be created: a title heading, lists deduplicated, timestamps."""
    return replace(
        draft,
        id=entry_id,
        title=draft.title.strip(),
        body=with_title_heading(draft.title.strip(), draft.body),
        tags=dedup(draft.tags),
        keywords=dedup(draft.keywords),
        relations=tuple(dict.fromkeys(draft.relations)),
        sources=tuple(dict.fromkeys(draft.sources)),
        anchors=dedup(draft.anchors),
        created=now,
        updated=now,
    )


@dataclass(frozen=True)
class Changes:
    """What `ctx edit` was asked to change; None/empty means leave as is."""

    title: str | None = None
    summary: str | None = None
    body: str | None = None
    append_body: str | None = None
    kind: str | None = None
    trust: str | None = None
    maturity: str | None = None
    importance: int | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    add_keywords: tuple[str, ...] = ()
    remove_keywords: tuple[str, ...] = ()
    add_sources: tuple[Source, ...] = ()
    valid_from: str | None = None
    valid_until: str | None = None

    def empty(self) -> bool:
        return self == Changes()


def apply_changes(entry: Entry, changes: Changes) -> Entry:
    """The entry with `changes` applied (pure). A new title also renames a matching H1."""
    updated = entry
    if changes.title is not None and changes.title.strip() != entry.title:
        title = changes.title.strip()
        body = entry.body
        old_heading = f"# {entry.title}"
        if body.startswith(old_heading + "\n") or body == old_heading:
            body = f"# {title}" + body[len(old_heading) :]
        updated = replace(updated, title=title, body=body)
    if changes.body is not None:
        updated = replace(updated, body=with_title_heading(updated.title, changes.body))
    if changes.append_body is not None and changes.append_body.strip():
        updated = replace(updated, body=appended(updated.body, changes.append_body))
    if changes.summary is not None:
        updated = replace(updated, summary=changes.summary.strip())
    if changes.kind is not None:
        updated = replace(updated, kind=check_choice(changes.kind, KINDS, Param("kind")))
    if changes.trust is not None:
        updated = replace(updated, trust=check_choice(changes.trust, TRUST_LEVELS, Param("trust")))
    if changes.maturity is not None:
        updated = replace(
            updated, maturity=check_choice(changes.maturity, MATURITIES, Param("maturity"))
        )
    if changes.importance is not None:
        if not 0 <= changes.importance <= 100:
            raise UsageError((Param("importance"), " must be from 0 to 100"), "")
        updated = replace(updated, importance=changes.importance)
    tags = [t for t in updated.tags if t not in changes.remove_tags]
    keywords = [k for k in updated.keywords if k not in changes.remove_keywords]
    updated = replace(
        updated,
        tags=dedup([*tags, *changes.add_tags]),
        keywords=dedup([*keywords, *changes.add_keywords]),
        sources=tuple(dict.fromkeys([*updated.sources, *changes.add_sources])),
    )
    if changes.valid_from is not None:
        updated = replace(updated, valid_from=changes.valid_from or None)
    if changes.valid_until is not None:
        updated = replace(updated, valid_until=changes.valid_until or None)
    return updated


def updated_entry(current: Entry, fields: Mapping[str, Any]) -> Entry:
    """`current` with a plan's fields replaced (lists replace lists). Pure."""
    changes: dict[str, Any] = {}
    for key in ("summary", "kind", "trust", "maturity", "valid_from", "valid_until"):
        if key in fields:
            changes[key] = fields[key]
    for key in ("tags", "keywords", "anchors"):
        if key in fields:
            changes[key] = dedup(fields[key])
    if "importance" in fields:
        changes["importance"] = type(current.importance)(fields["importance"])
    if "relations" in fields:
        changes["relations"] = tuple(parse_relations(fields["relations"]))
    if "sources" in fields:
        changes["sources"] = tuple(
            dict.fromkeys(Source(s["type"], s["ref"].strip()) for s in fields["sources"])
        )
    new = replace(current, **changes)
    if "title" in fields:
        new = apply_changes(new, Changes(title=fields["title"]))
    if "body" in fields:
        new = replace(new, body=with_title_heading(new.title, fields["body"]))
    return new


def default_trust(author: str) -> str:
    """A new entry's trust when none is given: `user` for a human author, else `agent`."""
    return "user" if author.startswith("human:") else "agent"


def least_trusted(a: str, b: str) -> str:
    return a if TRUST_ORDER.get(a, 1) <= TRUST_ORDER.get(b, 1) else b


def merged_entry(src: Entry, dst: Entry, now: str) -> Entry:
    """DST with SRC folded in (pure): body sections and facts unioned (merge_bodies), tags,
    keywords, relations, sources and anchors unioned (DST's first), lifecycle combined
    (importance and maturity the higher, created the earlier, trust the lower: merged
    knowledge is only as trusted as its least trusted part)."""
    relations = tuple(
        r
        for r in dict.fromkeys((*dst.relations, *src.relations))
        if r.target not in (src.id, dst.id)
    )
    maturity = max(dst.maturity, src.maturity, key=MATURITIES.index)
    extra = dict(src.extra) | dict(dst.extra)
    body = rel.retarget(replace(src, body=src.body), src.id, dst.id).body
    return replace(
        dst,
        summary=dst.summary or src.summary,
        body=sections.merge_bodies(dst.body, body),
        tags=dedup([*dst.tags, *src.tags]),
        keywords=dedup([*dst.keywords, *src.keywords]),
        relations=relations,
        sources=tuple(dict.fromkeys((*dst.sources, *src.sources))),
        anchors=dedup([*dst.anchors, *src.anchors]),
        importance=max(dst.importance, src.importance),
        maturity=maturity,
        trust=least_trusted(dst.trust, src.trust),
        created=min(x for x in (dst.created, src.created, now) if x),
        updated=now,
        extra=tuple(extra.items()),
    )


@dataclass(frozen=True)
class SplitPart:
    id: str
    title: str
    section: sections.Section
    children: tuple[sections.Section, ...]

    def text(self) -> str:
        return sections.join([sections.Section("", self.section.lines), *self.children])


def split_parts(
    entry: Entry, headings: Sequence[str]
) -> tuple[list[sections.Section], list[SplitPart]]:
    """The entry's level-2 sections (each with its deeper sub-sections) that `headings` name
    (all of them when empty), and the sections that stay. Pure."""
    parts = sections.sections(entry.body)
    stay: list[sections.Section] = []
    chosen: list[tuple[sections.Section, list[sections.Section]]] = []
    wanted = {h.strip().lower() for h in headings}
    current: list[sections.Section] | None = None
    for part in parts:
        if part.level == 2:
            if not wanted or part.title.lower() in wanted:
                current = []
                chosen.append((part, current))
                continue
            current = None
        elif part.level > 2 and current is not None:
            current.append(part)
            continue
        elif part.level <= 1:
            current = None
        stay.append(part)
    missing = wanted - {s.title.lower() for s, _ in chosen}
    if missing:
        names = ", ".join(sorted(s.title for s in parts if s.level == 2)) or "none"
        raise NotFoundError(
            f"{entry.id!r} has no '## {sorted(missing)[0]}' section", f"its sections: {names}"
        )
    return stay, [SplitPart("", s.title, s, tuple(kids)) for s, kids in chosen]
