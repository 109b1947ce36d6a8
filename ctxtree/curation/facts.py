"""An entry's facts, one at a time: find one, drop it, replace it, add one. Pure.

The lines come from `sections` (the one reading of a body that merge, split and the loss
check of UPDATE use), so a fact here is always inside one of its line-facts:

- every non-empty, non-heading line outside a code fence is a fact, its list marker
  (`-`, `*`, `+`, `1.`) or quote marker (`>`) not part of the text;
- a line that joins clauses with `;`, or sentences with `.`/`!`/`?` and a space, holds one
  fact per clause ("Works at Google; married to Jamie." is two facts), except after a known
  abbreviation or a one-letter initial ("e.g. ", "Dr. ", "J. Smith"); table rows and fenced
  code are never cut;
- a fact's text is the clause without its separator or closing full stop.

A fact is found by its text: exactly, then ignoring case, spacing and closing punctuation,
then as the one fact that contains the words asked for, then as the one clearly closest
(token-set similarity >= 80 and 10 points ahead of the next). More than one candidate at a
step is ambiguous and reported with the candidates; none at all lists the entry's facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ctxtree.curation import sections

_MARKER = re.compile(r"^(\s*(?:[-*+]|\d+[.)]|>)\s+(?:\[[ xX]\]\s+)?)")
_SEPARATOR = re.compile(r"\s*;\s+|(?<=[.!?])\s+(?=\S)")
ABBREVIATIONS = frozenset(
    "e.g i.e etc vs mr mrs ms dr prof st jr sr inc ltd co approx no fig cf al".split()
)
FUZZY_MIN = 80
FUZZY_MARGIN = 10


@dataclass(frozen=True)
class Fact:
    text: str  # the clause as written, without separator or closing full stop
    line: int  # index of its line in body.splitlines()
    start: int  # its span in that line
    end: int


def _clauses(line: str) -> list[tuple[int, int]]:
    """Spans of the clauses of one line's text (after any list marker)."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in _SEPARATOR.finditer(line):
        piece = line[begin : match.start()]
        if not match.group().strip() and _abbreviated(piece):
            continue
        spans.append((begin, match.start()))
        begin = match.end()
    spans.append((begin, len(line)))
    out = []
    for start, end in spans:
        text = line[start:end].rstrip()
        if text.endswith(".") and not _abbreviated(text):
            text = text[:-1]
        if text.strip():
            out.append((start, start + len(text)))
    return out


def _abbreviated(piece: str) -> bool:
    """Whether `piece` ends in an abbreviation or an initial, so its full stop ends nothing."""
    words = piece.rstrip(".").rsplit(None, 1)
    last = words[-1].lower() if words else ""
    return (len(last) == 1 and last.isalpha()) or last in ABBREVIATIONS


def facts(body: str) -> list[Fact]:
    """Every fact of a body, in order (see the module docstring for the rule)."""
    lines = body.splitlines()
    out: list[Fact] = []
    index = 0
    for part in sections.sections(body):
        if part.heading:
            index += 1
        fenced = False
        for line in part.lines:
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            elif line.strip() and not fenced:
                assert lines[index] == line
                out += _line_facts(line, index)
            index += 1
    return out


def _line_facts(line: str, index: int) -> list[Fact]:
    marker = _MARKER.match(line)
    offset = marker.end() if marker else len(line) - len(line.lstrip())
    text = line[offset:]
    if text.startswith("|"):
        return [Fact(text.rstrip(), index, offset, offset + len(text.rstrip()))]
    return [Fact(text[a:b], index, offset + a, offset + b) for a, b in _clauses(text)]


def normal(text: str) -> str:
    """Case, spacing and closing punctuation ignored."""
    return " ".join(text.casefold().split()).rstrip(".!?;:, ")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


class FactLookup(Exception):
    """No fact, or several, answer `query`; `candidates` are the ones to choose from."""

    def __init__(self, query: str, candidates: Sequence[Fact], ambiguous: bool) -> None:
        super().__init__(query)
        self.query = query
        self.candidates = list(candidates)
        self.ambiguous = ambiguous


def find(body: str, query: str) -> Fact:
    """The one fact `query` names (exact, normalised, containing, closest); FactLookup
    when none or several do."""
    found = facts(body)
    steps = (
        lambda f: f.text.strip() == query.strip(),
        lambda f: normal(f.text) == normal(query),
        lambda f: _contains(f.text, query),
    )
    for step in steps:
        hits = _distinct([f for f in found if step(f)])
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise FactLookup(query, hits, ambiguous=True)
    return _closest(found, query)


def _distinct(hits: list[Fact]) -> list[Fact]:
    """One hit per text: the same fact written twice is one fact (the first is taken)."""
    seen: dict[str, Fact] = {}
    for fact in hits:
        seen.setdefault(normal(fact.text), fact)
    return list(seen.values())


def _contains(text: str, query: str) -> bool:
    wanted = _words(query)
    have = _words(text)
    if not wanted:
        return False
    n = len(wanted)
    return any(have[i : i + n] == wanted for i in range(len(have) - n + 1))


