"""`ctx maintain`: one lifecycle pass as one reviewable commit (SPEC §3).

Usage signals, kept in cache/ so reads never dirty git:
- *returned*: an entry appeared in `ctx search`/`ctx context` output (the index's usage table,
  written by those reads). Reported, never rewarded.
- *used*: an entry was actually read with `ctx show`: one line `time<TAB>id` appended to
  cache/used.log by `service.reads.record_used` (no sqlite, no dataclasses: importing
  this module would cost `ctx show` 6 ms, mostly creating dataclasses).

A pass folds the used lines and the content updates since the last pass into importance
(curation/lifecycle.py has the formulas), applies decay, steps maturity, lists archive
candidates (archives them with `apply_archive`), regenerates missing or stale `_index.md`
summaries, and commits it all once (`Ctx-Op: maintain`). Only after that commit lands are
the folded counters reset, so a failed commit or a dry run loses no usage. Writing importance
or maturity leaves `updated` alone (it means the content changed) and the body untouched.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctxtree.config import LifecycleConfig
from ctxtree.curation import lifecycle
from ctxtree.curation.lifecycle import DAY, Change
from ctxtree.service.session import Session
from ctxtree.tree.model import Entry
from ctxtree.tree.paths import entry_relpath
from ctxtree.tree.validity import iso
from ctxtree.wording import plural

if TYPE_CHECKING:
    from ctxtree.retrieval.index import Doc

USED_LOG = "cache/used.log"  # the same path as in service/reads.py
FOLD_LOCK = "cache/usage.lock"
OP = "maintain"


# ---- the used signal (appended by service/reads.record_used) -------------------------------
@dataclass(frozen=True)
class UsedLog:
    """What cache/used.log held when a pass read it: its first `size` bytes."""

    size: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)
    last: Mapping[str, str] = field(default_factory=dict)


def _read_used(root: Path) -> UsedLog:
    try:
        data = (root / USED_LOG).read_bytes()
    except FileNotFoundError:
        return UsedLog()
    size = data.rfind(b"\n") + 1  # a line still being appended is left for the next pass
    counts: dict[str, int] = {}
    last: dict[str, str] = {}
    for line in data[:size].decode("utf-8", "replace").splitlines():
        when, sep, entry_id = line.partition("\t")
        if sep and entry_id:
            counts[entry_id] = counts.get(entry_id, 0) + 1
            last[entry_id] = max(last.get(entry_id, ""), when)
    return UsedLog(size, counts, last)


def _consume(root: Path, size: int, keep: set[str]) -> None:
    """Drop the first `size` bytes of the log (folded by a committed pass), except the lines of
    `keep` (entries the pass skipped). Lines appended meanwhile stay."""
    _rewrite_log(root, lambda data: _lines(data[:size], lambda i: i in keep) + data[size:])


def forget_used(root: Path, ids: set[str]) -> None:
    """Drop the used lines of `ids` (a purge: no trace of them may stay in cache/)."""
    _rewrite_log(root, lambda data: _lines(data, lambda i: i not in ids))


def _lines(data: bytes, wanted: Callable[[str], bool]) -> bytes:
    """The `time\tid` lines of `data` whose id is `wanted`."""
    return b"".join(
        line
        for line in data.splitlines(keepends=True)
        if wanted(line.rstrip(b"\n").partition(b"\t")[2].decode("utf-8", "replace"))
    )


def _rewrite_log(root: Path, change: Callable[[bytes], bytes]) -> None:
    """Replace the used log's bytes by `change(bytes)`, under its lock (appends wait)."""
    try:
        fd = os.open(root / USED_LOG, os.O_RDWR)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(os.dup(fd), "r+b") as handle:
            data = handle.read()
            new = change(data)
            if new != data:
                handle.seek(0)
                handle.write(new)
                handle.truncate()
    finally:
        os.close(fd)


# ---- the pass ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    id: str
    importance: float
    reason: str
    archived: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "importance": self.importance,
            "reason": self.reason,
            "archived": self.archived,
        }


