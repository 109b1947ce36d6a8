"""Entry use cases: add, edit, move, remove, link, unlink, show, list, related."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ctxtree.curation import relations as rel
from ctxtree.errors import ConflictError, InvalidEntryError, NotFoundError, UsageError
from ctxtree.service.content import check_text, guard_secrets
from ctxtree.service.session import Session
from ctxtree.tree import frontmatter
from ctxtree.tree.model import (
    KINDS,
    MATURITIES,
    RELATION_TYPES,
    TRUST_LEVELS,
    Entry,
    Relation,
    Source,
)
from ctxtree.tree.paths import SLUG_RE, entry_relpath, parse_id, parse_target
from ctxtree.tree.transaction import Transaction


@dataclass(frozen=True)
class WriteResult:
    op: str
    ids: tuple[str, ...]
    commit: str | None
    changed: tuple[str, ...] = ()
    message: str = ""
    diff: str | None = None  # set on a dry run: what the commit would change

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "op": self.op,
            "ids": list(self.ids),
            "commit": self.commit,
            "changed": list(self.changed),
            "message": self.message,
        }
        if self.diff is not None:
            data["dry_run"] = True
            data["diff"] = self.diff
        return data


def dry_diff(tx: Transaction) -> str | None:
    """The diff a dry run would have committed; None for a real run."""
    return tx.diff if tx.dry_run else None


def parse_relation(raw: str) -> Relation:
    rtype, sep, target = raw.partition(":")
    if not sep or rtype not in RELATION_TYPES:
        raise UsageError(
            f"bad relation {raw!r}: expected TYPE:TARGET",
            f"TYPE is one of {', '.join(RELATION_TYPES)}, e.g. depends_on:auth/jwt/signing-keys",
        )
    return Relation(rtype, parse_target(target))


def parse_source(raw: str) -> Source:
    stype, sep, ref = raw.partition(":")
    if not sep or not SLUG_RE.fullmatch(stype) or not ref.strip():
        raise UsageError(
            f"bad source {raw!r}: expected TYPE:REF",
            "e.g. commit:3f2a1c9, file:src/auth.py#L40-88, url:https://..., conversation:ID",
        )
    return Source(stype, ref.strip())


def check_choice(value: str, choices: tuple[str, ...], flag: str) -> str:
    if value not in choices:
        raise UsageError(f"{flag} {value!r} is not one of {', '.join(choices)}", "")
    return value


def _missing_targets(session: Session, relations: Sequence[Relation]) -> list[str]:
    store = session.store
    return [
        r.target
        for r in relations
        if not store.exists(r.target) and not store.folder_exists(r.target)
    ]


def require_targets(session: Session, relations: Sequence[Relation]) -> None:
    missing = _missing_targets(session, relations)
    if missing:
        raise NotFoundError(
            f"relation target {missing[0]!r} does not exist"
            + (f" (nor {len(missing) - 1} more)" if len(missing) > 1 else ""),
            "create it first, or check the id with `ctx ls`",
        )


def with_title_heading(title: str, body: str) -> str:
    body = body.strip("\n")
    if body.startswith("# "):
        return body + "\n"
    return f"# {title}\n\n{body}\n" if body else f"# {title}\n"


def checked(session: Session, entry: Entry, redact: bool) -> Entry:
    """The entry ready to write: size and title checked, credentials refused (or masked with
    `redact`) in every text field, source refs included."""
    limit = int(session.config()["limits"]["max_entry_bytes"])
    check_text(entry.body, "the body", limit)
    fields = {
        "the title": entry.title,
        "the summary": entry.summary,
        "the body": entry.body,
        "the keywords": "\n".join(entry.keywords),
        "the tags": "\n".join(entry.tags),
        "the sources": "\n".join(s.ref for s in entry.sources),
    }
    clean = guard_secrets(fields, redact)
    if "\n" in entry.title or not entry.title.strip():
        raise InvalidEntryError("the title must be one non-empty line", "pass --title 'A title'")
    return replace(
        entry,
        title=clean["the title"],
        summary=clean["the summary"],
        body=clean["the body"],
        keywords=tuple(clean["the keywords"].split("\n")) if entry.keywords else (),
        tags=tuple(clean["the tags"].split("\n")) if entry.tags else (),
        sources=tuple(
            Source(s.type, ref)
            for s, ref in zip(entry.sources, clean["the sources"].split("\n"), strict=False)
        ),
    )


def dedup(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i.strip() for i in items if i.strip()))


def add(session: Session, draft: Entry, redact: bool = False, dry_run: bool = False) -> WriteResult:
    """Create a new entry; refuses to overwrite one that exists."""
    entry_id = parse_id(draft.id)
    check_choice(draft.kind, KINDS, "--kind")
    check_choice(draft.trust, TRUST_LEVELS, "--trust")
    entry = replace(
        draft,
        id=entry_id,
        title=draft.title.strip(),
        body=with_title_heading(draft.title.strip(), draft.body),
        tags=dedup(draft.tags),
        keywords=dedup(draft.keywords),
        relations=tuple(dict.fromkeys(draft.relations)),
        sources=tuple(dict.fromkeys(draft.sources)),
        author=draft.author or session.actor,
        importance=int(session.config()["lifecycle"]["importance_default"]),
        created=session.timestamp,
        updated=session.timestamp,
    )
    entry = checked(session, entry, redact)
    sources = [s.render() for s in entry.sources]
    with session.transaction("add", sources, dry_run=dry_run) as tx:
        if session.store.exists(entry_id):
            raise ConflictError(
                f"entry {entry_id!r} already exists",
                f"change it with `ctx edit {entry_id}`, or pick another id",
            )
        if session.store.folder_exists(entry_id):
            raise ConflictError(f"{entry_id!r} is a folder of entries", "pick another id")
        require_targets(session, entry.relations)
        tx.subject = f"{entry_id}"
        tx.body = entry.title
        tx.write(entry_relpath(entry_id), frontmatter.serialize(entry))
    return WriteResult("add", (entry_id,), tx.commit_sha, diff=dry_diff(tx))


@dataclass(frozen=True)
class Changes:
    """What `ctx edit` was asked to change; None/empty means leave as is."""

    title: str | None = None
    summary: str | None = None
    body: str | None = None
    kind: str | None = None
    trust: str | None = None
    maturity: str | None = None
    importance: int | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    add_keywords: tuple[str, ...] = ()
    remove_keywords: tuple[str, ...] = ()
    add_sources: tuple[Source, ...] = ()
    valid_from: str | None = None
    valid_until: str | None = None

    def empty(self) -> bool:
        return self == Changes()


def apply_changes(entry: Entry, changes: Changes) -> Entry:
    """The entry with `changes` applied (pure). A new title also renames a matching H1."""
    updated = entry
    if changes.title is not None and changes.title.strip() != entry.title:
        title = changes.title.strip()
        body = entry.body
        old_heading = f"# {entry.title}"
        if body.startswith(old_heading + "\n") or body == old_heading:
            body = f"# {title}" + body[len(old_heading) :]
        updated = replace(updated, title=title, body=body)
    if changes.body is not None:
        updated = replace(updated, body=with_title_heading(updated.title, changes.body))
    if changes.summary is not None:
        updated = replace(updated, summary=changes.summary.strip())
    if changes.kind is not None:
        updated = replace(updated, kind=check_choice(changes.kind, KINDS, "--kind"))
    if changes.trust is not None:
        updated = replace(updated, trust=check_choice(changes.trust, TRUST_LEVELS, "--trust"))
    if changes.maturity is not None:
        updated = replace(
            updated, maturity=check_choice(changes.maturity, MATURITIES, "--maturity")
        )
    if changes.importance is not None:
        if not 0 <= changes.importance <= 100:
            raise UsageError("--importance must be from 0 to 100", "")
        updated = replace(updated, importance=changes.importance)
    tags = [t for t in updated.tags if t not in changes.remove_tags]
    keywords = [k for k in updated.keywords if k not in changes.remove_keywords]
    updated = replace(
        updated,
        tags=dedup([*tags, *changes.add_tags]),
        keywords=dedup([*keywords, *changes.add_keywords]),
        sources=tuple(dict.fromkeys([*updated.sources, *changes.add_sources])),
    )
    if changes.valid_from is not None:
        updated = replace(updated, valid_from=changes.valid_from or None)
    if changes.valid_until is not None:
        updated = replace(updated, valid_until=changes.valid_until or None)
    return updated


def edit(
    session: Session, raw_id: str, changes: Changes, redact: bool = False, dry_run: bool = False
) -> WriteResult:
    entry_id = parse_id(raw_id)
    sources = [s.render() for s in changes.add_sources]
    with session.transaction("edit", sources, dry_run=dry_run) as tx:
        entry = session.store.read_entry(entry_id)
        updated = apply_changes(entry, changes)
        if updated == entry:
            return WriteResult("edit", (entry_id,), None, message="nothing changed")
        updated = checked(session, replace(updated, updated=session.timestamp), redact)
        tx.subject = entry_id
        tx.write(entry_relpath(entry_id), frontmatter.serialize(updated))
    return WriteResult("edit", (entry_id,), tx.commit_sha, diff=dry_diff(tx))


def replace_text(
    session: Session, raw_id: str, text: str, redact: bool = False, dry_run: bool = False
) -> WriteResult:
    """Store hand-edited file text (from $EDITOR) after validating it as an entry."""
    entry_id = parse_id(raw_id)
    relpath = entry_relpath(entry_id)
    edited = frontmatter.parse(text, entry_id, relpath)
    with session.transaction("edit", dry_run=dry_run) as tx:
        current = session.store.read_entry(entry_id)
        if edited == current:
            return WriteResult("edit", (entry_id,), None, message="nothing changed")
        require_targets(session, edited.relations)
        valid = checked(session, replace(edited, updated=session.timestamp), redact)
        tx.subject = entry_id
        tx.body = "edited in $EDITOR"
        tx.write(relpath, frontmatter.serialize(valid))
    return WriteResult("edit", (entry_id,), tx.commit_sha, diff=dry_diff(tx))


def move(session: Session, raw_old: str, raw_new: str, dry_run: bool = False) -> WriteResult:
    """Rename an entry and rewrite every relation and [[link]] that points at it, in one commit."""
    old, new = parse_id(raw_old), parse_id(raw_new)
    if old == new:
        raise UsageError(f"{old!r} is already at that id", "")
    store = session.store
    with session.transaction("mv", dry_run=dry_run) as tx:
        entry = store.read_entry(old)
        if store.exists(new):
            raise ConflictError(
                f"cannot move {old!r} onto {new!r}: that entry exists",
                f"merge them, or remove {new!r} first with `ctx rm {new}`",
            )
        if store.folder_exists(new):
            raise ConflictError(f"{new!r} is a folder of entries", "pick another id")
        others, _bad = store.entries(contains=old)
        changed = []
        for other in others:
            if other.id == old:
                continue
            updated = rel.retarget(other, old, new)
            if updated is not other:
                changed.append(other.id)
                tx.write(entry_relpath(other.id), frontmatter.serialize(updated))
        moved = rel.retarget(replace(entry, id=new), old, new)
        tx.delete(entry_relpath(old))
        tx.write(entry_relpath(new), frontmatter.serialize(moved))
        tx.subject = f"{old} -> {new}"
        if changed:
            tx.body = "Relations rewritten in: " + ", ".join(changed)
    return WriteResult("mv", (old, new), tx.commit_sha, tuple(changed), diff=dry_diff(tx))


def unlink(
    session: Session, raw_src: str, raw_dst: str, rtype: str | None, dry_run: bool = False
) -> WriteResult:
    src, dst = parse_id(raw_src), parse_target(raw_dst)
    if rtype is not None:
        check_choice(rtype, RELATION_TYPES, "--type")
    with session.transaction("unlink", dry_run=dry_run) as tx:
        entry = session.store.read_entry(src)
        kept = tuple(
            r for r in entry.relations if not (r.target == dst and rtype in (None, r.type))
        )
        if kept == entry.relations:
            inline = dst in rel.inline_links(entry.body)
            raise NotFoundError(
                f"{src!r} has no {rtype + ' ' if rtype else ''}relation to {dst!r}",
                f"it links to it inline as [[{dst}]]; edit the body to remove it"
                if inline
                else f"see its relations with `ctx related {src}`",
            )
        updated = replace(entry, relations=kept, updated=session.timestamp)
        tx.subject = f"{src} -x-> {dst}"
        tx.write(entry_relpath(src), frontmatter.serialize(updated))
    return WriteResult("unlink", (src, dst), tx.commit_sha, diff=dry_diff(tx))
