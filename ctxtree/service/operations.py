"""Write operations on a Workspace: the one implementation of each mutation, shared by the
single commands (service/entries.py, service/restructure.py) and by plans (`ctx apply`). Each takes
raw ids, validates them, reads through the workspace and writes through `Workspace.put`.

The operations that bring in new content (add, update, edit) write through `Workspace.submit`
with the trust the write declares: an `external` one goes to the review inbox when the
configuration says so. Restructuring (move, merge, link, supersede, archive, delete) only
rearranges what the tree already holds, so it is never held for review.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ctxtree.curation import facts, sections
from ctxtree.curation import plan as plans
from ctxtree.errors import ConflictError, NotFoundError, UsageError
from ctxtree.hints import Call, Hole, Param, Text
from ctxtree.service import drafts
from ctxtree.service.workspace import AlreadyDone, Workspace, archive_relpath
from ctxtree.tree import frontmatter
from ctxtree.tree import relations as rel
from ctxtree.tree.model import RELATION_TYPES, Entry, Relation
from ctxtree.tree.paths import entry_relpath, parse_id, parse_target
from ctxtree.wording import plural


def _now(ws: Workspace) -> str:
    return ws.session.timestamp


def do_add(ws: Workspace, draft: Entry, hint: Text = "use UPDATE or UPSERT to change it") -> Entry:
    """Create an entry; refuses an id taken in the tree, the archive or by a folder."""
    entry_id = parse_id(draft.id)
    ws.require_free(entry_id, hint)
    entry = drafts.new_entry(draft, entry_id, _now(ws))
    return ws.submit(replace(entry, author=entry.author or ws.session.actor), entry.trust)


def do_edit(ws: Workspace, raw_id: str, changes: drafts.Changes, allow_loss: bool = False) -> Entry:
    """`ctx edit`: apply flag changes; AlreadyDone when they change nothing. A new body that
    drops facts is refused like a plan's UPDATE (`check_losses`) unless `allow_loss`."""
    entry_id = parse_id(raw_id)
    entry = ws.require(entry_id)
    updated = drafts.apply_changes(entry, changes)
    if updated == entry:
        raise AlreadyDone("nothing changed")
    check_losses(entry, updated, allow_loss, EDIT_LOSS_HINT)
    return ws.submit(replace(updated, updated=_now(ws)), changes.trust)


def do_replace_text(ws: Workspace, raw_id: str, text: str) -> Entry:
    """Store an entry's whole file text (edited in $EDITOR), parsed and validated."""
    entry_id = parse_id(raw_id)
    edited = frontmatter.parse(text, entry_id, entry_relpath(entry_id))
    current = ws.require(entry_id)
    if edited == current:
        raise AlreadyDone("nothing changed")
    return ws.put(replace(edited, updated=_now(ws)))


def do_update(
    ws: Workspace, entry_id: str, fields: Mapping[str, Any], allow_loss: bool
) -> tuple[Entry | None, list[str]]:
    """Replace the named fields. Returns (the entry, or None when nothing changed; losses)."""
    entry_id = parse_id(entry_id)
    current = ws.require(entry_id)
    new = drafts.updated_entry(current, fields)
    if any(r.target == entry_id for r in new.relations):
        raise UsageError("an entry cannot relate to itself", "")
    lost = check_losses(current, new, allow_loss)
    if new == current:
        return None, lost
    return ws.submit(replace(new, updated=_now(ws)), fields.get("trust")), lost


PLAN_LOSS_HINT: Text = (
    "keep what it drops, or pass ", Param("allow_loss", True), " if dropping it is intended"
)  # fmt: skip
EDIT_LOSS_HINT: Text = (
    "add text without replacing with ", Param("append_body"), ", or pass ",
    Param("allow_loss", True), " if dropping it is intended",
)  # fmt: skip


def check_losses(
    current: Entry, new: Entry, allow_loss: bool, hint: Text = PLAN_LOSS_HINT
) -> list[str]:
    """The one rule for writes that replace an entry's content (a plan's UPDATE, `ctx edit`):
    dropping facts (body lines), relations or sources is high impact, refused with LossError
    unless `allow_loss`. Returns what it drops."""
    lost = plans.losses(current, new)
    if lost and not allow_loss:
        raise LossError(current.id, lost, hint)
    return lost


class LossError(ConflictError):
    """A write that drops knowledge, refused without `allow_loss` (high impact). `lost` lists
    every drop, one line each; the CLI prints them under the error."""

    def __init__(self, entry_id: str, lost: Sequence[str], hint: Text = PLAN_LOSS_HINT) -> None:
        more = f" (and {len(lost) - 1} more)" if len(lost) > 1 else ""
        super().__init__(f"high impact: updating {entry_id!r} {lost[0]}{more}", hint)
        self.lost = list(lost)
        self.details = list(lost)


