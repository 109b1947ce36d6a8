"""A folder of markdown notes into entries: an Obsidian vault, a docs/ folder, any notes with
or without frontmatter.

- Ids: the first folders are domain / topic / subtopic (`--domain D` puts the whole folder
  under D, its folders becoming topic / subtopic); deeper folders are flattened into the
  entry's slug (`a/b/c/d/note.md` -> `a/b/c/d-note`). A note with no folder for its topic
  goes to topic `notes`; one at the top of a vault imported without `--domain`, to domain
  `notes` too. A folder's `README.md` or `index.md` becomes its context.md when the folder
  is a domain or topic.
- Title: frontmatter `title`, else the first `#` heading, else the file name. Summary:
  `description` or `summary`, else the first paragraph. Kind: frontmatter `kind` when it is
  one of ours, else `note`.
- Tags: frontmatter `tags` and inline `#tags` (outside code). Aliases become keywords, so a
  note is found by any of its names.
- `[[wikilinks]]` (`[[Note]]`, `[[folder/Note|alias]]`, `[[Note#heading]]`) to notes of the
  folder become `related` relations and are rewritten in the body as our inline links
  `[[id|text]]`; links to anything else become their text and are counted as dropped, as are
  embeds (`![[...]]`) and other frontmatter keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from ctxtree.curation.importers import notes
from ctxtree.curation.importers.records import Imported, Overview, Skipped
from ctxtree.tree.model import KINDS, Entry, Relation, Source
from ctxtree.tree.paths import RESERVED, slugify
from ctxtree.tree.sourcefiles import SourceFile

FORMAT = "markdown"
OTHER = "notes"
WIKILINK_RE = re.compile(r"(!?)\[\[([^\[\]|#^\n]*)(?:[#^][^\[\]|\n]*)?(?:\|([^\[\]\n]*))?\]\]")
TAG_RE = re.compile(r"(?<![\w/#&`])#([A-Za-z_][\w/-]*)")
CODE_RE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.S)
MAPPED = {"title", "aliases", "alias", "tags", "tag", "description", "summary", "kind"}
OVERVIEW_NAMES = ("readme", "index")


def segment(text: str, fallback: str) -> str:
    slug = slugify(text) or fallback
    return f"{slug}-note"[:64] if slug in RESERVED else slug


def entry_id(path: str, domain: str) -> str:
    """The entry id of a note at `path` (relative to the imported folder)."""
    parts = PurePosixPath(path).parts
    folders = [segment(p, "folder") for p in parts[:-1]]
    if domain:
        folders.insert(0, domain)
    if not folders:
        folders = [OTHER]
    if len(folders) == 1:
        folders.append(OTHER)
    stem = segment("-".join([*folders[3:], PurePosixPath(path).stem]), "note")[:64]
    return "/".join([*folders[:3], stem.rstrip("-_")])


def read(
    files: Sequence[SourceFile], skipped: Sequence[tuple[str, str]] = (), *, domain: str = ""
) -> Imported:
    """The entries, overviews and drops of a folder of notes (`files` as tree/sourcefiles
    read them, `skipped` its left-out files)."""
    out_skipped = [Skipped(path, reason) for path, reason in skipped]
    dropped: dict[str, int] = {}
    parsed: dict[str, tuple[str, notes.Note]] = {}
    folder_notes: list[tuple[str, str, notes.Note]] = []  # (folder, path, note)
    for file in files:
        eid = entry_id(file.path, domain)
        note = notes.read_note(file.text, file.path)
        if note.problem:
            dropped["unreadable frontmatter"] = dropped.get("unreadable frontmatter", 0) + 1
        overview_folder = folder_of(file.path, domain)
        if PurePosixPath(file.path).stem.lower() in OVERVIEW_NAMES and overview_folder:
            folder_notes.append((overview_folder, file.path, note))
            continue
        if not note.body.strip() and not note.meta:
            out_skipped.append(Skipped(file.path, "empty note"))
            continue
        parsed[file.path] = (eid, note)
    names = _names({path: eid for path, (eid, _n) in parsed.items()})
    for folder, path, _note in folder_notes:
        if "/" in folder:  # a topic's note: a relation may point at a topic
            names[path.lower().removesuffix(".md")] = folder
    overviews = []
    for folder, path, note in folder_notes:
        body, _targets, drops = rewrite_links(note.body, names, folder)
        overviews.append(_overview(folder, path, note, body))
        for what, n in drops.items():
            dropped[what] = dropped.get(what, 0) + n
    entries = []
    for path, (eid, note) in parsed.items():
        entry, drops = _entry(path, eid, note, names)
        entries.append(entry)
        for what, n in drops.items():
            dropped[what] = dropped.get(what, 0) + n
    return Imported(
        tuple(entries), tuple(overviews), tuple(out_skipped), tuple(sorted(dropped.items()))
    )


def folder_of(path: str, domain: str) -> str:
    """The domain or topic a note sits directly in ('' for the top of a vault, a subtopic
    or deeper): where its README.md or index.md is the folder's context.md."""
    folders = [segment(p, "folder") for p in PurePosixPath(path).parts[:-1]]
    folders = [domain, *folders] if domain else folders
    return "/".join(folders) if 1 <= len(folders) <= 2 else ""


