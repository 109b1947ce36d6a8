"""`ctx export json|markdown|obsidian`: the tree written out for other tools (read-only on
the store).

The JSON export is a documented, versioned document that `ctx import json` reads back
(EXPORT_FORMAT, EXPORT_VERSION):

    {"format": "ctxtree-export", "version": 1, "revision": "<store HEAD sha>",
     "scope": "<prefix or ''>",
     "entries": [{"schema": 1, "id": ..., "title": ..., "summary": ..., "kind": ...,
                  "tags": [...], "keywords": [...], "relations": [{"type", "target"}],
                  "sources": [{"type", "ref"}], "author": ..., "trust": ..., "importance": ...,
                  "maturity": ..., "created": ..., "updated": ..., "valid_from": ...,
                  "valid_until": ..., "anchors": [...], "stale": {"since", "paths"} | null,
                  "extra": {unknown frontmatter keys, in order}, "body": ...}, ...]}

Every field of an entry is there, so an import into a fresh store writes the same files
(for files ctx wrote; a hand-formatted frontmatter comes back in ctx's own layout). Entries
in the archive are not exported; a relation to one is dropped on import like any other
relation to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ctxtree.service.session import Session
from ctxtree.tree import frontmatter
from ctxtree.tree.model import Entry

EXPORT_FORMAT = "ctxtree-export"
EXPORT_VERSION = 1
FORMATS = ("json", "markdown", "obsidian")


@dataclass(frozen=True)
class Export:
    """What an export holds: files (relative path -> text; for json one file, `-` when it
    goes to stdout), the entries in it, and the entries left out because they do not
    parse (path: reason)."""

    fmt: str
    files: dict[str, str]
    ids: tuple[str, ...]
    invalid: tuple[str, ...] = ()

    def to_json(self, out: str, dry_run: bool) -> dict[str, object]:
        return {
            "format": self.fmt,
            "out": out,
            "entries": len(self.ids),
            "files": sorted(self.files),
            "invalid": list(self.invalid),
            "dry_run": dry_run,
        }


def entry_record(entry: Entry) -> dict[str, Any]:
    return {"schema": entry.schema, **entry.to_json()}


def _entries(session: Session, scope: str) -> tuple[list[Entry], tuple[str, ...]]:
    found, bad = session.store.entries(scope)
    return sorted(found, key=lambda e: e.id), tuple(f"{e.path}: {e.message}" for e in bad)


def export(session: Session, fmt: str, scope: str = "") -> Export:
    """The files of an export of the entries under `scope` in `fmt` (one of FORMATS)."""
    import json

    from ctxtree.tree.git import read_head

    entries, invalid = _entries(session, scope)
    ids = tuple(e.id for e in entries)
    if fmt == "json":
        document = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "revision": read_head(session.store.root),
            "scope": scope,
            "entries": [entry_record(e) for e in entries],
        }
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        return Export(fmt, {"export.json": text}, ids, invalid)
    overviews = {
        relpath.removeprefix("tree/"): session.store.read_text(relpath)
        for relpath in session.store.files_under(scope or "")
        if relpath.endswith("/context.md")
    }
    if fmt == "markdown":
        files = {f"{e.id}.md": frontmatter.serialize(e) for e in entries}
        return Export(fmt, files | overviews, ids, invalid)
    titles = {e.id: e.title for e in entries}
    files = {f"{e.id}.md": obsidian_note(e, titles) for e in entries}
    return Export(fmt, files | overviews, ids, invalid)


def wikilink(target: str, titles: dict[str, str]) -> str:
    """`[[path|Title]]`: a vault resolves a link by its path from the vault's root, where the
    export puts each entry (`<id>.md`); a folder target links its context.md."""
    title = titles.get(target)
    if title is None:
        return f"[[{target}/context|{target}]]"
    return f"[[{target}|{title.replace('|', '-').replace(']', ')')}]]"


def obsidian_note(entry: Entry, titles: dict[str, str]) -> str:
    """An entry as an Obsidian note: properties a vault understands (`aliases` with the
    title, `tags` without spaces, one list property per relation type holding wikilinks, so
    they show as links and backlinks), ctx's other fields as plain properties, the body with
    its inline links as they are (`[[id|label]]` resolves by path), and a Relations section
    with the same links for views that read only the body."""
    props: dict[str, Any] = {"title": entry.title, "aliases": [entry.title]}
    if entry.tags:
        props["tags"] = ["-".join(t.split()) for t in entry.tags]
    if entry.summary:
        props["summary"] = entry.summary
    by_type: dict[str, list[str]] = {}
    for relation in entry.relations:
        by_type.setdefault(relation.type, []).append(wikilink(relation.target, titles))
    props |= by_type
    props |= {
        "kind": entry.kind,
        "ctx_id": entry.id,
        "trust": entry.trust,
        "importance": entry.importance,
        "maturity": entry.maturity,
        "created": entry.created,
        "updated": entry.updated,
    }
    if entry.sources:
        props["sources"] = [s.render() for s in entry.sources]
    if entry.keywords:
        props["keywords"] = list(entry.keywords)
    for key in ("valid_from", "valid_until"):
        if getattr(entry, key):
            props[key] = getattr(entry, key)
    head = frontmatter.dump_yaml(props, flow=False)
    body = entry.body.rstrip("\n")
    if by_type:
        links = [f"- {kind}: {', '.join(targets)}" for kind, targets in by_type.items()]
        body += "\n\n## Relations\n\n" + "\n".join(links)
    return f"---\n{head}\n---\n{body}\n"