def do_move(ws: Workspace, raw_old: str, raw_new: str) -> list[str]:
    """Rename an entry and rewrite every relation and [[link]] that points at it. Returns the
    ids whose relations or links were rewritten."""
    old, new = parse_id(raw_old), parse_id(raw_new)
    if old == new:
        raise UsageError(f"{old!r} is already at that id", "")
    entry = ws.require(old)
    if ws.entry(new) is not None:
        raise ConflictError(
            f"cannot move {old!r} onto {new!r}: that entry exists",
            (f"merge them, or remove {new!r} first with `", Call("rm", (new,), "remove"), "`"),
        )
    ws.require_free(new, "")
    referrers = ws.referrers(old)
    ws.drop(old)
    ws.put(rel.retarget(replace(entry, id=new), old, new))
    for other in referrers:
        ws.put(rel.retarget(other, old, new))
    return [other.id for other in referrers]


def do_merge(ws: Workspace, raw_src: str, raw_dst: str) -> list[str]:
    """Fold SRC into DST, repoint SRC's inbound relations and links to DST, delete SRC.
    Returns the ids whose relations were rewritten."""
    src_id, dst_id = parse_id(raw_src), parse_id(raw_dst)
    if src_id == dst_id:
        raise UsageError("cannot merge an entry into itself", "")
    src, dst = ws.require(src_id), ws.require(dst_id)
    merged = drafts.merged_entry(src, dst, _now(ws))
    ws.drop(src_id)
    changed = []
    for other in ws.referrers(src_id):
        if other.id == dst_id:
            continue
        ws.put(replace(rel.retarget(other, src_id, dst_id), updated=other.updated))
        changed.append(other.id)
    ws.put(rel.retarget(merged, src_id, dst_id))
    return changed


def do_supersede(ws: Workspace, raw_old: str, raw_new: str) -> Entry:
    """NEW declares `supersedes: OLD`; OLD stays, out of default results. AlreadyDone if so."""
    old_id, new_id = parse_id(raw_old), parse_id(raw_new)
    if old_id == new_id:
        raise UsageError("an entry cannot supersede itself", "")
    ws.require(old_id)
    new = ws.require(new_id)
    if new_id in ws.supersedes_chain(old_id):
        raise ConflictError(
            f"{old_id!r} already supersedes {new_id!r} (directly or through a chain)",
            "a supersede cycle would hide both; unlink one of them first",
        )
    relation = Relation("supersedes", old_id)
    if relation in new.relations:
        raise AlreadyDone(f"{new_id} already supersedes {old_id}")
    return ws.put(replace(new, relations=(*new.relations, relation), updated=_now(ws)))


def do_archive(ws: Workspace, raw_id: str) -> None:
    entry_id = parse_id(raw_id)
    if ws.entry(entry_id) is None and ws.archived(entry_id) is not None:
        raise ConflictError(
            f"{entry_id!r} is already archived", ("`", Call("restore", (entry_id,), "restore"), "`")
        )
    ws.require(entry_id)
    ws.move_file(entry_relpath(entry_id), archive_relpath(entry_id))


def do_restore(ws: Workspace, raw_id: str) -> None:
    entry_id = parse_id(raw_id)
    text = ws.tx.read(archive_relpath(entry_id))
    if text is None:
        if ws.entry(entry_id) is not None:
            raise ConflictError(f"{entry_id!r} is not archived", "it is in the tree already")
        archived = Param("include_archived", True, flag="--archived")
        raise NotFoundError(
            f"no archived entry {entry_id!r}", ("see `", Call("search", (archived,), "search"), "`")
        )
    if ws.entry(entry_id) is not None:
        raise ConflictError(
            f"cannot restore {entry_id!r}: an entry with that id exists in the tree",
            ("move it away first with `", Call("mv", (entry_id, Hole("NEW_ID")), "move"), "`"),
        )
    frontmatter.parse(text, entry_id, archive_relpath(entry_id))
    ws.move_file(archive_relpath(entry_id), entry_relpath(entry_id))


def do_delete(
    ws: Workspace,
    raw_id: str,
    force: bool,
    hint: Text = 'remove those relations first, or set "force": true to drop them',
) -> list[str]:
    """Delete an entry. Refuses while others point at it (relations or inline links),
    unless `force`, which also drops their declared relations to it (inline links stay as
    text for `ctx lint` to report). Returns the ids whose relations were dropped."""
    entry_id = parse_id(raw_id)
    ws.require(entry_id)
    referrers = ws.referrers(entry_id)
    count = plural(len(referrers), "entry")
    refusal = f"{count} point{'s' * (len(referrers) == 1)} at {entry_id!r}"
    changed = _unlink(ws, referrers, entry_id.__eq__, force, refusal, hint)
    ws.drop(entry_id)
    return changed


