"""Import use cases: other formats into the tree, each import one commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ctxtree.curation.importers import transcript
from ctxtree.curation.importers.records import Imported, Overview, Skipped
from ctxtree.errors import ConflictError, UsageError
from ctxtree.service.content import check_text, guard_secrets, refuse_token
from ctxtree.service.drafts import check_choice
from ctxtree.service.session import Session
from ctxtree.tree import frontmatter
from ctxtree.tree import relations as rel
from ctxtree.tree.model import TRUST_LEVELS, Entry, Source
from ctxtree.tree.paths import entry_relpath
from ctxtree.tree.store import Store
from ctxtree.wording import plural

if TYPE_CHECKING:
    from ctxtree.service.workspace import Workspace
    from ctxtree.tree.transaction import Transaction

FORMATS = ("jsonl",)


@dataclass(frozen=True)
class ImportResult:
    op: str
    source: str
    domain: str
    topics: tuple[str, ...]
    ids: tuple[str, ...]
    turns: int
    commit: str | None
    redacted: int = 0
    diff: str | None = None
    status: str = "imported"  # imported | replaced | unchanged
    removed: tuple[str, ...] = ()  # entries of the earlier import that --replace removed

    def to_json(self) -> dict[str, object]:
        extra: dict[str, object] = {} if self.diff is None else {"dry_run": True, "diff": self.diff}
        return extra | {
            "op": self.op,
            "status": self.status,
            "removed": list(self.removed),
            "source": self.source,
            "domain": self.domain,
            "topics": list(self.topics),
            "ids": list(self.ids),
            "turns": self.turns,
            "redacted": self.redacted,
            "commit": self.commit,
        }


def overview_text(overview: Overview) -> str:
    """A folder's context.md: title and summary frontmatter, a heading, the body."""
    head = (
        f"title: {frontmatter.dump_yaml(overview.title)}\n"
        f"summary: {frontmatter.dump_yaml(overview.summary)}\n"
    )
    return f"---\n{head}---\n# {overview.title}\n\n{overview.body}\n"


def _guarded(
    turns: Sequence[transcript.Turn], name: str, redact: bool
) -> tuple[list[transcript.Turn], int]:
    """Refuse (or mask) secrets in every field a turn contributes to the tree."""
    clean: list[transcript.Turn] = []
    redacted = 0
    for turn in turns:
        # Named by its line, not its id: the id is checked too, and an error must not echo it.
        where = f"the turn on line {turn.line} of {name}"
        refuse_token(turn.id, f"the id of {where}")
        fields = {
            f"the id of {where}": turn.id,
            f"the text of {where}": turn.text,
            f"the speaker of {where}": turn.speaker,
            f"the time of {where}": turn.time,
            f"the conversation of {where}": turn.conversation,
        }
        masked = list(guard_secrets(fields, redact).values())
        updated = replace(
            turn,
            id=masked[0],
            text=masked[1],
            speaker=masked[2],
            time=masked[3],
            conversation=masked[4],
        )
        redacted += updated != turn
        clean.append(updated)
    return clean, redacted


def same_knowledge(a: Entry, b: Entry) -> bool:
    """Whether two versions of an imported entry say the same thing: who imported it when,
    and what the lifecycle has made of it since (importance, maturity), do not count."""
    keep = ("author", "importance", "maturity", "created", "updated")
    return replace(a, **{k: getattr(b, k) for k in keep}) == b


@dataclass(frozen=True)
class _Earlier:
    """What an earlier import of the same source left in the domain."""

    entries: dict[str, Entry]
    overviews: dict[str, str | None]  # topic context.md relpath -> its text (None: absent)


def _earlier(store: Store, layout: transcript.Layout, source: Source) -> _Earlier:
    entries: dict[str, Entry] = {}
    if store.folder_exists(layout.domain):
        found, _bad = store.entries(layout.domain, contains=source.ref)
        entries = {e.id: e for e in found if source in e.sources}
    relpaths = {f"tree/{t.folder}/context.md" for t in layout.topics}
    relpaths |= {f"tree/{i.rsplit('/', 1)[0]}/context.md" for i in entries}
    overviews = {p: (store.read_text(p) if store.is_file(p) else None) for p in sorted(relpaths)}
    return _Earlier(entries, overviews)


