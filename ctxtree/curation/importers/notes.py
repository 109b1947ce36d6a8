"""Markdown as other tools write it: optional frontmatter, headings, first paragraphs. Shared
by the importers of markdown-based formats; lenient where our own entry parser is strict,
because a note that is not ours is read for what it says, not validated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ctxtree.errors import InvalidEntryError

HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
FENCE_RE = re.compile(r"^[ \t]{0,3}(```|~~~)")
SUMMARY_CHARS = 240


@dataclass(frozen=True)
class Note:
    """A note's frontmatter mapping ({} when it has none or it is not a mapping), its body,
    and why its frontmatter was ignored ('' when it was read)."""

    meta: dict[str, Any]
    body: str
    problem: str = ""


def read_note(text: str, path: str = "") -> Note:
    """Split `---` frontmatter (a YAML mapping) from the body; bad YAML is reported in
    `problem` and the whole text kept as the body, so nothing is lost."""
    from ctxtree.tree.frontmatter import load_yaml

    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return Note({}, text)
    try:
        close = next(n for n in range(1, len(lines)) if lines[n].strip() in ("---", "..."))
    except StopIteration:
        return Note({}, text, "frontmatter is not closed")
    try:
        meta = load_yaml("\n".join(lines[1:close]), path, 2)
    except InvalidEntryError as exc:
        return Note({}, text, exc.message)
    except Exception as exc:  # yaml's own errors: the note is still worth importing
        return Note({}, text, f"frontmatter is not YAML ({type(exc).__name__})")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return Note({}, text, "frontmatter is not a mapping")
    body = "\n".join(lines[close + 1 :]).lstrip("\n")
    return Note({str(k): v for k, v in meta.items()}, body)


def strings(value: Any) -> tuple[str, ...]:
    """A frontmatter value as a tuple of non-empty strings: a list, or one comma-separated
    string (`tags: a, b` as some tools write it)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(s for s in (str(i).strip() for i in items if i is not None) if s)


@dataclass(frozen=True)
class Section:
    """A heading (level 0 for the text before the first heading) and the text under it, up
    to the next heading of the same or a higher level."""

    level: int
    title: str
    text: str


def headings(body: str) -> list[tuple[int, int, str]]:
    """(line number, level, title) of every ATX heading outside fenced code."""
    found = []
    fenced = False
    for n, line in enumerate(body.split("\n")):
        if FENCE_RE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING_RE.match(line)
        if match:
            found.append((n, len(match.group(1)), match.group(2).strip()))
    return found


def sections(body: str, level: int) -> list[Section]:
    """Split `body` at headings of `level`: the preamble (level 0), then one Section per
    heading with everything under it (deeper headings included)."""
    lines = body.split("\n")
    cuts = [(n, title) for n, lvl, title in headings(body) if lvl == level]
    out = [Section(0, "", "\n".join(lines[: cuts[0][0] if cuts else len(lines)]).strip("\n"))]
    for i, (start, title) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(lines)
        out.append(Section(level, title, "\n".join(lines[start + 1 : end]).strip("\n")))
    return out


def first_heading(body: str, level: int = 1) -> str:
    found = [title for _n, lvl, title in headings(body) if lvl == level]
    return found[0] if found else ""


def first_paragraph(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first paragraph of prose (a list item counts; headings, code, tables and quotes
    markers are skipped) on one line, cut at a word boundary within `limit` characters."""
    paragraph: list[str] = []
    fenced = False
    for line in text.split("\n"):
        stripped = line.strip()
        if FENCE_RE.match(line):
            fenced = not fenced
            if paragraph:
                break
            continue
        if fenced or HEADING_RE.match(stripped) or stripped.startswith(("|", "<!--")):
            if paragraph:
                break
            continue
        if not stripped:
            if paragraph:
                break
            continue
        item = re.sub(r"^(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?", "", stripped).lstrip("> ")
        paragraph.append(item)
        if stripped[0] in "-*+" or stripped[0].isdigit():
            break  # a list item is a summary on its own
    return shorten(" ".join(paragraph), limit)


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
