"""Curation use cases: merge, supersede, archive, restore, split, and plans (`ctx apply`).

Every operation runs against a Workspace: the store as the current transaction would leave
it, so the operations of one plan see each other's effects, validate against them, and land
as one commit (or not at all).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ctxtree.curation import plan as plans
from ctxtree.curation import relations as rel
from ctxtree.curation import sections
from ctxtree.errors import (
    ConflictError,
    CtxError,
    ExitCode,
    InvalidEntryError,
    NotFoundError,
    UsageError,
)
from ctxtree.service import entries as ent
from ctxtree.service.content import guard_secrets
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
from ctxtree.tree.paths import entry_relpath, parse_id, parse_target
from ctxtree.tree.store import Transaction

TRUST_ORDER = {"external": 0, "agent": 1, "user": 2}


def archive_relpath(entry_id: str) -> str:
    return f"archive/{entry_id}.md"


class Workspace:
    """Entries as the transaction would leave them (pending writes first)."""

    def __init__(self, session: Session, tx: Transaction) -> None:
        self.session = session
        self.tx = tx

    def _parse(self, entry_id: str, relpath: str) -> Entry | None:
        text = self.tx.read(relpath)
        return None if text is None else frontmatter.parse(text, entry_id, relpath)

    def entry(self, entry_id: str) -> Entry | None:
        return self._parse(entry_id, entry_relpath(entry_id))

    def archived(self, entry_id: str) -> Entry | None:
        return self._parse(entry_id, archive_relpath(entry_id))

    def require(self, entry_id: str) -> Entry:
        found = self.entry(entry_id)
        if found is not None:
            return found
        if self.archived(entry_id) is not None:
            raise ConflictError(
                f"{entry_id!r} is archived", f"bring it back first with `ctx restore {entry_id}`"
            )
        raise NotFoundError(f"no entry {entry_id!r}", "list entries with `ctx ls [PREFIX]`")

    def folder_exists(self, prefix: str) -> bool:
        pending = any(
            path.startswith(f"tree/{prefix}/") and data is not None
            for path, data in self.tx.writes.items()
        )
        return pending or self.session.store.folder_exists(prefix)

    def target_exists(self, target: str) -> bool:
        return (
            self.entry(target) is not None
            or self.archived(target) is not None
            or self.folder_exists(target)
        )

    def require_targets(self, relations: Sequence[Relation]) -> None:
        missing = [r.target for r in relations if not self.target_exists(r.target)]
        if missing:
            raise NotFoundError(
                f"relation target {missing[0]!r} does not exist"
                + (f" (nor {len(missing) - 1} more)" if len(missing) > 1 else ""),
                "create it first (earlier in the plan), or check the id with `ctx ls`",
            )

    def put(self, entry: Entry) -> None:
        self.tx.write(entry_relpath(entry.id), frontmatter.serialize(entry))

    def drop(self, entry_id: str) -> None:
        self.tx.delete(entry_relpath(entry_id))

    def referrers(self, target: str) -> list[Entry]:
        """Current entries whose relations or inline links point at `target`."""
        store = self.session.store
        ids = {e.id for e in store.entries(contains=target)[0]}
        for relpath in self.tx.writes:
            if relpath.startswith("tree/") and relpath.endswith(".md"):
                ids.add(relpath[len("tree/") : -len(".md")])
        found = []
        for entry_id in sorted(ids):
            try:
                entry = self.entry(entry_id)
            except InvalidEntryError:
                continue
            if entry is not None and entry.id != target and rel.points_at(entry, target):
                found.append(entry)
        return found

    def supersedes_chain(self, start: str) -> set[str]:
        """Every id `start` supersedes, directly or through entries it supersedes."""
        seen: set[str] = set()
        todo = [start]
        while todo:
            current = self.entry(todo.pop()) if todo else None
            if current is None:
                continue
            for relation in current.relations:
                if relation.type == "supersedes" and relation.target not in seen:
                    seen.add(relation.target)
                    todo.append(relation.target)
        return seen


# ---- operations on a workspace ------------------------------------------------------------
def _now(ws: Workspace) -> str:
    return ws.session.timestamp


def do_add(ws: Workspace, draft: Entry, redact: bool) -> Entry:
    entry_id = parse_id(draft.id)
    ent.check_choice(draft.kind, KINDS, "kind")
    ent.check_choice(draft.trust, TRUST_LEVELS, "trust")
    if ws.entry(entry_id) is not None:
        raise ConflictError(
            f"entry {entry_id!r} already exists", "use UPDATE or UPSERT to change it"
        )
    if ws.archived(entry_id) is not None:
        raise ConflictError(f"{entry_id!r} exists in the archive", f"`ctx restore {entry_id}`")
    if ws.folder_exists(entry_id):
        raise ConflictError(f"{entry_id!r} is a folder of entries", "pick another id")
    entry = replace(
        draft,
        id=entry_id,
        title=draft.title.strip(),
        body=ent.with_title_heading(draft.title.strip(), draft.body),
        tags=ent.dedup(draft.tags),
        keywords=ent.dedup(draft.keywords),
        relations=tuple(dict.fromkeys(draft.relations)),
        sources=tuple(dict.fromkeys(draft.sources)),
        author=draft.author or ws.session.actor,
        created=_now(ws),
        updated=_now(ws),
    )
    if any(r.target == entry_id for r in entry.relations):
        raise UsageError("an entry cannot relate to itself", "")
    entry = ent.checked(ws.session, entry, redact)
    ws.require_targets(entry.relations)
    ws.put(entry)
    return entry


def updated_entry(current: Entry, fields: Mapping[str, Any]) -> Entry:
    """`current` with the plan fields replaced (lists replace lists). Pure."""
    changes: dict[str, Any] = {}
    for key in ("summary", "kind", "trust", "maturity", "valid_from", "valid_until"):
        if key in fields:
            changes[key] = fields[key]
    for key in ("tags", "keywords", "anchors"):
        if key in fields:
            changes[key] = ent.dedup(fields[key])
    if "importance" in fields:
        changes["importance"] = type(current.importance)(fields["importance"])
    if "relations" in fields:
        changes["relations"] = tuple(parse_relations(fields["relations"]))
    if "sources" in fields:
        changes["sources"] = tuple(
            dict.fromkeys(Source(s["type"], s["ref"].strip()) for s in fields["sources"])
        )
    new = replace(current, **changes)
    if "title" in fields:
        new = ent.apply_changes(new, ent.Changes(title=fields["title"]))
    if "body" in fields:
        new = replace(new, body=ent.with_title_heading(new.title, fields["body"]))
    return new


def parse_relations(items: Sequence[Mapping[str, str]]) -> list[Relation]:
    return list(dict.fromkeys(Relation(r["type"], parse_target(r["target"])) for r in items))


def do_update(
    ws: Workspace, entry_id: str, fields: Mapping[str, Any], redact: bool, allow_loss: bool
) -> tuple[Entry | None, list[str]]:
    """Replace the named fields. Returns (the entry, or None when nothing changed; losses)."""
    entry_id = parse_id(entry_id)
    current = ws.require(entry_id)
    new = updated_entry(current, fields)
    ent.check_choice(new.kind, KINDS, "kind")
    ent.check_choice(new.trust, TRUST_LEVELS, "trust")
    ent.check_choice(new.maturity, MATURITIES, "maturity")
    if any(r.target == entry_id for r in new.relations):
        raise UsageError("an entry cannot relate to itself", "")
    lost = plans.losses(current, new)
    if lost and not allow_loss:
        raise LossError(entry_id, lost)
    if new == current:
        return None, lost
    new = ent.checked(ws.session, replace(new, updated=_now(ws)), redact)
    ws.require_targets([r for r in new.relations if r not in current.relations])
    ws.put(new)
    return new, lost


class LossError(ConflictError):
    """An update that drops knowledge, refused without --allow-loss (high impact)."""

    def __init__(self, entry_id: str, lost: Sequence[str]) -> None:
        more = f" (and {len(lost) - 1} more)" if len(lost) > 1 else ""
        super().__init__(
            f"high impact: updating {entry_id!r} {lost[0]}{more}",
            "keep what it drops, or pass --allow-loss if dropping it is intended",
        )
        self.lost = list(lost)


def _least_trusted(a: str, b: str) -> str:
    return a if TRUST_ORDER.get(a, 1) <= TRUST_ORDER.get(b, 1) else b


def merged_entry(src: Entry, dst: Entry, now: str) -> Entry:
    """DST with SRC folded in (pure): body sections and facts unioned (merge_bodies), tags,
    keywords, relations, sources and anchors unioned (DST's first), lifecycle combined
    (importance and maturity the higher, created the earlier, trust the lower: merged
    knowledge is only as trusted as its least trusted part)."""
    relations = tuple(
        r
        for r in dict.fromkeys((*dst.relations, *src.relations))
        if r.target not in (src.id, dst.id)
    )
    maturity = max(dst.maturity, src.maturity, key=MATURITIES.index)
    extra = dict(src.extra) | dict(dst.extra)
    body = rel.retarget(replace(src, body=src.body), src.id, dst.id).body
    return replace(
        dst,
        summary=dst.summary or src.summary,
        body=sections.merge_bodies(dst.body, body),
        tags=ent.dedup([*dst.tags, *src.tags]),
        keywords=ent.dedup([*dst.keywords, *src.keywords]),
        relations=relations,
        sources=tuple(dict.fromkeys((*dst.sources, *src.sources))),
        anchors=ent.dedup([*dst.anchors, *src.anchors]),
        importance=max(dst.importance, src.importance),
        maturity=maturity,
        trust=_least_trusted(dst.trust, src.trust),
        created=min(x for x in (dst.created, src.created, now) if x),
        updated=now,
        extra=tuple(extra.items()),
    )


def do_merge(ws: Workspace, raw_src: str, raw_dst: str, redact: bool) -> list[str]:
    """Fold SRC into DST, repoint SRC's inbound relations and links to DST, delete SRC.
    Returns the ids whose relations were rewritten."""
    src_id, dst_id = parse_id(raw_src), parse_id(raw_dst)
    if src_id == dst_id:
        raise UsageError("cannot merge an entry into itself", "")
    src, dst = ws.require(src_id), ws.require(dst_id)
    merged = ent.checked(ws.session, merged_entry(src, dst, _now(ws)), redact)
    ws.drop(src_id)
    changed = []
    for other in ws.referrers(src_id):
        if other.id == dst_id:
            continue
        ws.put(replace(rel.retarget(other, src_id, dst_id), updated=other.updated))
        changed.append(other.id)
    ws.put(rel.retarget(merged, src_id, dst_id))
    return changed


def do_supersede(ws: Workspace, raw_old: str, raw_new: str) -> Entry | None:
    """NEW declares `supersedes: OLD`; OLD stays, out of default results. None if already so."""
    old_id, new_id = parse_id(raw_old), parse_id(raw_new)
    if old_id == new_id:
        raise UsageError("an entry cannot supersede itself", "")
    ws.require(old_id)
    new = ws.require(new_id)
    if new_id in ws.supersedes_chain(old_id) or new_id == old_id:
        raise ConflictError(
            f"{old_id!r} already supersedes {new_id!r} (directly or through a chain)",
            "a supersede cycle would hide both; unlink one of them first",
        )
    relation = Relation("supersedes", old_id)
    if relation in new.relations:
        return None
    updated = replace(new, relations=(*new.relations, relation), updated=_now(ws))
    ws.put(updated)
    return updated


def do_archive(ws: Workspace, raw_id: str) -> None:
    entry_id = parse_id(raw_id)
    if ws.entry(entry_id) is None and ws.archived(entry_id) is not None:
        raise ConflictError(f"{entry_id!r} is already archived", f"`ctx restore {entry_id}`")
    ws.require(entry_id)
    text = ws.tx.read(entry_relpath(entry_id))
    assert text is not None
    ws.tx.delete(entry_relpath(entry_id))
    ws.tx.write(archive_relpath(entry_id), text)


def do_restore(ws: Workspace, raw_id: str) -> None:
    entry_id = parse_id(raw_id)
    text = ws.tx.read(archive_relpath(entry_id))
    if text is None:
        if ws.entry(entry_id) is not None:
            raise ConflictError(f"{entry_id!r} is not archived", "it is in the tree already")
        raise NotFoundError(f"no archived entry {entry_id!r}", "see `ctx search --archived`")
    if ws.entry(entry_id) is not None:
        raise ConflictError(
            f"cannot restore {entry_id!r}: an entry with that id exists in the tree",
            f"move it away first with `ctx mv {entry_id} NEW_ID`",
        )
    frontmatter.parse(text, entry_id, archive_relpath(entry_id))
    ws.tx.delete(archive_relpath(entry_id))
    ws.tx.write(entry_relpath(entry_id), text)


def do_delete(
    ws: Workspace,
    raw_id: str,
    force: bool,
    hint: str = 'remove those relations first, or set "force": true to drop them',
) -> list[str]:
    """Delete an entry. Refuses while others point at it (relations or inline links),
    unless `force`, which also drops their declared relations to it (inline links stay as
    text for `ctx lint` to report). Returns the ids whose relations were dropped."""
    entry_id = parse_id(raw_id)
    ws.require(entry_id)
    referrers = ws.referrers(entry_id)
    if referrers and not force:
        names = ", ".join(o.id for o in referrers[:5])
        raise ConflictError(
            f"{len(referrers)} entr{'y' if len(referrers) == 1 else 'ies'} point at "
            f"{entry_id!r}: {names}",
            hint,
        )
    changed = []
    for other in referrers:
        kept = tuple(r for r in other.relations if r.target != entry_id)
        if kept != other.relations:
            ws.put(replace(other, relations=kept))
            changed.append(other.id)
    ws.drop(entry_id)
    return changed


def remove(
    session: Session, raw_id: str, force: bool = False, dry_run: bool = False
) -> ent.WriteResult:
    """`ctx rm`: do_delete as one commit."""
    entry_id = parse_id(raw_id)
    hint = "remove those relations first (`ctx unlink`), or pass --force to drop them"
    with session.transaction("rm", dry_run=dry_run) as tx:
        changed = do_delete(Workspace(session, tx), entry_id, force, hint)
        tx.subject = entry_id
    return ent.WriteResult("rm", (entry_id,), tx.commit_sha, tuple(changed), diff=ent.dry_diff(tx))


def link(
    session: Session, raw_src: str, raw_dst: str, rtype: str, dry_run: bool = False
) -> ent.WriteResult:
    """`ctx link`: do_link as one commit."""
    src, dst = parse_id(raw_src), parse_target(raw_dst)
    ent.check_choice(rtype, RELATION_TYPES, "--type")
    with session.transaction("link", dry_run=dry_run) as tx:
        if do_link(Workspace(session, tx), src, dst, rtype) is None:
            return ent.WriteResult("link", (src, dst), None, message=f"already {rtype} {dst}")
        tx.subject = f"{src} -{rtype}-> {dst}"
    return ent.WriteResult("link", (src, dst), tx.commit_sha, diff=ent.dry_diff(tx))


def do_link(ws: Workspace, raw_src: str, raw_dst: str, rtype: str) -> Entry | None:
    src_id, dst = parse_id(raw_src), parse_target(raw_dst)
    if src_id == dst:
        raise UsageError("an entry cannot relate to itself", "")
    entry = ws.require(src_id)
    relation = Relation(rtype, dst)
    ws.require_targets([relation])
    if relation in entry.relations:
        return None
    updated = replace(entry, relations=(*entry.relations, relation), updated=_now(ws))
    ws.put(updated)
    return updated


@dataclass(frozen=True)
class Part:
    id: str
    title: str
    section: sections.Section
    children: tuple[sections.Section, ...]

    def text(self) -> str:
        return sections.join([sections.Section("", self.section.lines), *self.children])


def split_parts(entry: Entry, headings: Sequence[str]) -> tuple[list[sections.Section], list[Part]]:
    """The entry's level-2 sections (each with its deeper sub-sections) that `headings` name
    (all of them when empty), and the sections that stay. Pure."""
    parts = sections.sections(entry.body)
    stay: list[sections.Section] = []
    chosen: list[tuple[sections.Section, list[sections.Section]]] = []
    wanted = {h.strip().lower() for h in headings}
    current: list[sections.Section] | None = None
    for part in parts:
        if part.level == 2:
            if not wanted or part.title.lower() in wanted:
                current = []
                chosen.append((part, current))
                continue
            current = None
        elif part.level > 2 and current is not None:
            current.append(part)
            continue
        elif part.level <= 1:
            current = None
        stay.append(part)
    missing = wanted - {s.title.lower() for s, _ in chosen}
    if missing:
        names = ", ".join(sorted(s.title for s in parts if s.level == 2)) or "none"
        raise NotFoundError(
            f"{entry.id!r} has no '## {sorted(missing)[0]}' section", f"its sections: {names}"
        )
    return stay, [Part("", s.title, s, tuple(kids)) for s, kids in chosen]


def do_split(
    ws: Workspace, raw_id: str, headings: Sequence[str], into: Sequence[str], redact: bool
) -> list[str]:
    """Cut `## ` sections out of an entry into entries of their own (`part_of` the original,
    which keeps its intro and lists its parts). A declared relation moves to the parts whose
    text links its target inline, and leaves the original when nothing there mentions it;
    inbound relations keep pointing at the original. Returns the new ids."""
    entry_id = parse_id(raw_id)
    entry = ws.require(entry_id)
    stay, parts = split_parts(entry, headings)
    if not parts:
        raise UsageError(
            f"nothing to split: {entry_id!r} has no '## ' sections",
            "add headings to the body first (`ctx edit`)",
        )
    if len(parts) == 1 and not headings and len(stay) <= 1:
        raise UsageError(f"{entry_id!r} has a single section", "there is nothing to split")
    if into and len(into) != len(parts):
        raise UsageError(
            f"--into names {len(into)} id(s) for {len(parts)} section(s)",
            "give one --into per section, in order: " + ", ".join(p.title for p in parts),
        )
    folder = entry_id.rsplit("/", 1)[0]
    ids = [parse_id(x) for x in into] or [f"{folder}/{sections.slug(p.title)}" for p in parts]
    if len(set(ids)) != len(ids):
        raise ConflictError("two sections would get the same id", "name them with --into")
    for new_id in ids:
        if ws.target_exists(new_id):
            raise ConflictError(
                f"{new_id!r} exists already", "name the new entries with --into ID (one each)"
            )
    parts = [replace(p, id=i) for p, i in zip(parts, ids, strict=True)]
    kept_body = sections.join(stay)
    moved: set[Relation] = set()
    for part in parts:
        text = part.text()
        linked = set(rel.inline_links(text))
        own = tuple(r for r in entry.relations if r.target in linked)
        moved.update(own)
        keywords = tuple(k for k in entry.keywords if k.lower() in f"{part.title}\n{text}".lower())
        new = replace(
            entry,
            id=part.id,
            title=part.title,
            summary="",
            body=ent.with_title_heading(part.title, text),
            keywords=keywords,
            relations=(Relation("part_of", entry_id), *own),
            created=_now(ws),
            updated=_now(ws),
            origin=None,
        )
        ws.put(ent.checked(ws.session, new, redact))
    still_linked = set(rel.inline_links(kept_body))
    relations = tuple(r for r in entry.relations if r not in moved or r.target in still_linked)
    index = "\n".join(f"- [[{p.id}]] {p.title}" for p in parts)
    body = kept_body.rstrip("\n") + ("\n\n" if kept_body.strip() else "") + "## Parts\n\n"
    ws.put(replace(entry, body=body + index + "\n", relations=relations, updated=_now(ws)))
    return ids


# ---- single-operation commands -------------------------------------------------------------
def _single(
    session: Session,
    op: str,
    subject: str,
    reason: str,
    dry_run: bool,
    action: Callable[[Workspace], list[str]],
    ids: tuple[str, ...],
) -> ent.WriteResult:
    with session.transaction(op, dry_run=dry_run) as tx:
        changed = action(Workspace(session, tx))
        tx.subject = subject
        tx.body = "\n".join(
            x
            for x in (reason, f"Relations rewritten in: {', '.join(changed)}" if changed else "")
            if x
        )
    return ent.WriteResult(op, ids, tx.commit_sha, tuple(changed), diff=ent.dry_diff(tx))


def merge(
    session: Session, src: str, dst: str, reason: str = "", redact: bool = False,
    dry_run: bool = False,
) -> ent.WriteResult:  # fmt: skip
    src, dst = parse_id(src), parse_id(dst)
    return _single(
        session, "merge", f"{src} -> {dst}", reason, dry_run,
        lambda ws: do_merge(ws, src, dst, redact), (src, dst),
    )  # fmt: skip


def supersede(
    session: Session, old: str, new: str, reason: str = "", dry_run: bool = False
) -> ent.WriteResult:
    old, new = parse_id(old), parse_id(new)

    def action(ws: Workspace) -> list[str]:
        if do_supersede(ws, old, new) is None:
            raise AlreadyDone(f"{new} already supersedes {old}")
        return []

    return _noop_ok(
        lambda: _single(
            session, "supersede", f"{new} supersedes {old}", reason, dry_run, action, (old, new)
        ),
        "supersede",
        (old, new),
    )


class AlreadyDone(CtxError):
    """Nothing to do; not an error for the caller (reported as 'nothing changed')."""


def _noop_ok(call: Callable[[], ent.WriteResult], op: str, ids: tuple[str, ...]) -> ent.WriteResult:
    try:
        return call()
    except AlreadyDone as done:
        return ent.WriteResult(op, ids, None, message=done.message)


def archive(
    session: Session, raw_id: str, reason: str = "", dry_run: bool = False
) -> ent.WriteResult:
    entry_id = parse_id(raw_id)

    def action(ws: Workspace) -> list[str]:
        do_archive(ws, entry_id)
        return []

    return _single(session, "archive", entry_id, reason, dry_run, action, (entry_id,))


def restore(
    session: Session, raw_id: str, reason: str = "", dry_run: bool = False
) -> ent.WriteResult:
    entry_id = parse_id(raw_id)

    def action(ws: Workspace) -> list[str]:
        do_restore(ws, entry_id)
        return []

    return _single(session, "restore", entry_id, reason, dry_run, action, (entry_id,))


def split(
    session: Session, raw_id: str, headings: Sequence[str], into: Sequence[str],
    reason: str = "", redact: bool = False, dry_run: bool = False,
) -> ent.WriteResult:  # fmt: skip
    entry_id = parse_id(raw_id)
    created: list[str] = []

    def action(ws: Workspace) -> list[str]:
        created.extend(do_split(ws, entry_id, headings, into, redact))
        return []

    result = _single(session, "split", entry_id, reason, dry_run, action, (entry_id,))
    return replace(result, ids=(entry_id, *created))


# ---- plans ---------------------------------------------------------------------------------
@dataclass
class OpReport:
    index: int
    op: str
    subject: str
    reason: str
    status: str = "pending"  # applied | would_apply | unchanged | failed | blocked | not_applied
    impact: str = "low"  # low | high
    message: str = ""
    code: int = 0
    losses: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "op": self.op,
            "subject": self.subject,
            "reason": self.reason,
            "status": self.status,
            "impact": self.impact,
            "message": self.message,
            "losses": self.losses,
        }


@dataclass
class ApplyResult:
    applied: bool
    commit: str | None
    operations: list[OpReport]
    dry_run: bool = False
    diff: str | None = None

    @property
    def failures(self) -> list[OpReport]:
        return [r for r in self.operations if r.status in ("failed", "blocked")]

    def exit_code(self) -> int:
        """0 when applied (or a clean dry run); else the first failure's code."""
        failures = self.failures
        return failures[0].code if failures else 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "applied": self.applied,
            "commit": self.commit,
            "dry_run": self.dry_run,
            "operations": [r.to_json() for r in self.operations],
        }
        if self.diff is not None:
            data["diff"] = self.diff
        return data