def _unchanged(layout: transcript.Layout, earlier: _Earlier) -> bool:
    """The earlier import made exactly what this one would: same entries, same overviews."""
    if set(earlier.entries) != {e.id for e in layout.entries}:
        return False
    if not all(same_knowledge(e, earlier.entries[e.id]) for e in layout.entries):
        return False
    return all(
        earlier.overviews.get(f"tree/{o.folder}/context.md") == overview_text(o)
        for o in layout.overviews[1:]
    )


def _refuse_dangling(store: Store, domain: str, vanishing: set[str]) -> None:
    """--replace removes entries the new import does not recreate: refuse while other
    entries point at them, as `ctx rm` does."""
    if not vanishing:
        return
    others, _bad = store.entries(contains=f"{domain}/")
    pointing = sorted(
        e.id
        for e in others
        if e.id not in vanishing and any(r.target in vanishing for r in rel.outgoing(e))
    )
    if pointing:
        raise ConflictError(
            f"{len(pointing)} entr{'y points' if len(pointing) == 1 else 'ies point'} at "
            f"entries the replace would remove: {', '.join(pointing[:5])}",
            "remove those relations first (`ctx unlink`), then import again with --replace",
        )


def _refuse_existing(store: Store, layout: transcript.Layout, name: str) -> None:
    existing = [t.folder for t in layout.topics if store.folder_exists(t.folder)]
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise ConflictError(
            f"topic {existing[0]!r}{more} already exists: was this transcript imported before?",
            f"pass --replace to replace what the earlier import of {name} made, import into "
            f"another --domain, or remove the old topics with `ctx rm {existing[0]} --recursive`",
        )


def _remove_earlier(
    tx: Transaction, store: Store, layout: transcript.Layout, earlier: _Earlier, name: str
) -> list[str]:
    """Stage the removal of the earlier import's entries that this one does not make again,
    and of the topic folders that leaves empty. Returns the removed ids."""
    new_ids = {e.id for e in layout.entries}
    removed = sorted(set(earlier.entries) - new_ids)
    _refuse_dangling(store, layout.domain, set(removed))
    taken = sorted(i for i in new_ids - set(earlier.entries) if store.exists(i))
    if taken:
        raise ConflictError(
            f"entry {taken[0]!r} exists and was not made by an import of {name}",
            "import into another --domain",
        )
    for entry_id in removed:
        tx.delete(entry_relpath(entry_id))
    folder_of = {i: i.rsplit("/", 1)[0] for i in [*removed, *new_ids]}
    emptied = {folder_of[i] for i in removed} - {folder_of[i] for i in new_ids}
    for folder in sorted(emptied):
        if not {i for i, _p in store.entry_paths(folder)} - set(earlier.entries):
            for relpath in store.files_under(folder):
                tx.delete(relpath)
    return removed


def _stage(tx: Transaction, store: Store, layout: transcript.Layout) -> None:
    """Stage the import's overviews (the domain's only if it has none) and entries."""
    domain_overview, *topic_overviews = layout.overviews
    domain_context = f"tree/{layout.domain}/context.md"
    if not store.path(domain_context).is_file():
        tx.write(domain_context, overview_text(domain_overview))
    for overview in topic_overviews:
        tx.write(f"tree/{overview.folder}/context.md", overview_text(overview))
    for entry in layout.entries:
        tx.write(entry_relpath(entry.id), frontmatter.serialize(entry))


