"""`ctx blame ID`: who, what and when for each part of an entry (SPEC §5, history).

Parts: frontmatter fields (title, summary, each tag, keyword, relation and source), each
section (a markdown heading and the block under it) and each fact (each non-empty body line).

Body lines come from `git blame --line-porcelain -M` on the entry's file (current or
archived; git follows the file through `ctx mv` and archive moves). A field value is credited
to the oldest commit of the unbroken run of versions holding it, found by parsing each
version of the file: `tags: [a, b]` is one line, so line blame would credit both tags to
whichever commit last touched that line. Trailers (actor, sources, op) come from one more git
call over the commits involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ctxtree.errors import InvalidEntryError
from ctxtree.service.session import Session
from ctxtree.tree import frontmatter
from ctxtree.tree.git import GitRepo
from ctxtree.tree.history import Commit
from ctxtree.tree.model import Entry
from ctxtree.tree.paths import parse_id
from ctxtree.tree.suggestions import missing_entry

UNCOMMITTED = "uncommitted"
_HEADING = re.compile(r"^#{1,6}\s")


@dataclass(frozen=True)
class Part:
    kind: str  # title | summary | tag | keyword | relation | source | section | fact
    text: str
    line: int  # 1-based line in the file as it is on disk
    end_line: int
    section: str  # the heading a fact is under ("" before the first heading)
    commit: Commit | None  # None: not committed yet

    def to_json(self) -> dict[str, Any]:
        c = self.commit
        return {
            "part": self.kind,
            "text": self.text,
            "line": self.line,
            "end_line": self.end_line,
            "section": self.section,
            "commit": c.sha if c else None,
            "actor": (c.trailer("Ctx-Actor") or c.author) if c else None,
            "sources": [v for k, v in c.trailers if k == "Ctx-Source"] if c else [],
            "op": c.op if c else None,
            "time": c.time if c else None,
            "uncommitted": c is None,
        }


def _fields(entry: Entry) -> list[tuple[str, str]]:
    """(kind, value) of every blamed frontmatter part, in file order."""
    parts = [("title", entry.title)]
    if entry.summary:
        parts.append(("summary", entry.summary))
    parts += [("tag", t) for t in entry.tags]
    parts += [("keyword", k) for k in entry.keywords]
    parts += [("relation", r.render()) for r in entry.relations]
    parts += [("source", s.render()) for s in entry.sources]
    return parts


def _introduced(
    value: tuple[str, str], versions: list[tuple[str, set[tuple[str, str]]]], current: bool
) -> str | None:
    """The sha of the oldest version in the run of latest versions holding `value`; None
    when the committed file does not hold it (an uncommitted change)."""
    if not current:
        return None
    sha = None
    for version_sha, values in reversed(versions):
        if value not in values:
            break
        sha = version_sha
    return sha


def _field_lines(text: str) -> Callable[[str, str], int]:
    """Where a field value sits in the file: the line of its key, or for a list item the
    first line from its key on that holds it."""
    lines = text.splitlines()

    def find(kind: str, value: str) -> int:
        key = {"tag": "tags", "keyword": "keywords", "relation": "relations"}.get(kind, kind)
        key = "sources" if kind == "source" else key
        head, _body = frontmatter.split(text)
        start = frontmatter.key_line(head, key)
        if kind in ("title", "summary"):
            return start
        needle = value.split(":", 1)[1] if kind in ("relation", "source") else value
        for number in range(start, min(len(lines), head.count("\n") + 2) + 1):
            if needle in lines[number - 1]:
                return number
        return start

    return find


def blame(session: Session, raw_id: str) -> list[Part]:
    entry_id = parse_id(raw_id)
    store = session.store
    relpath = next(
        (p for p in (f"tree/{entry_id}.md", f"archive/{entry_id}.md") if store.path(p).is_file()),
        None,
    )
    if relpath is None:
        raise missing_entry(store, entry_id, f"no entry {entry_id!r} (current or archived)")
    text = store.read_text(relpath)
    entry = frontmatter.parse(text, entry_id, relpath)
    repo = GitRepo(store.root)
    lines = repo.history.blame(relpath) or []
    line_sha = {number: sha for sha, number, _text in lines if sha.strip("0")}
    versions: list[tuple[str, set[tuple[str, str]]]] = []
    for version, old in repo.history.versions(relpath):
        try:
            versions.append((version, set(_fields(frontmatter.parse(old, entry_id, relpath)))))
        except InvalidEntryError:
            versions.append((version, set()))  # a broken version breaks every run
    in_head = versions[-1][1] if versions else set()
    where = _field_lines(text)
    found: list[tuple[str, str, int, int, str, str | None]] = []
    for kind, value in _fields(entry):
        introduced = _introduced((kind, value), versions, (kind, value) in in_head)
        line = where(kind, value)
        found.append((kind, value, line, line, "", introduced))
    found += _body_parts(text, entry.body, line_sha)
    commits = repo.history.commits([sha for *_rest, sha in found if sha])
    return [
        Part(kind, value, line, end, section, commits.get(sha) if sha else None)
        for kind, value, line, end, section, sha in found
    ]


def _body_parts(
    text: str, body: str, line_sha: dict[int, str]
) -> list[tuple[str, str, int, int, str, str | None]]:
    """Sections (heading to the next heading) and facts (non-empty lines) of the body, each
    credited by line blame: a section to its heading line's commit."""
    all_lines = text.splitlines()
    first = len(all_lines) - len(body.splitlines()) + 1  # file line of the body's first line
    parts: list[tuple[str, str, int, int, str, str | None]] = []
    section = ""
    section_at: int | None = None
    fence = False
    for offset, raw in enumerate(body.splitlines()):
        number = first + offset
        stripped = raw.strip()
        if stripped.startswith("```") or stripped.startswith("~~~"):
            fence = not fence
        if not stripped:
            continue
        if not fence and _HEADING.match(raw):
            if section_at is not None:
                _close(parts, section_at, number - 1, all_lines)
            section, section_at = stripped, len(parts)
            parts.append(("section", stripped, number, number, "", line_sha.get(number)))
            continue
        parts.append(("fact", stripped, number, number, section, line_sha.get(number)))
    if section_at is not None:
        _close(parts, section_at, len(all_lines), all_lines)
    return parts


def _close(
    parts: list[tuple[str, str, int, int, str, str | None]],
    at: int,
    end: int,
    lines: list[str],
) -> None:
    """Set a section's last line (trailing blank lines excluded)."""
    kind, text, start, _end, section, sha = parts[at]
    while end > start and not lines[end - 1].strip():
        end -= 1
    parts[at] = (kind, text, start, end, section, sha)