@dataclass(frozen=True)
class MaintainReport:
    checked: int
    changes: tuple[Change, ...]  # entries whose importance or maturity changed, by id
    candidates: tuple[Candidate, ...]  # by (importance, id)
    indexes: tuple[tuple[str, str], ...]  # (relpath, "missing" | "stale" | "removed")
    skipped: tuple[tuple[str, str], ...]  # (id, why)
    since: str | None  # the previous maintain commit
    decayed_to: str  # the decay clock after this pass
    commit: str | None = None
    diff: str | None = None  # set on a dry run

    def steps(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.step == kind]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "checked": self.checked,
            "since": self.since,
            "decayed_to": self.decayed_to,
            "changes": [c.to_json() for c in self.changes],
            "promoted": [c.id for c in self.steps("promoted")],
            "demoted": [c.id for c in self.steps("demoted")],
            "archive_candidates": [c.to_json() for c in self.candidates],
            "indexes": [{"path": p, "reason": r} for p, r in self.indexes],
            "skipped": [{"id": i, "reason": r} for i, r in self.skipped],
            "commit": self.commit,
        }
        if self.diff is not None:
            data["dry_run"] = True
            data["diff"] = self.diff
        return data


def moment(text: str | None) -> datetime | None:
    """An ISO 8601 time (a bare date counts as midnight UTC), None when absent or unreadable."""
    from datetime import UTC

    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def history(
    commits: list[tuple[str, str, list[tuple[str, str]]]],
) -> tuple[dict[str, int], dict[str, str]]:
    """From the commits since the last pass (newest first): content updates per entry id
    (modifications, status M, of tree/ entry files by commits that are not maintain passes;
    creation is not an update) and when each entry arrived at its path (its newest add: a new
    entry, a move, an import, a restore)."""
    from ctxtree.tree.paths import id_from_relpath

    updates: dict[str, int] = {}
    arrived: dict[str, str] = {}
    for op, when, files in commits:
        for status, path in files:
            entry_id = id_from_relpath(path)
            if entry_id is None or not path.startswith("tree/"):
                continue
            if status == "A":
                arrived.setdefault(entry_id, when)
            elif status == "M" and op != OP:
                updates[entry_id] = updates.get(entry_id, 0) + 1
    return updates, arrived


def _since(*times: str | None) -> datetime | None:
    """The latest of these ISO times that parse."""
    found = [t for t in (moment(x) for x in times) if t is not None]
    return max(found) if found else None


def _subject(report: MaintainReport, archived: int) -> str:
    parts = [
        f"{len(report.changes)} changed",
        f"{len(report.steps('promoted'))} promoted",
        f"{len(report.steps('demoted'))} demoted",
    ]
    if archived:
        parts.append(f"{archived} archived")
    if report.indexes:
        parts.append(plural(len(report.indexes), "summary", "summaries"))
    return "lifecycle pass: " + ", ".join(parts)


def _body(report: MaintainReport) -> str:
    decayed = sum(1 for c in report.changes if c.used == 0 and c.updates == 0)
    lines = [
        f"Checked {plural(report.checked, 'entry')}; decay through {report.decayed_to}.",
        f"Changed {len(report.changes)} ({decayed} by decay alone), promoted "
        f"{len(report.steps('promoted'))}, demoted {len(report.steps('demoted'))}.",
        f"Archive candidates {len(report.candidates)}, archived "
        f"{sum(1 for c in report.candidates if c.archived)}; summaries written "
        f"{len(report.indexes)}.",
    ]
    for change in report.changes:
        if change.step:
            old, new = change.old_maturity, change.new_maturity
            lines.append(f"{change.step} {change.id}: {old} -> {new}")
    lines += [f"archived {c.id}: {c.reason}" for c in report.candidates if c.archived]
    return "\n".join(lines)


@dataclass(frozen=True)
class Signals:
    """Everything a pass reads besides the entries: git history since the last pass, the
    usage counters, relation targets, the decay period and files with uncommitted edits."""

    since: str | None  # the last maintain commit
    last_pass: datetime | None  # its time
    start: datetime | None  # the decay period (lifecycle.decay_clock)
    end: datetime
    updates: Mapping[str, int]
    arrived: Mapping[str, str]
    used: UsedLog
    usage: Mapping[str, tuple[int, str | None]]  # (returned, last used) from the index
    targets: frozenset[str]
    dirty: frozenset[str]


def _gather(session: Session, repo: Any) -> tuple[list[Entry], Signals]:
    """The entries of tree/ as the index has them (refreshed from the files first: no YAML is
    parsed for an unchanged file) and the signals."""
    from ctxtree.retrieval.index import Index

    passes = repo.history.op_times(OP)
    since = passes[0][0] if passes else None
    updates, arrived = history(repo.history.changes_since(since, "tree"))
    times = [t for t in (moment(when) for _sha, when in reversed(passes)) if t]
    start, end = lifecycle.decay_clock(times, session.now)
    index = Index.open(session.store)
    try:
        entries = [_entry(d) for d in index.current_docs()]
        usage, targets = index.usage.counts(), frozenset(index.link_targets())
    finally:
        index.close()
    dirty = frozenset(path for _status, path in repo.dirty_paths())
    used = _read_used(session.store.root)
    last_pass = times[-1] if times else None
    return entries, Signals(
        since, last_pass, start, end, updates, arrived, used, usage, targets, dirty
    )