def _unlink(
    ws: Workspace,
    referrers: Sequence[Entry],
    gone: Callable[[str], bool],
    force: bool,
    refusal: str,
    hint: Text,
) -> list[str]:
    """Drop the declared relations of `referrers` whose target is `gone`, or, without
    `force`, refuse (`refusal: the first five ids`). Returns the ids rewritten."""
    if referrers and not force:
        raise ConflictError(f"{refusal}: {', '.join(o.id for o in referrers[:5])}", hint)
    changed = []
    for other in referrers:
        kept = tuple(r for r in other.relations if not gone(r.target))
        if kept != other.relations:
            ws.put(replace(other, relations=kept))
            changed.append(other.id)
    return changed


def in_folder(target: str, folder: str) -> bool:
    """Whether a relation target (an entry or a folder) is `folder` or lies inside it."""
    return target == folder or target.startswith(folder + "/")


def do_delete_folder(
    ws: Workspace,
    raw_folder: str,
    force: bool,
    hint: Text,
    expected: Sequence[str] | None = None,
) -> list[str]:
    """Delete a folder of the tree: every entry under it and its overviews and summaries
    (`context.md`, `_index.md`). Refuses while entries outside it point into it, unless
    `force`, which drops their declared relations into it (inline links stay as text for
    `ctx lint`). With `expected` (the files listed when the user confirmed), refuses if the
    folder changed since. Returns the ids whose relations were dropped."""
    folder = drafts.parse_folder(raw_folder)
    files = ws.folder_files(folder)
    if not files:
        raise NotFoundError(f"no folder {folder!r}", "list folders with `ctx tree`")
    if expected is not None and list(expected) != files:
        raise ConflictError(
            f"{folder!r} changed while the removal was being confirmed", "run it again"
        )
    referrers = [o for o in ws.referrers(folder) if not in_folder(o.id, folder)]
    count = f"{len(referrers)} entr{'y points' if len(referrers) == 1 else 'ies point'}"
    refusal = f"{count} into {folder!r} from outside"
    changed = _unlink(ws, referrers, lambda t: in_folder(t, folder), force, refusal, hint)
    for relpath in files:
        ws.tx.delete(relpath)
    return changed


def do_link(ws: Workspace, raw_src: str, raw_dst: str, rtype: str) -> Entry:
    """Add a relation; AlreadyDone when it exists."""
    src_id, dst = parse_id(raw_src), parse_target(raw_dst)
    drafts.check_choice(rtype, RELATION_TYPES, Param("type"))
    if src_id == dst:
        raise UsageError("an entry cannot relate to itself", "")
    entry = ws.require(src_id)
    relation = Relation(rtype, dst)
    ws.require_targets([relation])
    if relation in entry.relations:
        raise AlreadyDone(f"already {rtype} {dst}")
    return ws.put(replace(entry, relations=(*entry.relations, relation), updated=_now(ws)))


def do_unlink(ws: Workspace, raw_src: str, raw_dst: str, rtype: str | None) -> Entry:
    """Remove declared relations from SRC to DST (of `rtype`, or of any type)."""
    src, dst = parse_id(raw_src), parse_target(raw_dst)
    if rtype is not None:
        drafts.check_choice(rtype, RELATION_TYPES, Param("type"))
    entry = ws.require(src)
    kept = tuple(r for r in entry.relations if not (r.target == dst and rtype in (None, r.type)))
    if kept == entry.relations:
        inline = dst in rel.inline_links(entry.body)
        raise NotFoundError(
            f"{src!r} has no {rtype + ' ' if rtype else ''}relation to {dst!r}",
            f"it links to it inline as [[{dst}]]; edit the body to remove it"
            if inline
            else f"see its relations with `ctx related {src}`",
        )
    return ws.put(replace(entry, relations=kept, updated=_now(ws)))


