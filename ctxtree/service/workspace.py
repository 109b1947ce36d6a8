"""The one write path. Every mutating command (`add`, `edit`, `mv`, `rm`, `link`, `unlink`,
`merge`, `supersede`, `archive`, `restore`, `split`) and every plan operation (`ctx apply`) runs
its operation (service/operations.py) on a Workspace inside one journaled transaction, and every
entry it writes passes the same validator, `validated`. The CLI, plans and the Python API cannot
disagree about what is allowed, because there is nothing else to disagree with.

A Workspace is the store as the current transaction would leave it: the operations of one plan
see each other's effects, validate against them, and land as one commit (or not at all).

Validation is differential: a value is checked when the write changes it (a new entry: all of
them). Rewriting an entry for an unrelated reason (repointing a relation during a merge) never
fails on a problem it already had; `ctx lint` reports those.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ctxtree.errors import ConflictError, CtxError, InvalidEntryError, NotFoundError, UsageError
from ctxtree.hints import Call, Param, Text
from ctxtree.service.content import check_text, guard_secrets, refuse_token
from ctxtree.service.drafts import check_choice
from ctxtree.service.session import Session
from ctxtree.tree import frontmatter, inbox
from ctxtree.tree import relations as rel
from ctxtree.tree.model import KINDS, MATURITIES, RELATION_TYPES, TRUST_LEVELS, Entry, Relation
from ctxtree.tree.paths import entry_relpath, parse_id, parse_target
from ctxtree.tree.suggestions import missing_entry
from ctxtree.tree.validity import check_validity

if TYPE_CHECKING:
    from ctxtree.tree.transaction import Transaction


@dataclass(frozen=True)
class WriteResult:
    op: str
    ids: tuple[str, ...]
    commit: str | None
    changed: tuple[str, ...] = ()
    message: str = ""
    diff: str | None = None  # set on a dry run: what the commit would change
    inbox: tuple[str, ...] = ()  # ids held in the review inbox instead of the tree

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "op": self.op,
            "ids": list(self.ids),
            "commit": self.commit,
            "changed": list(self.changed),
            "message": self.message,
        }
        if self.inbox:
            data["inbox"] = list(self.inbox)
        if self.diff is not None:
            data["dry_run"] = True
            data["diff"] = self.diff
        return data


def dry_diff(tx: Transaction) -> str | None:
    """The diff a dry run would have committed; None for a real run."""
    return tx.diff if tx.dry_run else None


class AlreadyDone(CtxError):
    """Nothing to do; not an error for the caller (reported as 'nothing changed')."""


def archive_relpath(entry_id: str) -> str:
    return f"archive/{entry_id}.md"


def _restore(entry_id: str) -> Call:
    return Call("restore", (entry_id,), "restore")


class Workspace:
    """Entries as the transaction would leave them (pending writes first)."""

    def __init__(self, session: Session, tx: Transaction, redact: bool = False) -> None:
        self.session = session
        self.tx = tx
        self.redact = redact
        self.proposed: list[str] = []  # ids this transaction sent to the review inbox

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
                f"{entry_id!r} is archived", ("bring it back first with `", _restore(entry_id), "`")
            )
        raise missing_entry(self.session.store, entry_id)

    def require_free(self, entry_id: str, hint: Text) -> None:
        """Refuse an id already taken: by an entry in the tree or the archive (the same id
        in both would make `restore` impossible), or by a folder of entries."""
        if self.entry(entry_id) is not None:
            raise ConflictError(f"entry {entry_id!r} already exists", hint)
        if self.archived(entry_id) is not None:
            raise ConflictError(
                f"{entry_id!r} exists in the archive",
                ("restore it with `", _restore(entry_id), "`, or pick another id"),
            )
        if self.folder_exists(entry_id):
            raise ConflictError(f"{entry_id!r} is a folder of entries", "pick another id")

    def folder_exists(self, prefix: str) -> bool:
        pending = any(
            path.startswith(f"tree/{prefix}/") and data is not None
            for path, data in self.tx.writes.items()
        )
        return pending or self.session.store.folder_exists(prefix)

    def folder_files(self, folder: str) -> list[str]:
        """Every file under tree/<folder>/ as the transaction would leave it, sorted."""
        prefix = f"tree/{folder}/"
        files = set(self.session.store.files_under(folder))
        for path, data in self.tx.writes.items():
            if path.startswith(prefix):
                (files.add if data is not None else files.discard)(path)
        return sorted(files)

    def _file_exists(self, relpath: str) -> bool:
        if relpath in self.tx.writes:
            return self.tx.writes[relpath] is not None
        return self.session.store.is_file(relpath)

    def target_exists(self, target: str) -> bool:
        """An entry (in the tree or the archive) or a folder of entries is there. A file
        check, not a parse: an import checks thousands of relations."""
        return (
            self._file_exists(entry_relpath(target))
            or self._file_exists(archive_relpath(target))
            or self.folder_exists(target)
        )

    def proposal(self, entry_id: str) -> inbox.Proposal | None:
        """The review inbox item proposing `entry_id`, as this transaction would leave it."""
        relpath = inbox.relpath(entry_id)
        text = self.tx.read(relpath)
        return None if text is None else inbox.parse(text, relpath)

    def require_targets(self, relations: Sequence[Relation], inboxed: bool = False) -> None:
        """Refuse relations to nothing. With `inboxed` (a write held for review), a target
        waiting in the review inbox counts: the two are accepted together."""
        missing = [
            r.target
            for r in relations
            if not self.target_exists(r.target)
            and not (inboxed and self.tx.read(inbox.relpath(r.target)) is not None)
        ]
        if missing:
            raise NotFoundError(
                f"relation target {missing[0]!r} does not exist"
                + (f" (nor {len(missing) - 1} more)" if len(missing) > 1 else ""),
                (
                    "create it first (earlier in the plan), or check the id with `",
                    Call("ls", (), "entries"),
                    "`",
                ),
            )

    def put(self, entry: Entry) -> Entry:
        """Validate `entry` against the version it replaces (`validated`), check the targets
        of relations it adds, and stage its file. Returns what is written (masked with
        `redact`)."""
        current = self.entry(entry.id)
        clean = validated(self.session, entry, current, self.redact)
        added = [r for r in clean.relations if current is None or r not in current.relations]
        self.require_targets(added)
        self.tx.write(entry_relpath(clean.id), frontmatter.serialize(clean))
        return clean

    def routes(self, trust: str | None) -> bool:
        """Whether a write declaring `trust` goes to the review inbox (config
        `review.external: inbox`, and the write declares its content external)."""
        return trust == "external" and self.session.settings.review.external == "inbox"

    def submit(self, entry: Entry, trust: str | None) -> Entry:
        """A write of new content (an add, an update, an edit): `put` it, or when it declares
        `trust` external and the configuration routes such writes, validate it the same way
        (secrets included) and hold it in the review inbox instead. One item per entry id: an
        identical pending proposal is AlreadyDone, a different one is replaced."""
        if not self.routes(trust):
            return self.put(entry)
        current = self.entry(entry.id)
        clean = validated(self.session, entry, current, self.redact)
        added = [r for r in clean.relations if current is None or r not in current.relations]
        self.require_targets(added, inboxed=True)
        base = inbox.digest(self.tx.read(entry_relpath(entry.id))) if current else None
        proposal = inbox.Proposal(
            entry=clean,
            op="add" if current is None else "update",
            proposed_by=self.session.actor,
            proposed_at=self.session.timestamp,
            base=base,
        )
        pending = self.proposal(entry.id)
        if pending is not None and pending.same_as(proposal):
            raise AlreadyDone(f"{entry.id} is already waiting in the review inbox")
        self.tx.write(inbox.relpath(entry.id), inbox.to_text(proposal))
        self.proposed.append(entry.id)
        return clean

    def drop(self, entry_id: str) -> None:
        self.tx.delete(entry_relpath(entry_id))

    def move_file(self, src: str, dst: str) -> None:
        """Move a file byte for byte (archive, restore)."""
        text = self.tx.read(src)
        if text is None:
            raise NotFoundError(f"no file {src}", "")
        self.tx.delete(src)
        self.tx.write(dst, text)

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
            current = self.entry(todo.pop())
            if current is None:
                continue
            for relation in current.relations:
                if relation.type == "supersedes" and relation.target not in seen:
                    seen.add(relation.target)
                    todo.append(relation.target)
        return seen


# ---- the validator ----------------------------------------------------------------------------
def validated(session: Session, entry: Entry, current: Entry | None, redact: bool) -> Entry:
    """The entry as it may be written, or an error naming the first problem. Checks what the
    write changes (everything for a new entry): the id and relation targets (slugs, and not
    token-shaped), kind, trust, maturity, importance, a one-line title, no relation to
    itself, a readable validity window in order, the body's size, no NUL byte, and no
    credential in any text field (masked instead with `redact`, where a field can be)."""

    def changed(name: str) -> bool:
        return current is None or getattr(current, name) != getattr(entry, name)

    if parse_id(entry.id) != entry.id:
        raise InvalidEntryError(f"invalid id {entry.id!r}", "write it as domain/topic/entry")
    if changed("kind"):
        check_choice(entry.kind, KINDS, "kind")
    if changed("trust"):
        check_choice(entry.trust, TRUST_LEVELS, "trust")
    if changed("maturity"):
        check_choice(entry.maturity, MATURITIES, "maturity")
    if changed("importance"):
        check_importance(entry.importance)
    if changed("title") and ("\n" in entry.title or not entry.title.strip()):
        raise InvalidEntryError(
            "the title must be one non-empty line", ("pass ", Param("title", "A title"))
        )
    if changed("relations"):
        for relation in entry.relations:
            check_choice(relation.type, RELATION_TYPES, "relation type")
            if parse_target(relation.target) != relation.target:
                raise InvalidEntryError(f"invalid relation target {relation.target!r}", "")
            if relation.target == entry.id:
                raise UsageError(
                    f"an entry cannot relate to itself ({relation.render()})",
                    "relate it to another entry",
                )
    if changed("valid_from") or changed("valid_until"):
        check_validity(entry.valid_from, entry.valid_until)
    if changed("body"):
        check_text(entry.body, "the body", session.settings.limits.max_entry_bytes)
    return _without_secrets(entry, current, redact)


def check_importance(value: Any) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not 0 <= value <= 100:
        raise InvalidEntryError(f"importance {value!r} is not a number from 0 to 100", "")


_MASKABLE = ("title", "summary", "body")
_LISTS = ("tags", "keywords", "anchors")


def _without_secrets(entry: Entry, current: Entry | None, redact: bool) -> Entry:
    """Refuse (or with `redact` mask) credentials in the fields the write changes. The id,
    relation targets, the author and unknown frontmatter values are refused even with
    `redact`: masking would corrupt a name or a value ctx does not understand. List items
    are judged one by one, so a mask never merges two of them."""

    def changed(name: str) -> bool:
        return current is None or getattr(current, name) != getattr(entry, name)

    if changed("id"):
        refuse_token(entry.id, "the id")
    if changed("author"):
        refuse_token(entry.author, "the author")
    if changed("relations"):
        old = set(current.relations) if current else set()
        for relation in entry.relations:
            if relation not in old:
                refuse_token(relation.target, "a relation target")
    fixed = {"the author": entry.author if changed("author") else ""}
    if changed("extra"):
        fixed["the frontmatter"] = "\n".join(f"{k}: {v}" for k, v in entry.extra)
    guard_secrets(fixed, redact=False)
    changes: dict[str, Any] = {}
    fields = {f"the {name}": getattr(entry, name) for name in _MASKABLE if changed(name)}
    clean = guard_secrets(fields, redact)
    changes.update({k[len("the ") :]: v for k, v in clean.items() if fields[k] != v})
    for name in _LISTS:
        if changed(name):
            items = tuple(guard_secrets({f"the {name}": i}, redact)[f"the {name}"]
                          for i in getattr(entry, name))  # fmt: skip
            if items != getattr(entry, name):
                changes[name] = items
    if changed("sources"):
        sources = tuple(
            replace(s, ref=guard_secrets({"the sources": s.ref}, redact)["the sources"])
            for s in entry.sources
        )
        if sources != entry.sources:
            changes["sources"] = sources
    return replace(entry, **changes) if changes else entry


# ---- one operation, one commit ----------------------------------------------------------------
def run(
    session: Session,
    op: str,
    subject: str,
    action: Callable[[Workspace], object],
    ids: tuple[str, ...],
    *,
    body: str = "",
    sources: Sequence[str] = (),
    dry_run: bool = False,
    redact: bool = False,
) -> WriteResult:
    """Run `action` on a Workspace as one commit (`op: subject`). An action that rewrites
    other entries returns their ids (a list); raising AlreadyDone means nothing to do."""
    try:
        with session.transaction(op, sources, dry_run=dry_run) as tx:
            ws = Workspace(session, tx, redact)
            done = action(ws)
            changed = [str(x) for x in done] if isinstance(done, list) else []
            tx.subject = f"{subject} (held for review)" if ws.proposed else subject
            tx.body = "\n".join(
                x
                for x in (body, f"Relations rewritten in: {', '.join(changed)}" if changed else "")
                if x
            )
    except AlreadyDone as done:
        return WriteResult(op, ids, None, message=done.message)
    return WriteResult(
        op, ids, tx.commit_sha, tuple(changed), diff=dry_diff(tx), inbox=tuple(ws.proposed)
    )