def _entry(d: Doc) -> Entry:
    """What a pass needs of an entry, from its index row."""
    return Entry(d.id, d.title, summary=d.summary, importance=d.importance, maturity=d.maturity,
                 created=d.created, updated=d.updated)  # fmt: skip


def _assess(entry: Entry, sig: Signals, s: LifecycleConfig) -> Change:
    returned, _last = sig.usage.get(entry.id, (0, None))
    # Decay starts when the entry entered this store, not at an older `created` kept by an
    # import: before that, its use could not be observed.
    entered = _since(entry.created, sig.arrived.get(entry.id)) or moment(entry.updated)
    # A commit counts as an update only if the content changed since the last pass, as the
    # entry's `updated` says: `ctx undo` of a pass rewrites every entry it touched, no content.
    changed = sig.last_pass is None or (_since(entry.updated) or sig.last_pass) >= sig.last_pass
    return lifecycle.assess(
        entry.id, entry.importance, entry.maturity,
        used=sig.used.counts.get(entry.id, 0),
        updates=sig.updates.get(entry.id, 0) if changed else 0,
        days=lifecycle.decay_days(entered, sig.start, sig.end), s=s, returned=returned,
    )  # fmt: skip


def _rewritten(
    session: Session, entry: Entry, change: Change, sig: Signals, s: LifecycleConfig
) -> tuple[str | None, Change, bool]:
    """The entry file with its new importance and maturity (None: nothing to write), the
    change that made it, and whether only those two lines changed: so they do when they are
    plain `key: value` lines holding what the index says; otherwise the file is parsed (the
    index may have been behind it) and re-serialized."""
    from ctxtree.tree import frontmatter

    relpath = entry_relpath(entry.id)
    text = session.store.read_text(relpath)
    new = {"importance": str(change.new_importance), "maturity": change.new_maturity}
    patched = frontmatter.with_scalars(text, new)
    if patched is not None:
        out, old = patched
        try:
            if float(old["importance"]) == entry.importance and old["maturity"] == entry.maturity:
                return out, change, True
        except ValueError:
            pass
    parsed = frontmatter.parse(text, entry.id, relpath)  # the index was behind the file
    change = _assess(parsed, sig, s)
    if not change.changed:
        return None, change, False
    result = replace(parsed, importance=change.new_importance, maturity=change.new_maturity)
    return frontmatter.serialize(result), change, False


def _stamps(
    session: Session, texts: Mapping[str, str], changes: Mapping[str, Change]
) -> list[tuple[str, int, int, float, str]]:
    """Index rows for the files a pass wrote, where they still hold what it wrote (another
    writer may have come since: that file is left to the index's own refresh)."""
    rows = []
    for entry_id, text in texts.items():
        path = session.store.path(entry_relpath(entry_id))
        try:
            before = path.stat()
            same = path.read_bytes() == text.encode("utf-8")
            after = path.stat()
        except OSError:
            continue
        if same and (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size):
            change = changes[entry_id]
            rows.append((entry_relpath(entry_id), after.st_mtime_ns, after.st_size,
                         change.new_importance, change.new_maturity))  # fmt: skip
    return rows


def _candidates(
    session: Session, repo: Any, entries: list[Entry], changes: Mapping[str, Change],
    sig: Signals, s: LifecycleConfig,
) -> list[tuple[str, float, str]]:  # fmt: skip
    """(id, importance, reason) of the archive candidates. Idle time runs from the latest of
    the entry's `updated`, its arrival at its path and its last use; arrivals older than the
    last pass are looked up only for entries that meet every other condition."""

    def eligible(e: Entry) -> bool:
        importance, idle = changes[e.id].new_importance, s.archive_idle_days
        return lifecycle.archive_reason(importance, e.maturity, idle, e.id in sig.targets, s) \
            is not None  # fmt: skip

    maybe = [e for e in entries if e.id in changes and eligible(e)]
    unknown = [entry_relpath(e.id) for e in maybe if e.id not in sig.arrived]
    arrived = {
        p[len("tree/") : -len(".md")]: t for p, t in repo.history.added_times(unknown).items()
    }
    arrived.update(sig.arrived)
    found = []
    for entry in maybe:
        active = _since(
            entry.updated or entry.created,
            arrived.get(entry.id),
            sig.usage.get(entry.id, (0, None))[1],
            sig.used.last.get(entry.id),
        )
        idle = (session.now - active) / DAY if active else 0.0
        importance = changes[entry.id].new_importance
        reason = lifecycle.archive_reason(importance, entry.maturity, idle, False, s)
        if reason is not None:
            found.append((entry.id, importance, reason))
    return found


