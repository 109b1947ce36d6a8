"""Folders of notes another tool keeps (a memory bank, Serena's memories, a Basic Memory
project, a ByteRover tree) placed in our tree. Pure.

What those importers share beyond reading a note (notes.py): path segments made into our
slugs, a note's path turned into an id, titles from file names, notes whose frontmatter does
not parse skipped with the reason, and one reader for folders of plain notes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ctxtree.curation.importers.notes import (
    Note,
    first_heading,
    first_paragraph,
    read_note,
    strings,
)
from ctxtree.curation.importers.records import Imported, Skipped
from ctxtree.tree.model import Entry, Source
from ctxtree.tree.paths import RESERVED, slugify


def segment(text: str, reserved_suffix: str = "notes") -> str:
    """A path segment or file stem as our slug: lowercase ASCII, `_` and spaces as `-`; a name
    our store reserves (`context`, `cache`, ...) gets `-<reserved_suffix>`. '' if nothing is
    left (the caller skips the file)."""
    slug = slugify(text.replace("_", "-"))
    if slug in RESERVED:
        return f"{slug}-{reserved_suffix}"
    return slug


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


def read_or_skip(path: str, text: str, skipped: list[Skipped]) -> Note | None:
    """The note, or None with the file added to `skipped` when its frontmatter does not
    parse: its fields would be lost, so the user fixes the file and imports again."""
    note = read_note(text, path)
    if note.problem:
        skipped.append(Skipped(path, f"frontmatter not read: {note.problem}"))
        return None
    return note


def text_of(value: Any) -> str:
    """A scalar frontmatter value as one line of text ('' for null, lists and mappings)."""
    if value is None or isinstance(value, list | dict):
        return ""
    return " ".join(str(value).split())


def title_of(body: str, stem: str) -> str:
    """The first `# ` heading of the body, else the file stem in words, capitalised."""
    words = " ".join(stem.replace("_", " ").replace("-", " ").split())
    return first_heading(body) or (words[:1].upper() + words[1:]) or stem


def counted(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    """`Imported.dropped` from a counter: (what, how many), sorted by what."""
    return tuple(sorted((what, n) for what, n in counter.items() if n))


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
    as entries, in path order: `place(path)` gives each its id and kind; the body is kept
    verbatim. Skipped: other files, names that leave no slug, a second file with one id."""
    skipped: list[Skipped] = []
    owner: dict[str, str] = {}
    entries: list[Entry] = []
    for path in sorted(files):
        where = place(path) if path.endswith(".md") else None
        if not path.endswith(".md"):
            skipped.append(Skipped(path, "not a markdown file"))
            continue
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
                title=text_of(meta.get("title")) or first_heading(body) or where.title
                or title_of("", stem),
                summary=summary or first_paragraph(body),
                kind=where.kind,
                body=body.lstrip("\n"),
                tags=strings(meta.get("tags")),
                sources=(Source(source_type, path),),
            )
        )  # fmt: skip
    return Imported(tuple(entries), (), tuple(skipped))