def _closest(found: Sequence[Fact], query: str) -> Fact:
    from rapidfuzz import fuzz

    scored = sorted(
        ((fuzz.token_set_ratio(normal(f.text), normal(query)), f) for f in found),
        key=lambda pair: (-pair[0], pair[1].line, pair[1].start),
    )
    close = [(s, f) for s, f in scored if s >= FUZZY_MIN]
    if close and (len(close) == 1 or close[0][0] - close[1][0] >= FUZZY_MARGIN):
        return close[0][1]
    if close:
        raise FactLookup(query, [f for s, f in close if s > close[0][0] - FUZZY_MARGIN], True)
    raise FactLookup(query, found, ambiguous=False)


def drop(body: str, fact: Fact) -> str:
    """The body without `fact`: its clause and separator, or its whole line (list marker
    included) when it was the line's only fact."""
    lines = body.splitlines()
    line = lines[fact.line]
    siblings = [f for f in facts(body) if f.line == fact.line]
    if len(siblings) == 1:
        del lines[fact.line]
        return _rejoined(lines, body)
    position = siblings.index(fact)
    if position + 1 < len(siblings):  # cut up to the next clause, keeping the closing text
        after = siblings[position + 1].start
        nxt = line[after:]
        nxt = nxt[:1].upper() + nxt[1:] if fact.start == _lead(line) else nxt
        lines[fact.line] = line[: fact.start] + nxt
    else:  # the last clause: cut from the end of the one before, keep the line's ending
        before = siblings[position - 1].end
        lines[fact.line] = line[:before] + line[fact.end :]
    return _rejoined(lines, body)


def _lead(line: str) -> int:
    marker = _MARKER.match(line)
    return marker.end() if marker else len(line) - len(line.lstrip())


def replace(body: str, fact: Fact, query: str, new: str) -> str:
    """The body with `fact` rewritten as `new`, in place. When `query` is written inside the
    fact (ignoring case), only that part changes ("works at Google" -> "works at Stripe"
    keeps "User "); otherwise the whole clause does."""
    lines = body.splitlines()
    line = lines[fact.line]
    text = line[fact.start : fact.end]
    at = text.casefold().find(query.strip().casefold()) if query.strip() else -1
    if at >= 0 and text.casefold() != query.strip().casefold():
        rewritten = text[:at] + new.strip() + text[at + len(query.strip()) :]
    else:
        rewritten = new.strip().rstrip(".") if fact.end < len(line.rstrip()) else new.strip()
        if text[:1].isupper():
            rewritten = rewritten[:1].upper() + rewritten[1:]
    lines[fact.line] = line[: fact.start] + rewritten + line[fact.end :]
    return _rejoined(lines, body)


def add(body: str, text: str) -> str:
    """The body with one more fact: an item of its `## Facts` section, else of the list it
    ends with, else a line of its own at the end."""
    item = text.strip()
    parts = sections.sections(body)
    for i, part in enumerate(parts):
        if part.level >= 2 and part.title.strip().casefold() == "facts":
            kept = list(part.lines)
            items = [n for n, line in enumerate(kept) if _MARKER.match(line)]
            if items:
                kept.insert(items[-1] + 1, f"- {item}")
            else:
                while kept and not kept[-1].strip():
                    kept.pop()
                kept += [""] * (not kept) + [f"- {item}"]
            parts[i] = sections.Section(part.heading, tuple(kept))
            return sections.join(parts)
    lines = body.rstrip("\n").splitlines()
    last = lines[-1] if lines else ""
    marker = _MARKER.match(last)
    if marker and not last.lstrip().startswith(">"):
        bullet = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), marker.group(1), count=1)
        return "\n".join([*lines, bullet + item]) + "\n"
    return "\n".join([*lines, *([""] if lines else []), item]) + "\n"


def _rejoined(lines: list[str], original: str) -> str:
    """Lines back into a body: no run of blank lines left where a line went, and the
    original's trailing newline."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    text = "\n".join(out)
    return text + "\n" if text and original.endswith("\n") else text


def same(body: str, text: str) -> Fact | None:
    """The fact of `body` that says `text` (ignoring case, spacing, closing punctuation)."""
    return next((f for f in facts(body) if normal(f.text) == normal(text)), None)


def containing(body: str, query: str) -> Fact | None:
    """The one fact of `body` holding the words of `query` in order, if only one does."""
    hits = _distinct([f for f in facts(body) if _contains(f.text, query)])
    return hits[0] if len(hits) == 1 else None


def scrub(text: str, needle: str, placeholder: str) -> str:
    """A file's text (frontmatter and body) without the facts of its body that hold
    `needle`; anything else holding it (a frontmatter value) gets `placeholder`."""
    head, body = "", text
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end > 0:
            head, body = text[: end + 5], text[end + 5 :]
    while (hit := next((f for f in facts(body) if needle in f.text), None)) is not None:
        body = drop(body, hit)
        if body and not body.endswith("\n") and text.endswith("\n"):
            body += "\n"
    return (head + body).replace(needle, placeholder)