def maintain(
    session: Session, *, apply_archive: bool = False, dry_run: bool = False
) -> MaintainReport:
    """One lifecycle pass over every entry in tree/, committed once (see the module doc)."""
    from ctxtree.curation.summaries import plan_indexes
    from ctxtree.errors import CtxError
    from ctxtree.retrieval.index import Index
    from ctxtree.service.lint import existing_indexes
    from ctxtree.tree.git import GitRepo
    from ctxtree.tree.lock import write_lock

    store = session.store
    s = session.settings.lifecycle
    (store.root / "cache").mkdir(exist_ok=True)
    # Two passes at once must not fold the same used lines twice: the fold lock spans the
    # commit and the reset that follows it (the store's write lock ends with the commit).
    with write_lock(store.root / FOLD_LOCK, session.lock_timeout()):
        with session.transaction(OP, dry_run=dry_run) as tx:
            repo = GitRepo(store.root)
            entries, sig = _gather(session, repo)
            held = {e.id for e in entries if entry_relpath(e.id) in sig.dirty}
            skipped = [(i, "uncommitted changes: run `ctx commit` first") for i in sorted(held)]
            current = [e for e in entries if e.id not in held]
            changes = {e.id: _assess(e, sig, s) for e in current}
            texts: dict[str, str] = {}
            exact: set[str] = set()  # files whose lifecycle lines alone changed
            for entry in current:
                if not changes[entry.id].changed:
                    continue
                try:
                    text, changes[entry.id], alone = _rewritten(
                        session, entry, changes[entry.id], sig, s
                    )
                except CtxError as exc:  # gone or broken since the index saw it
                    skipped.append((entry.id, exc.message))
                    held.add(entry.id)
                    continue
                if text is not None:
                    texts[entry.id] = text
                    tx.write(entry_relpath(entry.id), text)
                if alone:
                    exact.add(entry.id)
            current = [e for e in current if e.id not in held]
            candidates = []
            for entry_id, importance, reason in _candidates(
                session, repo, current, changes, sig, s
            ):
                target = f"archive/{entry_id}.md"
                move = apply_archive and not store.path(target).exists()
                if apply_archive and not move:
                    skipped.append((entry_id, f"not archived: {target} exists"))
                if move:
                    relpath = entry_relpath(entry_id)
                    text = texts.get(entry_id) or store.read_text(relpath)
                    tx.delete(relpath)
                    tx.write(target, text)
                candidates.append(Candidate(entry_id, importance, reason, move))
            archived = {c.id for c in candidates if c.archived}
            folders = [f[len("tree/") :] for f in store.folder_stamps() if f.startswith("tree/")]
            plan = plan_indexes(
                [e for e in entries if e.id not in archived],
                existing_indexes(store, folders),
                only_existing=False,
            )
            for update in plan:
                if update.text:
                    tx.write(update.relpath, update.text)
                else:
                    tx.delete(update.relpath)
            report = MaintainReport(
                checked=len(entries),
                changes=tuple(c for i, c in sorted(changes.items()) if c.changed and i in texts),
                candidates=tuple(sorted(candidates, key=lambda c: (c.importance, c.id))),
                indexes=tuple((u.relpath, u.reason) for u in plan),
                skipped=tuple(sorted(skipped)),
                since=sig.since,
                decayed_to=iso(sig.end),
            )
            tx.subject = _subject(report, len(archived))
            tx.body = _body(report)
        if dry_run:
            return replace(report, diff=tx.diff)
        if tx.commit_sha is not None:
            _consume(store.root, sig.used.size, held)
            index = Index.open(store, refresh=False)
            try:
                returned = {i: n for i, (n, _last) in sig.usage.items() if n}
                index.usage.fold(returned, dict(sig.used.last))
                kept = {i: texts[i] for i in exact - archived}
                index.restamp(_stamps(session, kept, changes))
            finally:
                index.close()
    return replace(report, commit=tx.commit_sha)
