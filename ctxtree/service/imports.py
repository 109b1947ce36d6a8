"""Import use cases: other formats into the tree, each import one commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ctxtree.curation.importers import transcript
from ctxtree.errors import ConflictError, UsageError
from ctxtree.service.content import check_text, guard_secrets, refuse_token
from ctxtree.service.session import Session
from ctxtree.tree import frontmatter
from ctxtree.tree import relations as rel
from ctxtree.tree.model import Entry, Source
from ctxtree.tree.paths import entry_relpath
from ctxtree.tree.store import Store
from ctxtree.wording import plural

if TYPE_CHECKING:
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


def overview_text(overview: transcript.Overview) -> str:
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
