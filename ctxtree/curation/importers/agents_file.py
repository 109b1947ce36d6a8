"""Agent instruction files into entries: CLAUDE.md, AGENTS.md and Cursor rules (`.mdc`).

One topic per file (`instructions/claude`, `instructions/agents`, `instructions/cursor-<rule>`),
one entry per `##` section (per `#` section when the file has several and no `##`; the whole
file when it has neither); deeper headings stay inside their section. The text before the
first section becomes the topic's context.md. A Cursor rule's frontmatter maps too:
`description` is the overview's summary (and the entry's, for a rule of one section),
`globs` become every entry's anchors (so a change to those files flags the entries stale),
`alwaysApply` has no place in our model and is counted as dropped. The block between
`<!-- ctx:begin ... -->` and `<!-- ctx:end -->` came from this store (`ctx export
agents-file`) and is never imported back.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ctxtree.curation.importers import notes
from ctxtree.curation.importers.records import Imported, Overview, Skipped
from ctxtree.tree.model import Entry, Source
from ctxtree.tree.paths import RESERVED, slugify

FORMAT = "agents-file"
DEFAULT_DOMAIN = "instructions"
END = "<!-- ctx:end -->"

_PROCEDURE = re.compile(
    r"\b(build|test|tests|testing|setup|set up|install|run|running|commands?|workflow|deploy"
    r"|release|develop|development|getting started|how to|debug)\b",
    re.I,
)
_RULE = re.compile(
    r"\b(rules?|security|never|must|don'?t|do not|forbidden|important|constraints?|"
    r"boundaries|guardrails|permissions?)\b",
    re.I,
)
_FACT = re.compile(r"\b(overview|architecture|structure|about|stack|layout|context)\b", re.I)
_IMPERATIVE = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+\**(never|always|must|do not|don'?t)\b", re.I)


def without_ctx_block(text: str) -> tuple[str, bool]:
    """The text with our own `ctx export agents-file` section cut out, and whether it had one."""
    lines = text.split("\n")
    starts = [n for n, ln in enumerate(lines) if ln.lstrip().startswith("<!-- ctx:begin")]
    begin = starts[0] if starts else None
    if begin is None:
        return text, False
    end = next((n for n in range(begin, len(lines)) if lines[n].strip() == END), len(lines) - 1)
    return "\n".join(lines[:begin] + lines[end + 1 :]), True


def topic_of(path: str) -> str:
    """`CLAUDE.md` -> `claude`, `AGENTS.md` -> `agents`, `.cursor/rules/python.mdc` ->
    `cursor-python`."""
    name = PurePosixPath(path.replace("\\", "/"))
    slug = slugify(name.stem) or "file"
    return f"cursor-{slug}"[:64].rstrip("-_") if name.suffix.lower() == ".mdc" else slug


def kind_of(title: str, text: str) -> str:
    """`procedure` for how to build, test, run; `rule` for what must or must not be done
    (by its heading, or when most of its list items start Never/Always/Must/Do not);
    `fact` for an overview or architecture; otherwise `convention`."""
    if _PROCEDURE.search(title):
        return "procedure"
    items = [ln for ln in text.split("\n") if re.match(r"^\s*(?:[-*+]|\d+\.)\s", ln)]
    imperative = sum(bool(_IMPERATIVE.match(ln)) for ln in items)
    if _RULE.search(title) or (items and imperative * 2 > len(items)):
        return "rule"
    if _FACT.search(title):
        return "fact"
    return "convention"


def _slug(title: str, taken: set[str], number: int) -> str:
    slug = slugify(title) or f"section-{number}"
    if slug in RESERVED:
        slug = f"{slug}-section"
    unique, n = slug, 2
    while unique in taken:
        unique = f"{slug[:60]}-{n}"
        n += 1
    taken.add(unique)
    return unique


def read(text: str, path: str, *, domain: str = DEFAULT_DOMAIN, topic: str = "") -> Imported:
    """The entries, overview and drops of one instruction file (`path` as the user named it)."""
    topic = topic or topic_of(path)
    folder = f"{domain}/{topic}"
    dropped: list[tuple[str, int]] = []
    note = notes.read_note(text, path)
    body, had_block = without_ctx_block(note.body)
    if had_block:
        dropped.append(("ctx section (exported from this store)", 1))
    if note.problem:
        dropped.append((f"frontmatter ({note.problem})", 1))
    description = str(note.meta.get("description") or "").strip()
    anchors = notes.strings(note.meta.get("globs"))
    if "alwaysApply" in note.meta:
        dropped.append(("alwaysApply", 1))
    levels = [lvl for _n, lvl, _t in notes.headings(body)]
    level = 2 if 2 in levels else 1 if levels.count(1) > 1 else 0
    title = notes.first_heading(body) or description or PurePosixPath(path).name
    source = Source(FORMAT, path)
    parts = notes.sections(body, level) if level else [notes.Section(0, title, body)]
    preamble = parts[0].text if level else ""
    if level == 2:  # the file's own `#` title introduces the sections: not part of them
        preamble = "\n".join(
            ln for ln in preamble.split("\n") if not re.match(r"^#[ \t]", ln)
        ).strip("\n")
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    taken: set[str] = set()
    sections = parts[1:] if level else parts
    for number, section in enumerate(sections, 1):
        content = section.text.strip("\n")
        if level == 0:
            content = "\n".join(
                ln for ln in content.split("\n") if not re.match(r"^#[ \t]", ln)
            ).strip("\n")
        if not content.strip():
            skipped.append(Skipped(f"{path}#{section.title}", "empty section"))
            continue
        summary = notes.first_paragraph(content)
        if len(sections) == 1 and description:
            summary = description
        entries.append(
            Entry(
                id=f"{folder}/{_slug(section.title, taken, number)}",
                title=section.title,
                body=f"# {section.title}\n\n{content}\n",
                summary=summary,
                kind=kind_of(section.title, content),
                sources=(source,),
                anchors=anchors,
            )
        )
    overviews: tuple[Overview, ...] = ()
    if preamble.strip() or level:
        summary = description or notes.first_paragraph(preamble) or f"Sections of {path}"
        overview_body = preamble.strip() or f"Imported from {path}."
        overviews = (Overview(folder, title, summary, overview_body),)
    return Imported(tuple(entries), overviews, tuple(skipped), tuple(dropped))
