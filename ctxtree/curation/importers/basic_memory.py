"""A Basic Memory project (markdown notes with observations and relations) into entries. Pure.

Input: the project's files as `{path relative to the project: text}`. Mapping:

- `note.md`, `folder/note.md`, `folder/sub/note.md` -> `<domain>/notes/note`,
  `<domain>/folder/note`, `<domain>/folder/sub/note` (deeper folders join the subtopic);
- frontmatter `title` (else the first `# ` heading, else the file name) -> `title`;
- `tags` (a list or comma-separated) and `#tags` in observations -> `tags`;
- `type` -> `kind` when it is one of ours (`decision`, ...), else `note` and the type as a tag;
- `- relation_type [[Target]] (context)` lines -> typed relations (relation_names.RELATION_NAMES;
  other names `related`);
- `[[Target]]` anywhere else in the body -> `related` relations;
- `- [category] fact #tag (context)` observations and the rest of the body -> kept verbatim.

A target is found by title, permalink, path or file name (case-insensitively); every found
`[[Target]]` in the body becomes `[[<our id>|Target]]`, so the link keeps working in ctx and
the original relation name stays in the line. Dropped and counted: relations whose target is
not in the project, `permalink` (ids come from paths) and other frontmatter keys.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

from ctxtree.curation.importers.folders import (
    Placement,
    counted,
    folder_id,
    read_folder,
    text_of,
)
from ctxtree.curation.importers.notes import read_note
from ctxtree.curation.importers.records import Imported
from ctxtree.curation.importers.relation_names import relation_type, unique_relations
from ctxtree.tree.model import KINDS, Entry, Relation
from ctxtree.tree.paths import slugify

FORMAT = "basic-memory"
DEFAULT_DOMAIN = "basic-memory"
LOOSE_TOPIC = "notes"
KNOWN_KEYS = frozenset({"title", "type", "tags"})
_LINK = re.compile(r"\[\[(?P<target>[^\]|\n]+)(?:\|(?P<label>[^\]\n]*))?\]\]")
_RELATION_LINE = re.compile(r"^\s*[-*]\s+(?P<type>[^\[\]\n#(]+?)\s+\[\[(?P<target>[^\]|\n]+)")
_OBSERVATION = re.compile(r"^\s*[-*]\s+\[(?P<category>[^\]\s][^\]]*)\]\s+(?P<content>.+)$")
_HASHTAG = re.compile(r"(?<![\w&#/])#(?P<tag>[\w][\w/-]*)")
_CHECKBOX = frozenset({"x", "X"})


def observation_tags(body: str) -> tuple[str, ...]:
    """`#tags` written in observation lines (`- [category] fact #tag`), in order."""
    out: dict[str, None] = {}
    for line in body.splitlines():
        match = _OBSERVATION.match(line)
        if match and match.group("category") not in _CHECKBOX:
            for tag in _HASHTAG.findall(match.group("content")):
                out.setdefault(tag, None)
    return tuple(out)


def link_relations(body: str) -> list[tuple[str, str]]:
    """(their relation name, target text) for every wikilink: the name on a relation line,
    `links_to` for a link anywhere else."""
    out: list[tuple[str, str]] = []
    for line in body.splitlines():
        relation = _RELATION_LINE.match(line)
        for match in _LINK.finditer(line):
            target = match.group("target").strip()
            on_line = relation is not None and relation.group("target").strip() == target
            out.append(
                (relation.group("type").strip() if on_line and relation else "links_to", target)
            )
    return out


def _keys(note_path: str, entry: Entry, permalink: str) -> list[str]:
    stem = note_path.rsplit("/", 1)[-1].removesuffix(".md")
    keys = [entry.title, note_path.removesuffix(".md"), stem]
    if permalink:
        keys += [permalink, permalink.rsplit("/", 1)[-1]]
    return [k.casefold() for k in keys] + [slugify(k) for k in keys]


def read_project(files: Mapping[str, str], domain: str = DEFAULT_DOMAIN) -> Imported:
    """Entries of a Basic Memory project, in path order, with their relations resolved."""

    def place(path: str) -> Placement | None:
        entry_id = folder_id(domain, path, LOOSE_TOPIC)
        return Placement(entry_id) if entry_id else None

    read = read_folder(files, FORMAT, place)
    dropped: Counter[str] = Counter()
    metas = {}
    lookup: dict[str, str] = {}
    for entry in read.entries:
        path = entry.sources[0].ref
        meta = read_note(files[path], path).meta
        metas[entry.id] = meta
        for key in _keys(path, entry, text_of(meta.get("permalink"))):
            lookup.setdefault(key, entry.id)

    def resolve(target: str) -> str | None:
        return lookup.get(target.casefold()) or lookup.get(slugify(target))

    def relink(match: re.Match[str]) -> str:
        found = resolve(match.group("target").strip())
        if found is None:
            return match.group(0)
        label = match.group("label") or match.group("target")
        return f"[[{found}|{label}]]"

    entries = []
    for entry in read.entries:
        meta = metas.get(entry.id, {})
        relations: list[Relation] = []
        for name, target in link_relations(entry.body):
            found = resolve(target)
            if found is None:
                dropped["relation to a note not in the project"] += 1
            else:
                relations.append(Relation(relation_type(name), found))
        kind_name = text_of(meta.get("type")).lower()
        kind = kind_name if kind_name in KINDS else "note"
        type_tag = (kind_name,) if kind_name and kind_name not in KINDS else ()
        for key in meta:
            if key == "permalink":
                dropped["permalink (ids come from paths)"] += 1
            elif key not in KNOWN_KEYS:
                dropped["other frontmatter field"] += 1
        tags = tuple(dict.fromkeys((*entry.tags, *type_tag, *observation_tags(entry.body))))
        entries.append(
            replace(
                entry,
                kind=kind,
                tags=tags,
                body=_LINK.sub(relink, entry.body),
                relations=unique_relations(relations, entry.id),
            )
        )
    return replace(read, entries=tuple(entries), dropped=counted(dropped))