def load_plan(text: str) -> plans.Plan:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidEntryError(
            f"the plan is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            "see the format with `ctx apply --schema`",
        ) from None
    except RecursionError:  # json's decoder recurses once per level of [ and {
        raise InvalidEntryError(
            "the plan is nested too deeply to read (arrays and objects more than about "
            "1,000 levels inside each other)",
            "a plan needs 5 levels; see the format with `ctx apply --schema`",
        ) from None
    parsed = plans.parse_plan(raw)
    if parsed.problems:
        raise InvalidEntryError(
            f"bad plan: {parsed.problems[0]}", "see the format with `ctx apply --schema`"
        )
    return parsed


def _draft(fields: Mapping[str, Any], session: Session) -> Entry:
    who = session.actor
    return Entry(
        id=fields["id"],
        title=fields.get("title", ""),
        body=fields.get("body", ""),
        summary=fields.get("summary", ""),
        kind=fields.get("kind", "note"),
        tags=tuple(fields.get("tags", ())),
        keywords=tuple(fields.get("keywords", ())),
        relations=tuple(parse_relations(fields.get("relations", ()))),
        sources=tuple(Source(s["type"], s["ref"].strip()) for s in fields.get("sources", ())),
        author=who,
        trust=fields.get("trust") or ("user" if who.startswith("human:") else "agent"),
        importance=fields.get("importance", session.config()["lifecycle"]["importance_default"]),
        maturity=fields.get("maturity", "draft"),
        valid_from=fields.get("valid_from"),
        valid_until=fields.get("valid_until"),
        anchors=tuple(fields.get("anchors", ())),
    )


