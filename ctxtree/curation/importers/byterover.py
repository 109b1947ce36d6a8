"""A ByteRover context tree (`.brv/context-tree`, the markdown era) into entries. Pure.

Input: the tree's files as `{path relative to context-tree: text}`. Mapping:

- `<domain>/<topic>[/<subtopic>]/<name>.md` -> entry `<domain>/<topic>[/<subtopic>]/<name>`
  (segments as slugs, `_` as `-`);
- `title`, `summary`, `tags`, `keywords` -> the same fields (title: else the first `# `
  heading, else the file name; summary: else the first paragraph);
- `related` paths and `@domain/topic/file.md` tokens in the body -> `related` relations;
- `createdAt`, `updatedAt` -> `created`, `updated`;
- `importance`, `maturity` (before v3.7.1) -> the same fields;
- `## Raw Concept` `**Files:**` items -> `file` sources; `**Author:**` -> `author`;
  `**Timestamp:**` -> `created` when `createdAt` is absent;
- `## Reason`, `## Narrative`, `## Facts`, snippets -> kept verbatim in the body;
- `<domain>/context.md`, `<domain>/<topic>/context.md` -> folder overviews.

Skipped with a reason: derived files (`_index.md`, `_manifest.json`, `*.abstract.md`,
`*.overview.md`), archived entries (`_archived/`: our model has no archived import yet),
subtopic overviews, files outside a topic folder or deeper than a subtopic, non-markdown
files, and files whose frontmatter does not parse. Dropped and counted: `recency`,
`accessCount`, `updateCount` (our lifecycle keeps its own usage), other frontmatter keys, and
relations whose target is not in the tree.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from ctxtree.curation.importers.folders import (
    counted,
    read_or_skip,
    segment,
    text_of,
    title_of,
)
from ctxtree.curation.importers.notes import Note, first_paragraph, strings
from ctxtree.curation.importers.records import Imported, Overview, Skipped
from ctxtree.curation.importers.relation_names import unique_relations
from ctxtree.curation.sections import sections
from ctxtree.tree.model import MATURITIES, Entry, Relation, Source, round_importance

FORMAT = "byterover"
DERIVED_NAMES = frozenset({"_index.md", "_manifest.json"})
DERIVED_SUFFIXES = (".abstract.md", ".overview.md")
KNOWN_KEYS = frozenset(
    {"title", "summary", "tags", "keywords", "related", "createdAt", "updatedAt"}
    | {"importance", "maturity"}
)
LIFECYCLE_COUNTERS = frozenset({"recency", "accessCount", "updateCount"})
_MENTION = re.compile(r"@((?:[\w-]+/){1,3}[\w-]+\.md)\b")
_LABEL = re.compile(r"^\*\*(?P<key>[^*:]+):\*\*\s*(?P<value>.*)$")
_ITEM = re.compile(r"^\s*[-*]\s+(?P<item>.+?)\s*$")
_OVERVIEW_TITLE = re.compile(r"^(?:Domain|Topic|Subtopic):\s*", re.IGNORECASE)


@dataclass(frozen=True)
class RawConcept:
    """The `## Raw Concept` labels this importer uses."""

    files: tuple[str, ...] = ()
    author: str = ""
    timestamp: str = ""


def raw_concept(body: str) -> RawConcept:
    """`**Files:**` items, `**Author:**` and `**Timestamp:**` of the `## Raw Concept` section."""
    labels: dict[str, list[str]] = {}
    for part in sections(body):
        if part.level != 2 or part.title.strip().lower() != "raw concept":
            continue
        key = ""
        for line in part.lines:
            label = _LABEL.match(line.strip())
            if label:
                key = label.group("key").strip().lower()
                value = label.group("value").strip()
                labels.setdefault(key, []).extend([value] if value else [])
                continue
            item = _ITEM.match(line)
            if item and key:
                labels.setdefault(key, []).append(item.group("item").strip("`"))
    first = {k: v[0] if v else "" for k, v in labels.items()}
    return RawConcept(
        files=tuple(dict.fromkeys(labels.get("files", []))),
        author=first.get("author", ""),
        timestamp=first.get("timestamp", ""),
    )


def _skip_reason(parts: list[str]) -> str:
    """Why a file makes neither entry nor overview ('' when it may make one)."""
    name = parts[-1]
    if parts[0] == "_archived":
        return "archived in ByteRover (_archived/): archived entries are not imported"
    if name in DERIVED_NAMES or name.endswith(DERIVED_SUFFIXES):
        return "derived by ByteRover (regenerated from the entries)"
    if not name.endswith(".md"):
        return "not a markdown file"
    if name == "context.md" and len(parts) == 4:
        return "subtopic overview: ctx keeps overviews for domains and topics only"
    if name == "context.md" and len(parts) == 1:
        return "root overview: ctx keeps overviews for domains and topics only"
    if name != "context.md" and len(parts) < 3:
        return "not inside a domain/topic folder"
    if len(parts) > 4:
        return "deeper than domain/topic/subtopic"
    return ""


def _target(raw: str) -> str:
    """A `related` value or `@` token as a path relative to the context tree."""
    path = raw.strip().lstrip("@").lstrip("/")
    for prefix in (".brv/context-tree/", "context-tree/"):
        path = path.removeprefix(prefix)
    return path if path.endswith(".md") else path + ".md"


def _importance(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round_importance(min(100.0, max(0.0, float(value))))


def _entry(
    entry_id: str, path: str, note: Note, ids: Mapping[str, str], dropped: Counter[str]
) -> Entry:
    meta, body = note.meta, note.body
    stem = path.rsplit("/", 1)[-1].removesuffix(".md")
    concept = raw_concept(body)
    targets = [_target(r) for r in strings(meta.get("related"))]
    targets += [_target(m) for m in _MENTION.findall(body)]
    relations: list[Relation] = []
    for target in dict.fromkeys(targets):
        if target in ids:
            relations.append(Relation("related", ids[target]))
        else:
            dropped["relation to a file not in the tree"] += 1
    for key in meta:
        if key in LIFECYCLE_COUNTERS:
            dropped[f"lifecycle field {key}"] += 1
        elif key not in KNOWN_KEYS:
            dropped["other frontmatter field"] += 1
    maturity = text_of(meta.get("maturity"))
    importance = _importance(meta.get("importance"))
    created = text_of(meta.get("createdAt")) or concept.timestamp
    return Entry(
        id=entry_id,
        title=text_of(meta.get("title")) or title_of(body, stem),
        summary=text_of(meta.get("summary")) or first_paragraph(body),
        body=body.lstrip("\n"),
        tags=strings(meta.get("tags")),
        keywords=strings(meta.get("keywords")),
        relations=unique_relations(relations, entry_id),
        sources=(
            Source(FORMAT, path),
            *(Source("file", f) for f in concept.files),
        ),
        author=concept.author,
        importance=50 if importance is None else importance,
        maturity=maturity if maturity in MATURITIES else "draft",
        created=created,
        updated=text_of(meta.get("updatedAt")) or created,
    )


def _overview(folder: str, note: Note) -> Overview:
    title = _OVERVIEW_TITLE.sub("", title_of(note.body, folder.rsplit("/", 1)[-1]))
    return Overview(folder, title, first_paragraph(note.body), note.body.lstrip("\n"))


def read_tree(files: Mapping[str, str]) -> Imported:
    """Entries, overviews and skipped files of a context tree, in path order."""
    skipped: list[Skipped] = []
    dropped: Counter[str] = Counter()
    ids: dict[str, str] = {}  # source path -> entry id
    owner: dict[str, str] = {}  # entry id -> source path
    overviews: list[Overview] = []
    notes: dict[str, Note] = {}
    for path in sorted(files):
        parts = path.split("/")
        reason = _skip_reason(parts)
        slugs = [segment(p) for p in parts[:-1]] + [segment(parts[-1].removesuffix(".md"))]
        if not reason and not all(slugs):
            reason = "a path segment has no letters or digits to make a slug from"
        if reason:
            skipped.append(Skipped(path, reason))
            continue
        note = read_or_skip(path, files[path], skipped)
        if note is None:
            continue
        if parts[-1] == "context.md":
            overviews.append(_overview("/".join(slugs[:-1]), note))
            continue
        entry_id = "/".join(slugs)
        if entry_id in owner:
            skipped.append(Skipped(path, f"same id {entry_id} as {owner[entry_id]}"))
            continue
        ids[path], owner[entry_id] = entry_id, path
        notes[path] = note
    entries = tuple(_entry(ids[p], p, notes[p], ids, dropped) for p in notes)
    return Imported(entries, tuple(overviews), tuple(skipped), counted(dropped))