def import_transcript(
    session: Session,
    text: str,
    domain: str = transcript.DEFAULT_DOMAIN,
    *,
    name: str = "stdin",
    window: int = transcript.DEFAULT_WINDOW,
    fmt: str = "jsonl",
    redact: bool = False,
    dry_run: bool = False,
    replace_earlier: bool = False,
) -> ImportResult:
    """Write a transcript as one topic per session and one entry per window of turns, in one
    commit. Importing the same file again with the same result writes nothing ("unchanged").
    Otherwise a topic folder that exists already is refused, unless `replace_earlier`, which
    removes what the earlier import of that source (`transcript:NAME` in the domain) made
    and writes the new import in its place, in the same commit."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is not supported", f"use one of {', '.join(FORMATS)}")
    if window < 1:
        raise UsageError("--window must be at least 1", "e.g. --window 6")
    turns, redacted = _guarded(transcript.parse_jsonl(text, name), name, redact)
    layout = transcript.organise(
        turns,
        domain=domain,
        source=name,
        window=window,
        author=session.actor,
        now=session.timestamp,
        importance=int(session.settings.lifecycle.importance_default),
    )
    limit = session.settings.limits.max_entry_bytes
    for entry in layout.entries:
        check_text(entry.body, f"entry {entry.id}", limit)
    store = session.store
    source = Source("transcript", name)
    removed: list[str] = []
    with session.transaction("import", [source.render()], dry_run=dry_run) as tx:
        earlier = _earlier(store, layout, source)
        if earlier.entries and _unchanged(layout, earlier):
            status = "unchanged"
        elif replace_earlier and earlier.entries:
            status = "replaced"
            removed = _remove_earlier(tx, store, layout, earlier, name)
        else:
            status = "imported"
            _refuse_existing(store, layout, name)
        if status != "unchanged":
            _stage(tx, store, layout)
            tx.subject = (
                f"{plural(len(turns), 'turn')} from {name} into {layout.domain}/ "
                f"({plural(len(layout.topics), 'session')}, {plural(len(layout.entries), 'entry')})"
            )
            tx.body = "\n".join(t.folder for t in layout.topics)
        if status == "replaced":
            tx.subject = f"{tx.subject}, replacing the earlier import"
            if removed:
                tx.body += "\nRemoved: " + ", ".join(removed)
    return ImportResult(
        op="import",
        source=name,
        domain=layout.domain,
        topics=tuple(t.folder for t in layout.topics),
        ids=tuple(e.id for e in layout.entries),
        turns=len(turns),
        commit=tx.commit_sha,
        redacted=redacted,
        diff=tx.diff if dry_run else None,
        status=status,
        removed=tuple(removed),
    )


# ---- every other format: one use case for whatever a format module read ----------------------
@dataclass(frozen=True)
class ImportReport:
    """What `import_records` did (or, on a dry run, would do): ids per outcome, the files and
    records that made no entry with their reasons, what was dropped, and the commit."""

    fmt: str
    label: str
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    overviews: tuple[str, ...] = ()  # context.md files written
    skipped: tuple[Skipped, ...] = ()
    dropped: tuple[tuple[str, int], ...] = ()
    commit: str | None = None
    diff: str | None = None
    held: tuple[str, ...] = ()  # sent to the review inbox (review.external: inbox)
    waiting: tuple[str, ...] = ()  # already waiting there, unchanged

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.overviews or self.held)

    def counts(self) -> str:
        """`3 added, 1 updated, 2 unchanged, 1 skipped`: the outcomes that happened."""
        parts = [
            (len(self.added), "added"),
            (len(self.updated), "updated"),
            (len(self.unchanged), "unchanged"),
            (len(self.held), "held for review"),
            (len(self.waiting), "already waiting for review"),
            (len(self.removed), "removed"),
            (len(self.skipped), "skipped"),
        ]
        return ", ".join(f"{n} {word}" for n, word in parts if n) or "nothing to import"

    def to_json(self) -> dict[str, object]:
        extra: dict[str, object] = {} if self.diff is None else {"dry_run": True, "diff": self.diff}
        return extra | {
            "op": "import",
            "format": self.fmt,
            "source": self.label,
            "added": list(self.added),
            "updated": list(self.updated),
            "unchanged": list(self.unchanged),
            "removed": list(self.removed),
            "held": list(self.held),
            "waiting": list(self.waiting),
            "overviews": list(self.overviews),
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "dropped": {what: count for what, count in self.dropped},
            "commit": self.commit,
        }


def _merged_drops(*groups: Sequence[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    totals: dict[str, int] = {}
    for group in groups:
        for what, count in group:
            totals[what] = totals.get(what, 0) + count
    return tuple((what, n) for what, n in sorted(totals.items()) if n)


def _prepared(entry: Entry, session: Session, trust: str | None) -> Entry:
    """An imported entry as it is written: the command's trust, and who and when where the
    format did not say (a json export carries its own, so a round trip is exact)."""
    now = session.timestamp
    return replace(
        entry,
        trust=trust or entry.trust,
        author=entry.author or session.actor,
        created=entry.created or now,
        updated=entry.updated or entry.created or now,
    )


def _reimported(current: Entry, new: Entry, now: str, replace_all: bool) -> Entry:
    """A changed entry as an UPDATE writes it: the source's content over the stored entry,
    keeping when it was made and what the lifecycle made of it; dropping facts, relations
    or sources is refused (LossError) unless `replace_all`."""
    from ctxtree.service.operations import check_losses

    kept = ("author", "importance", "maturity", "created", "stale")
    updated = replace(new, **{k: getattr(current, k) for k in kept}, updated=now)
    check_losses(current, updated, replace_all, "pass --replace to take the source's version")
    return updated


def _same_source(current: Entry, new: Entry, fmt: str) -> bool:
    return bool(set(current.sources) & set(new.sources)) or any(
        s.type == fmt for s in current.sources
    )


def import_records(
    session: Session,
    imported: Imported,
    *,
    fmt: str,
    label: str,
    dry_run: bool = False,
    replace_all: bool = False,
    trust: str | None = None,
    redact: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Write what a format module read (`Imported`) as one commit, through the write path
    (every entry validated and scanned for secrets by `Workspace.put`).

    Re-importing is idempotent: the same source gives the same ids; an entry the store
    already holds with the same knowledge is left untouched (who imported it when, and its
    lifecycle, do not count); a changed one is updated as an UPDATE would be (refused when
    it drops facts, relations or sources, unless `replace_all`); an id held by an entry not
    from this format is skipped with the reason. Entries of an earlier import of this format
    in the same domains that the source no longer has are kept, or removed with
    `replace_all`. Relations to targets neither imported nor in the store are dropped and
    counted. Overviews become context.md files where none exists (replaced with
    `replace_all`)."""
    from ctxtree.service.workspace import AlreadyDone, Workspace

    if trust is not None:
        check_choice(trust, TRUST_LEVELS, "trust")
    seen: dict[str, Entry] = {}
    skipped = list(imported.skipped)
    for entry in imported.entries:
        if entry.id in seen:
            skipped.append(Skipped(_where(entry), f"its id {entry.id} is taken by another"))
        else:
            seen[entry.id] = _prepared(entry, session, trust)
    new_ids = set(seen)
    # Folders are relation targets too: those the import's overviews and entries create.
    folders = {o.folder for o in imported.overviews} | {
        "/".join(i.split("/")[:n]) for i in new_ids for n in range(2, i.count("/") + 1)
    }
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    removed: list[str] = []
    overviews: list[str] = []
    held: list[str] = []  # sent to the review inbox
    waiting: list[str] = []  # the same proposal already waits there
    dangling = 0
    sources = [f"{fmt}:{label}"]
    with session.transaction("import", sources, dry_run=dry_run) as tx:
        ws = Workspace(session, tx, redact)
        for overview in imported.overviews:
            relpath = f"tree/{overview.folder}/context.md"
            text = overview_text(overview)
            current_text = tx.read(relpath)
            if current_text != text and (current_text is None or replace_all):
                tx.write(relpath, text)
                overviews.append(relpath)
        pending: list[Entry] = []  # written without relations to entries not yet written
        total = len(seen)
        for done, found in enumerate(seen.values(), 1):
            keep = tuple(
                r
                for r in found.relations
                if r.target in new_ids or r.target in folders or ws.target_exists(r.target)
            )
            dangling += len(found.relations) - len(keep)
            entry = replace(found, relations=keep)
            current = ws.entry(entry.id)
            if current is None and ws.archived(entry.id) is not None:
                skipped.append(Skipped(_where(entry), f"{entry.id} is archived in the store"))
                new_ids.discard(entry.id)
            elif current is None:
                added.append(entry.id)
                pending.append(entry)
            elif same_knowledge(entry, current):
                unchanged.append(entry.id)
            elif not _same_source(current, entry, fmt):
                skipped.append(Skipped(_where(entry), f"{entry.id} exists and was not imported"))
                new_ids.discard(entry.id)
            else:
                updated.append(entry.id)
                pending.append(_reimported(current, entry, session.timestamp, replace_all))
            if progress is not None:
                progress(done, total)
        # Targets first, so an entry is written once; one in a cycle is written without the
        # relations to entries not yet there, then again with them.
        later = []
        for entry in _targets_first(pending):
            if ws.routes(entry.trust):
                # External content held for review (config review.external: inbox): one
                # proposal per entry, relations and all; accepting lands it.
                held.append(entry.id)
                try:
                    ws.submit(entry, entry.trust)
                except AlreadyDone:
                    held.remove(entry.id)
                    waiting.append(entry.id)
                continue
            ready = tuple(r for r in entry.relations if ws.target_exists(r.target))
            ws.put(replace(entry, relations=ready))
            if ready != entry.relations:
                later.append(entry)
        for entry in later:
            ws.put(entry)
        # Held entries were counted as added or updated above; they are neither yet.
        added = [i for i in added if i not in held and i not in waiting]
        updated = [i for i in updated if i not in held and i not in waiting]
        if replace_all:
            removed = _remove_vanished(ws, fmt, new_ids | set(seen))
        report = ImportReport(
            fmt,
            label,
            tuple(added),
            tuple(updated),
            tuple(unchanged),
            tuple(removed),
            tuple(overviews),
            tuple(skipped),
            _merged_drops(imported.dropped, [("dangling relation", dangling)]),
            held=tuple(held),
            waiting=tuple(waiting),
        )
        tx.subject = f"{fmt} import of {label}: {report.counts()}"
        tx.body = "\n".join(
            f"{word.capitalize()}: {', '.join(ids)}"
            for word, ids in (("added", added), ("updated", updated), ("removed", removed))
            if ids
        )
    return replace(report, commit=tx.commit_sha, diff=tx.diff if dry_run else None)