def _run(
    ws: Workspace, op: plans.Operation, redact: bool, allow_loss: bool
) -> tuple[str, list[str]]:
    """Apply one operation to the workspace; returns a short note and what it dropped."""
    note = _run_one(ws, op, redact, allow_loss)
    return note if isinstance(note, tuple) else (note, [])


def _run_one(
    ws: Workspace, op: plans.Operation, redact: bool, allow_loss: bool
) -> str | tuple[str, list[str]]:
    f = op.fields
    if op.op == "ADD" or (op.op == "UPSERT" and ws.entry(parse_id(f["id"])) is None):
        if not str(f.get("title", "")).strip():
            raise InvalidEntryError("title is required to create an entry", "")
        created = do_add(ws, _draft(f, ws.session), redact)
        return f"created {created.id}"
    if op.op in ("UPDATE", "UPSERT"):
        entry, lost = do_update(ws, f["id"], f, redact, allow_loss)
        if entry is None:
            raise AlreadyDone("nothing changed")
        return ("updated" + (f"; {len(lost)} loss(es) allowed" if lost else ""), lost)
    if op.op == "MERGE":
        changed = do_merge(ws, f["source"], f["target"], redact)
        return "merged" + (f"; relations rewritten in {', '.join(changed)}" if changed else "")
    if op.op == "SUPERSEDE":
        if do_supersede(ws, f["old"], f["new"]) is None:
            raise AlreadyDone("already supersedes it")
        return "superseded"
    if op.op == "ARCHIVE":
        do_archive(ws, f["id"])
        return "archived"
    if op.op == "DELETE":
        dropped = do_delete(ws, f["id"], bool(f.get("force")))
        return "deleted" + (f"; relations dropped in {', '.join(dropped)}" if dropped else "")
    if op.op == "LINK":
        if do_link(ws, f["source"], f["target"], f.get("type", "related")) is None:
            raise AlreadyDone("the relation exists")
        return "linked"
    raise UsageError(f"unknown op {op.op}", "")  # parse_operation rules this out