def do_split(ws: Workspace, raw_id: str, headings: Sequence[str], into: Sequence[str]) -> list[str]:
    """Cut `## ` sections out of an entry into entries of their own (`part_of` the original,
    which keeps its intro and lists its parts). A declared relation moves to the parts whose
    text links its target inline, and leaves the original when nothing there mentions it;
    inbound relations keep pointing at the original. Returns the new ids."""
    entry_id = parse_id(raw_id)
    entry = ws.require(entry_id)
    stay, parts = drafts.split_parts(entry, headings)
    if not parts:
        raise UsageError(
            f"nothing to split: {entry_id!r} has no '## ' sections",
            "add headings to the body first (`ctx edit`)",
        )
    if len(parts) == 1 and not headings and len(stay) <= 1:
        raise UsageError(f"{entry_id!r} has a single section", "there is nothing to split")
    if into and len(into) != len(parts):
        raise UsageError(
            f"--into names {plural(len(into), 'id')} for {plural(len(parts), 'section')}",
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
        ws.put(
            replace(
                entry,
                id=part.id,
                title=part.title,
                summary="",
                body=drafts.with_title_heading(part.title, text),
                keywords=keywords,
                relations=(Relation("part_of", entry_id), *own),
                created=_now(ws),
                updated=_now(ws),
                origin=None,
            )
        )
    still_linked = set(rel.inline_links(kept_body))
    relations = tuple(r for r in entry.relations if r not in moved or r.target in still_linked)
    index = "\n".join(f"- [[{p.id}]] {p.title}" for p in parts)
    body = kept_body.rstrip("\n") + ("\n\n" if kept_body.strip() else "") + "## Parts\n\n"
    ws.put(replace(entry, body=body + index + "\n", relations=relations, updated=_now(ws)))
    return ids


FACT_ACTIONS = ("drop", "replace", "supersede", "add")


@dataclass(frozen=True)
class FactChange:
    """One fact-level change (`ctx edit --drop-fact/--replace-fact/--supersede-fact/
    --add-fact`, `ctx forget --fact`, plan fact operations). `fact` names the fact (found by
    `curation.facts.find`); `new` is the replacement or the added text ("" drops it)."""

    action: str  # drop | replace | supersede | add
    fact: str = ""
    new: str = ""


def do_fact(ws: Workspace, raw_id: str, change: FactChange) -> str:
    """Change one fact of an entry, keeping the rest; the summary follows when it says the
    same fact. Returns the fact's text as it was written (the added text for `add`)."""
    entry_id = parse_id(raw_id)
    if change.action not in FACT_ACTIONS:
        raise UsageError(f"a fact change is one of {', '.join(FACT_ACTIONS)}", "")
    entry = ws.require(entry_id)
    if change.action == "add":
        if not change.new.strip():
            raise UsageError("the fact to add is empty", "")
        if facts.same(entry.body, change.new) is not None:
            raise AlreadyDone(f"{entry_id} already says {change.new.strip()!r}")
        body, summary, said = facts.add(entry.body, change.new), entry.summary, change.new.strip()
        title = entry.title
    else:
        fact = found_fact(entry, change.fact)
        said = fact.text
        body = _changed(entry.body, fact, change)
        twin = facts.same(entry.summary, fact.text) or facts.containing(entry.summary, change.fact)
        summary = entry.summary if twin is None else _changed(entry.summary, twin, change)
        title = _retitled(entry.title, fact, change)
    new = replace(entry, body=body, summary=summary.strip(), updated=_now(ws))
    if title != entry.title:  # its H1 follows, as with `ctx edit --title`
        new = drafts.apply_changes(new, drafts.Changes(title=title))
    ws.submit(new, None)
    return said


def _retitled(title: str, fact: facts.Fact, change: FactChange) -> str:
    """A title that states the changed fact ("User lives in Lisbon") says its replacement,
    as the summary does; else search would still show the old fact as the entry's title. A
    fact dropped with nothing in its place leaves the title (an entry needs one)."""
    twin = facts.same(title, fact.text) or facts.containing(title, change.fact)
    if twin is None or not change.new.strip():
        return title
    return facts.replace(title, twin, change.fact, change.new).strip() or title


def _changed(text: str, fact: facts.Fact, change: FactChange) -> str:
    if change.new.strip():
        return facts.replace(text, fact, change.fact, change.new)
    return facts.drop(text, fact)


def found_fact(entry: Entry, query: str) -> facts.Fact:
    """The fact of `entry` that `query` names, or exit 4 (several, listed) / 3 (none; the
    entry's facts listed)."""
    if not query.strip():
        raise UsageError("name the fact: its text, or words only it contains", "")
    try:
        return facts.find(entry.body, query)
    except facts.FactLookup as lookup:
        texts = [f.text for f in lookup.candidates]
        listed = "; ".join(repr(t) for t in texts[:10]) + (" ..." if len(texts) > 10 else "")
        if lookup.ambiguous:
            error: ConflictError | NotFoundError = ConflictError(
                f"{query!r} matches {plural(len(texts), 'fact')} of {entry.id!r}",
                f"name one with more of its words: {listed}",
            )
        else:
            error = NotFoundError(
                f"no fact of {entry.id!r} matches {query!r}",
                f"its facts: {listed}" if texts else "its body has no facts",
            )
        raise error from None
