"""Foreign markdown notes as the format importers read them. Pure.

What byterover, memory-bank, serena and basic-memory share: a file's optional YAML
frontmatter read leniently (a file without one is a plain note; one whose frontmatter does not
parse is skipped by the caller with the reason), a title and summary taken from the body when
the metadata has none, path segments made into our slugs, and the table that maps other
tools' relation names onto our RELATION_TYPES.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ctxtree.curation.importers.records import Imported, Skipped
from ctxtree.curation.importers.transcript import slugify
from ctxtree.errors import InvalidEntryError
from ctxtree.tree.frontmatter import load_yaml, split
from ctxtree.tree.model import RELATION_TYPES, Entry, Relation, Source
from ctxtree.tree.paths import RESERVED

SUMMARY_CHARS = 200
# Other tools' relation names (normalised: lowercase, words joined by "_") and ours. A name
# not listed becomes `related`; the importers keep the original name in the entry's body.
RELATION_NAMES: Mapping[str, str] = {
    **{name: name for name in RELATION_TYPES},
    "relates_to": "related",
    "related_to": "related",
    "see_also": "related",
    "references": "related",
    "links_to": "related",
    "mentions": "related",
    "pairs_with": "related",
    "similar_to": "related",
    "requires": "depends_on",
    "uses": "depends_on",
    "needs": "depends_on",
    "relies_on": "depends_on",
    "built_on": "depends_on",
    "belongs_to": "part_of",
    "member_of": "part_of",
    "component_of": "part_of",
    "child_of": "part_of",
    "replaces": "supersedes",
    "obsoletes": "supersedes",
    "conflicts_with": "contradicts",
    "based_on": "derived_from",
    "extends": "derived_from",
    "inspired_by": "derived_from",
    "follows_from": "derived_from",
    "implements": "example_of",
    "instance_of": "example_of",
}
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_WORDS = re.compile(r"[\s-]+")
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s+(.*)$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def relation_type(name: str) -> str:
    """Our relation type for another tool's relation name (`related` when we have no match).
    Names are compared as lowercase words joined by `_` (`worksAt`, `works at` and `works-at`
    are one name); a leading `is_` is ignored (`is_part_of` is `part_of`)."""
    key = _WORDS.sub("_", _CAMEL.sub("_", name.strip())).lower()
    return RELATION_NAMES.get(key) or RELATION_NAMES.get(key.removeprefix("is_"), "related")


def segment(text: str, reserved_suffix: str = "notes") -> str:
    """A path segment or file stem as our slug: lowercase ASCII, `_` and spaces as `-`; a name
    our store reserves (`context`, `cache`, ...) gets `-<reserved_suffix>`. '' if nothing is
    left (the caller skips the file)."""
    slug = slugify(text.replace("_", "-"))
    if slug in RESERVED:
        return f"{slug}-{reserved_suffix}"
    return slug


@dataclass(frozen=True)
class Note:
    """A markdown file: its frontmatter mapping (empty without one) and its body."""

    path: str
    meta: Mapping[str, Any]
    body: str
    has_frontmatter: bool


def read_note(path: str, text: str) -> Note:
    """Split `text` into frontmatter and body. A file that does not start with `---` is all
    body; a frontmatter that does not parse, or is not a mapping, raises InvalidEntryError."""
    text = text.removeprefix("\ufeff")
    if not text.startswith("---"):
        return Note(path, {}, text, False)
    head, body = split(text, path)
    try:
        meta = load_yaml(head, path, first_line=2)
    except InvalidEntryError:
        raise
    except Exception as exc:  # yaml's own errors: the caller turns this into a skip reason
        problem = getattr(exc, "problem", None) or "it does not parse"
        mark = getattr(exc, "problem_mark", None)
        where = f" on line {mark.line + 2}" if mark is not None else ""
        raise InvalidEntryError(f"frontmatter is not valid YAML: {problem}{where}", "") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise InvalidEntryError("frontmatter is not a YAML mapping", "")
    return Note(path, meta, body, True)


def read_or_skip(path: str, text: str, skipped: list[Skipped]) -> Note | None:
    """`read_note`, or None with the file added to `skipped` when its frontmatter is bad."""
    try:
        return read_note(path, text)
    except InvalidEntryError as exc:
        skipped.append(Skipped(path, exc.message))
        return None


def text_of(value: Any) -> str:
    """A scalar frontmatter value as one line of text ('' for null, lists and mappings)."""
    if value is None or isinstance(value, list | dict):
        return ""
    return " ".join(str(value).split())


def strings(value: Any) -> tuple[str, ...]:
    """A list, or a comma-separated string, as stripped non-empty strings in order."""
    items: Iterable[Any]
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = value.split(",")
    else:
        return ()
    out: dict[str, None] = {}
    for item in items:
        word = text_of(item)
        if word:
            out.setdefault(word, None)
    return tuple(out)


def title_of(body: str, stem: str) -> str:
    """The first `# ` heading of the body, else the file stem in words, capitalised."""
    words = " ".join(stem.replace("_", " ").replace("-", " ").split())
    return _h1(body) or (words[:1].upper() + words[1:]) or stem


def summary_of(body: str, limit: int = SUMMARY_CHARS) -> str:
    """The first paragraph of prose (not a heading, list, quote, table or code), else the
    first list item, on one line, cut at a word boundary to `limit` characters."""
    paragraph: list[str] = []
    item = ""
    fenced = False
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
            if paragraph:
                break
            continue
        if fenced:
            continue
        if not stripped:
            if paragraph:
                break
            continue
        listed = _LIST_ITEM.match(stripped)
        if listed or stripped.startswith(("#", ">", "|", "<")):
            if paragraph:
                break
            item = item or (listed.group(1) if listed else "")
            continue
        paragraph.append(stripped)
    text = " ".join((" ".join(paragraph) or item).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " ":  # the cut fell inside a word: leave that word out
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def unique_relations(relations: Iterable[Relation], self_id: str) -> tuple[Relation, ...]:
    """Relations in order without repeats and without one to the entry itself."""
    seen: dict[Relation, None] = {}
    for relation in relations:
        if relation.target != self_id:
            seen.setdefault(relation, None)
    return tuple(seen)


def counted(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    """`Imported.dropped` from a counter: (what, how many), sorted by what."""
    return tuple(sorted((what, n) for what, n in counter.items() if n))


def folder_id(domain: str, path: str, loose_topic: str) -> str | None:
    """The id of a note at `path` (relative to the imported folder, `.md` included) under
    `domain`: a note at the top goes to topic `loose_topic`, one in a folder to that topic,
    one in a subfolder to that subtopic; deeper folders are joined into the subtopic's name
    (`a/b/c/n.md` -> `domain/a/b-c/n`). None when a name leaves no slug."""
    *folders, name = path.split("/")
    stem = segment(name.removesuffix(".md"), "note")
    topic = [segment(f, "topic") for f in folders[:1]] or [loose_topic]
    deeper = [segment("-".join(folders[1:]), "topic")] if folders[1:] else []
    parts = [domain, *topic, *deeper, stem]
    return "/".join(parts) if all(parts) else None


def sorted_markdown(
    files: Mapping[str, str],
) -> tuple[list[str], list[tuple[str, str]]]:
    """The markdown paths of `files` in order, and the others (and hidden ones) with a reason."""
    notes: list[str] = []
    others: list[tuple[str, str]] = []
    for path in sorted(files):
        if any(part.startswith(".") for part in path.split("/")):
            others.append((path, "hidden file or folder"))
        elif not path.endswith(".md"):
            others.append((path, "not a markdown file"))
        else:
            notes.append(path)
    return notes, others


@dataclass(frozen=True)
class Placement:
    """Where a plain note goes and what kind of entry it makes."""

    id: str
    kind: str = "note"
    title: str = ""  # used when the note has no title of its own


def read_folder(
    files: Mapping[str, str],
    source_type: str,
    place: Callable[[str], Placement | None],
) -> Imported:
    """Plain markdown notes (optional frontmatter `title`, `summary`/`description`, `tags`)
    as entries: `place(path)` gives each its id and kind; the body is kept verbatim. Two
    files with one id: the second is skipped. Files `place` declines are skipped."""
    paths, others = sorted_markdown(files)
    skipped = [Skipped(path, reason) for path, reason in others]
    owner: dict[str, str] = {}
    entries: list[Entry] = []
    for path in paths:
        where = place(path)
        if where is None:
            skipped.append(Skipped(path, "a name has no letters or digits to make a slug from"))
            continue
        if where.id in owner:
            skipped.append(Skipped(path, f"same id {where.id} as {owner[where.id]}"))
            continue
        note = read_or_skip(path, files[path], skipped)
        if note is None:
            continue
        owner[where.id] = path
        meta, body = note.meta, note.body
        stem = path.rsplit("/", 1)[-1].removesuffix(".md")
        summary = text_of(meta.get("summary")) or text_of(meta.get("description"))
        entries.append(
            Entry(
                id=where.id,
                title=text_of(meta.get("title")) or _h1(body) or where.title or title_of("", stem),
                summary=summary or summary_of(body),
                kind=where.kind,
                body=body.lstrip("\n"),
                tags=strings(meta.get("tags")),
                sources=(Source(source_type, path),),
            )
        )
    return Imported(tuple(entries), (), tuple(skipped))


def _h1(body: str) -> str:
    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            return match.group(1)
    return ""