def apply_plan(
    session: Session,
    plan: plans.Plan,
    source: str,
    *,
    redact: bool = False,
    allow_loss: bool = False,
    dry_run: bool = False,
) -> ApplyResult:
    """Validate every operation in order against the store as the earlier ones leave it
    (under the write lock), then commit them all as one commit, or none of them."""
    reports = [OpReport(op.index, op.op, op.subject(), op.reason) for op in plan.operations]
    with session.transaction("apply", [f"plan:{source}"], dry_run=dry_run) as tx:
        ws = Workspace(session, tx)
        for op, report in zip(plan.operations, reports, strict=True):
            if op.problems:
                report.status, report.code = "failed", int(ExitCode.INVALID)
                report.message = "; ".join(op.problems)
                continue
            before = dict(tx.writes)
            try:
                guard_secrets({"the reason": op.reason}, redact)
                report.message, report.losses = _run(ws, op, redact, allow_loss)
                report.status = "ok"
                report.impact = "high" if report.losses else "low"
            except AlreadyDone as done:
                report.status, report.message = "unchanged", done.message
            except LossError as loss:
                tx.writes = before
                report.status, report.impact, report.code = "blocked", "high", int(loss.exit_code)
                report.message, report.losses = loss.message, loss.lost
            except CtxError as exc:
                tx.writes = before
                report.status, report.code = "failed", int(exc.exit_code)
                report.message = exc.message
                if exc.hint:
                    report.message += f" ({exc.hint})"
        failed = any(r.status in ("failed", "blocked") for r in reports)
        if failed:
            tx.writes.clear()
        counts = _counts(reports)
        tx.subject = plan.reason.splitlines()[0][:72] if plan.reason.strip() else counts
        tx.body = "\n".join(
            [counts if plan.reason.strip() else ""]
            + [f"{r.op} {r.subject}: {r.reason} [{r.status}]" for r in reports]
        ).strip()
    applied = not failed and not dry_run
    for report in reports:
        if report.status == "ok":
            report.status = "not_applied" if failed else "would_apply" if dry_run else "applied"
            if failed:
                report.message = f"valid ({report.message}), not applied: another operation failed"
    return ApplyResult(
        applied=applied and tx.commit_sha is not None,
        commit=tx.commit_sha,
        operations=reports,
        dry_run=dry_run,
        diff=tx.diff if dry_run and not failed else None,
    )


def _counts(reports: Sequence[OpReport]) -> str:
    ops: dict[str, int] = {}
    for report in reports:
        ops[report.op] = ops.get(report.op, 0) + 1
    return "plan of " + ", ".join(f"{n} {op}" for op, n in ops.items())
