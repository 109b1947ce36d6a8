"""Folder summaries: the `_index.md` file of every domain, topic and subtopic folder (SPEC §2).

Without an LLM a summary is extractive: one line per direct child entry (title and summary)
and one per subfolder (its entry count), ordered by id. The file's frontmatter records a
digest of exactly those inputs, so a summary whose folder changed is detectable as stale
without re-rendering it (an LLM-written abstract records the same digest).

Digest: sha256 over the sorted lines `id<TAB>title<TAB>summary` of the direct children and
`folder/<TAB>count` of the subfolders, joined by newlines. Whitespace inside a title or summary
is collapsed first, as the rendered line shows it, so only a visible change makes it stale.

Pure: `plan_indexes` takes the entries and the existing `_index.md` texts and returns what to
write; the caller (`ctx maintain`, `ctx lint --fix`) writes it in its transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ctxtree.tree.model import Entry
from ctxtree.wording import plural

INDEX_NAME = "_index.md"
GENERATOR = "ctx"
_INPUTS_RE = re.compile(r"^inputs:[ \t]*([0-9a-f]{64})[ \t]*$", re.MULTILINE)


def _flat(text: str) -> str:
    return " ".join(text.split())


def index_relpath(folder: str) -> str:
    """Store-relative path of a folder's summary, e.g. `tree/auth/jwt/_index.md`."""
    return f"tree/{folder}/{INDEX_NAME}"


def folder_digest(children: Sequence[Entry], subfolders: Sequence[tuple[str, int]] = ()) -> str:
    """sha256 hex of a folder's summary inputs: its direct child entries and, for a folder
    with subfolders, each subfolder's path and entry count. Independent of input order."""
    lines = [f"{e.id}\t{_flat(e.title)}\t{_flat(e.summary)}" for e in children]
    lines += [f"{path}/\t{count}" for path, count in subfolders]
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()


def render_index(
    folder: str, children: Sequence[Entry], subfolders: Sequence[tuple[str, int]]
) -> str:
    """The `_index.md` text of `folder` (e.g. `auth/jwt`).

    `children` are the entries directly in the folder; `subfolders` are (path, entry count)
    of its direct subfolders, the path in full (`auth/jwt`) and the count over all depths.
    `entries:` in the frontmatter counts every entry under the folder.
    """
    total = len(children) + sum(count for _path, count in subfolders)
    lines = [
        "---",
        f"generated_by: {GENERATOR}",
        f"inputs: {folder_digest(children, subfolders)}",
        f"entries: {total}",
        "---",
        f"# {folder}",
        "",
    ]
    for entry in sorted(children, key=lambda e: e.id):
        line = f"- [[{entry.id}]] **{_flat(entry.title)}**"
        summary = _flat(entry.summary)
        lines.append(f"{line}: {summary}" if summary else line)
    for path, count in sorted(subfolders):
        lines.append(f"- [[{path}]] ({plural(count, 'entry')})")
    return "\n".join(lines) + "\n"


def recorded_digest(text: str) -> str | None:
    """The `inputs:` digest in an existing `_index.md`, or None when it has none."""
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    match = _INPUTS_RE.search(text, 0, end)
    return match.group(1) if match else None


@dataclass(frozen=True)
class IndexUpdate:
    """One `_index.md` to write. `reason` is "missing", "stale" or "removed"; a removal has
    empty `text` and means: delete the file (the folder holds no entries any more)."""

    folder: str
    relpath: str
    text: str
    reason: str


def folder_contents(
    entries: Sequence[Entry],
) -> dict[str, tuple[list[Entry], list[tuple[str, int]]]]:
    """Every folder holding entries at any depth (domains, topics, subtopics), with its
    direct child entries and its direct subfolders' (path, entry count)."""
    children: dict[str, list[Entry]] = {}
    totals: dict[str, int] = {}
    for entry in entries:
        parts = entry.id.split("/")[:-1]
        children.setdefault("/".join(parts), []).append(entry)
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            totals[folder] = totals.get(folder, 0) + 1
    subfolders: dict[str, list[tuple[str, int]]] = {}
    for folder, count in totals.items():
        if "/" in folder:
            subfolders.setdefault(folder.rsplit("/", 1)[0], []).append((folder, count))
    return {
        folder: (
            sorted(children.get(folder, []), key=lambda e: e.id),
            sorted(subfolders.get(folder, [])),
        )
        for folder in sorted(totals)
    }


def plan_indexes(
    entries: Sequence[Entry], existing: Mapping[str, str], *, only_existing: bool
) -> list[IndexUpdate]:
    """The `_index.md` files to write or delete, by folder.

    `entries` are the store's entries in tree/; `existing` maps a folder (`auth/jwt`) to the
    text of its current `_index.md`. A folder without one gets it ("missing") unless
    `only_existing`; one whose recorded digest differs from its inputs is rewritten ("stale");
    a summary whose folder holds no entries any more is deleted ("removed").
    """
    contents = folder_contents(entries)
    updates: list[IndexUpdate] = []
    for folder, (children, subfolders) in contents.items():
        current = existing.get(folder)
        if current is None:
            if not only_existing:
                text = render_index(folder, children, subfolders)
                updates.append(IndexUpdate(folder, index_relpath(folder), text, "missing"))
        elif recorded_digest(current) != folder_digest(children, subfolders):
            text = render_index(folder, children, subfolders)
            updates.append(IndexUpdate(folder, index_relpath(folder), text, "stale"))
    for folder in existing:
        if folder not in contents:
            updates.append(IndexUpdate(folder, index_relpath(folder), "", "removed"))
    updates.sort(key=lambda u: u.folder)
    return updates


_GENERATOR_RE = re.compile(r"^generated_by:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def recorded_generator(text: str) -> str | None:
    """Who wrote a summary or overview (`generated_by:` in its frontmatter: `ctx` for the
    extractive digest, the model's name for an abstract), or None when nothing generated it."""
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    match = _GENERATOR_RE.search(text, 0, end) if end > 0 else None
    if match is None:
        return None
    value = match.group(1)
    return value[1:-1] if value.startswith('"') and value.endswith('"') else value


def render_abstract(
    folder: str,
    children: Sequence[Entry],
    subfolders: Sequence[tuple[str, int]],
    abstract: str,
    generator: str,
) -> str:
    """The `_index.md` of `folder` with a model's abstract above the extractive list; the
    same digest is recorded, so `ctx maintain` keeps it until the folder changes and then
    writes the extractive digest again (a stale abstract is worse than none)."""
    extractive = render_index(folder, children, subfolders)
    head, heading, rest = extractive.partition(f"# {folder}\n\n")
    head = head.replace(f"generated_by: {GENERATOR}\n", f"generated_by: {_quoted(generator)}\n")
    return f"{head}{heading}{_flat(abstract)}\n\n{rest}"


def render_overview(title: str, summary: str, abstract: str, generator: str, digest: str) -> str:
    """A folder's `context.md` written from a model's abstract, marked as generated (with the
    digest of its inputs) so a later run may refresh it; a hand-written one is never replaced."""
    return (
        f"---\ntitle: {_quoted(_flat(title))}\nsummary: {_quoted(_flat(summary))}\n"
        f"generated_by: {_quoted(generator)}\ninputs: {digest}\n---\n"
        f"# {_flat(title)}\n\n{abstract.strip()}\n"
    )


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is one)."""
    import json

    return json.dumps(text, ensure_ascii=False)