def _targets_first(entries: Sequence[Entry]) -> list[Entry]:
    """`entries` in an order where each comes after the entries it relates to, as far as
    cycles allow (depth first, in the given order: deterministic)."""
    by_id = {e.id: e for e in entries}
    seen: set[str] = set()
    order: list[Entry] = []
    for root in entries:
        if root.id in seen:
            continue
        seen.add(root.id)
        stack = [(root, iter(root.relations))]
        while stack:
            entry, todo = stack[-1]
            step = next((r for r in todo if r.target in by_id and r.target not in seen), None)
            if step is None:
                stack.pop()
                order.append(entry)
            else:
                seen.add(step.target)
                child = by_id[step.target]
                stack.append((child, iter(child.relations)))
    return order


def _where(entry: Entry) -> str:
    """The source file an entry came from (its first source's ref), for a skip reason."""
    return entry.sources[0].ref if entry.sources else entry.id


def _remove_vanished(ws: Workspace, fmt: str, kept: set[str]) -> list[str]:
    """Stage the removal of entries an earlier import of `fmt` made in the domains this
    import writes that the source no longer has; refused while other entries point at them."""
    store = ws.session.store
    domains = sorted({i.split("/", 1)[0] for i in kept})
    vanished: list[str] = []
    for domain in domains:
        found, _bad = store.entries(domain, contains=fmt)
        vanished += [
            e.id for e in found if e.id not in kept and any(s.type == fmt for s in e.sources)
        ]
    for domain in domains:
        _refuse_dangling(store, domain, set(vanished))
    for entry_id in vanished:
        ws.drop(entry_id)
    return sorted(vanished)
