"""Markdown bodies as sections and facts, for merge, split and loss detection. Pure.

A *section* is a heading line (`#`..`######`) and the lines under it up to the next heading
of any level; the text before the first heading is the preamble (heading ""). A *fact* is a
non-empty, non-heading line, compared with surrounding whitespace stripped. Fenced code blocks
are kept whole: a `#` line inside ``` is not a heading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Section:
    heading: str  # the heading line as written ("" for the preamble)
    lines: tuple[str, ...]  # the lines under it, without trailing newlines

    @property
    def level(self) -> int:
        match = HEADING_RE.match(self.heading)
        return len(match.group(1)) if match else 0

    @property
    def title(self) -> str:
        match = HEADING_RE.match(self.heading)
        return match.group(2) if match else ""

    def text(self) -> str:
        head = [self.heading] if self.heading else []
        return "\n".join([*head, *self.lines])


def sections(body: str) -> list[Section]:
    """The body cut at every heading outside code fences (the preamble first, maybe empty)."""
    out: list[Section] = []
    heading = ""
    lines: list[str] = []
    fenced = False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and HEADING_RE.match(line):
            out.append(Section(heading, tuple(lines)))
            heading, lines = line, []
        else:
            lines.append(line)
    out.append(Section(heading, tuple(lines)))
    return out


def join(parts: Sequence[Section]) -> str:
    """Sections back into a body: blank-line separated, one trailing newline."""
    blocks = [_trimmed(p.text()) for p in parts]
    text = "\n\n".join(b for b in blocks if b)
    return text + "\n" if text else ""


def _trimmed(text: str) -> str:
    return text.strip("\n")


def facts(body: str) -> list[str]:
    """Every non-empty, non-heading line (stripped), in order, without duplicates."""
    seen: dict[str, None] = {}
    for part in sections(body):
        for line in part.lines:
            if line.strip():
                seen.setdefault(line.strip(), None)
    return list(seen)


def lost_facts(old: str, new: str) -> list[str]:
    """Facts of `old` that `new` no longer holds (whitespace-insensitive per line)."""
    kept = set(facts(new))
    return [fact for fact in facts(old) if fact not in kept]


def merge_bodies(dst: str, src: str) -> str:
    """`dst` with everything `src` adds, nothing repeated.

    A section of `src` whose heading title `dst` also has (case-insensitive) contributes
    only the facts `dst` lacks, appended to that section; other sections are appended whole
    (minus facts `dst` already holds), in `src`'s order. `src`'s level-1 title line is
    dropped and its intro text joins `dst`'s intro (its level-1 section, else its preamble).
    """
    target = sections(dst)
    present = set(facts(dst))
    intro = next((i for i, s in enumerate(target) if s.level == 1), 0)
    for part in sections(src):
        loose = part.level <= 1
        fresh = [ln for ln in part.lines if not ln.strip() or ln.strip() not in present]
        if not any(ln.strip() for ln in fresh):
            continue
        present.update(ln.strip() for ln in fresh if ln.strip())
        same = next(
            (
                i
                for i, s in enumerate(target)
                if s.heading and s.title.lower() == part.title.lower()
            ),
            None,
        )
        index = intro if loose else same
        if index is None:
            target.append(Section(part.heading, _rstrip_blank(fresh)))
            continue
        old = target[index]
        kept = _rstrip_blank(old.lines)
        added = _stripped_blank(fresh)
        listy = bool(kept) and _is_item(kept[-1]) and _is_item(added[0])
        gap = () if listy or not any(ln.strip() for ln in kept) else ("",)
        if not kept and old.heading:
            gap = ("",)
        target[index] = Section(old.heading, (*kept, *gap, *added))
    return join(target)


def _is_item(line: str) -> bool:
    return bool(re.match(r"\s*([-*+]|\d+[.)])\s", line))


def _rstrip_blank(lines: Sequence[str]) -> tuple[str, ...]:
    out = list(lines)
    while out and not out[-1].strip():
        out.pop()
    return tuple(out)


def _stripped_blank(lines: Sequence[str]) -> tuple[str, ...]:
    """The lines without blank lines at either end."""
    out = list(lines)
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    return tuple(out)


def slug(text: str) -> str:
    """A path slug for a heading: lowercase ascii words joined by '-', at most 48 chars."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = "-".join(words)[:48].strip("-")
    return out or "part"