def _overview(folder: str, path: str, note: notes.Note, linked: str) -> Overview:
    """A folder note as the folder's context.md; `linked` is its body with links rewritten."""
    title = str(note.meta.get("title") or notes.first_heading(note.body) or folder)
    summary = str(note.meta.get("description") or notes.first_paragraph(plain(note.body)))
    body = "\n".join(ln for ln in linked.split("\n") if not re.match(r"^#[ \t]", ln))
    return Overview(folder, title, summary or title, body.strip() or f"Imported from {path}.")


def _names(ids: dict[str, str]) -> dict[str, str | None]:
    """Wikilink target -> id: a note's path without `.md` (lowercased), and its bare name
    when no other note has it (None when several do: Obsidian would ask; we do not guess)."""
    table: dict[str, str | None] = {}
    by_name: dict[str, set[str]] = {}
    for path, eid in ids.items():
        stem = path.lower().removesuffix(".md")
        table[stem] = eid
        by_name.setdefault(PurePosixPath(stem).name, set()).add(eid)
    for name, found in by_name.items():
        table.setdefault(name, next(iter(found)) if len(found) == 1 else None)
    return table


def plain(text: str) -> str:
    """`text` with every wikilink as its text (its alias, else its target)."""
    return WIKILINK_RE.sub(lambda m: (m.group(3) or m.group(2)).strip(), text)


def rewrite_links(
    body: str, names: dict[str, str | None], self_id: str
) -> tuple[str, list[str], dict[str, int]]:
    """`body` with each wikilink to an imported note (or topic) as our inline link
    `[[id|text]]` and any other as its text; the ids linked; what was dropped."""
    links: list[str] = []
    drops: dict[str, int] = {}

    def link(match: re.Match[str]) -> str:
        embed, target, label = match.group(1), match.group(2).strip(), match.group(3)
        text = (label or target).strip()
        if embed:
            drops["embed"] = drops.get("embed", 0) + 1
            return match.group(0)
        found = names.get(target.lower().removesuffix(".md"))
        if found is None:
            what = "link to a note not imported"
            drops[what] = drops.get(what, 0) + 1
            return text
        if found == self_id:
            return text
        links.append(found)
        return f"[[{found}|{text}]]"

    return WIKILINK_RE.sub(link, body).strip("\n"), list(dict.fromkeys(links)), drops


def _entry(
    path: str, eid: str, note: notes.Note, names: dict[str, str | None]
) -> tuple[Entry, dict[str, int]]:
    meta = note.meta
    drops: dict[str, int] = {}
    for key in meta:
        if key not in MAPPED:
            drops[f"frontmatter key {key}"] = 1
    body, links, found = rewrite_links(note.body, names, eid)
    for what, n in found.items():
        drops[what] = drops.get(what, 0) + n
    title = str(meta.get("title") or notes.first_heading(body) or PurePosixPath(path).stem)
    summary = str(meta.get("description") or meta.get("summary") or "").strip()
    if not summary:
        summary = notes.first_paragraph(plain(note.body)) or title
    kind = str(meta.get("kind") or "")
    tags = [t.lstrip("#") for t in notes.strings(meta.get("tags") or meta.get("tag"))]
    tags += TAG_RE.findall(CODE_RE.sub("", body))
    aliases = notes.strings(meta.get("aliases") or meta.get("alias"))
    entry = Entry(
        id=eid,
        title=" ".join(title.split()),
        body=f"{body}\n" if body else "",
        summary=" ".join(summary.split()),
        kind=kind if kind in KINDS else "note",
        tags=tuple(dict.fromkeys(tags)),
        keywords=tuple(dict.fromkeys(aliases)),
        relations=tuple(Relation("related", t) for t in dict.fromkeys(links)),
        sources=(Source(FORMAT, path),),
    )
    return entry, drops
