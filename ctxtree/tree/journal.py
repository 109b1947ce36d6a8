"""The write journal: a write that a crash interrupts is finished or undone by the next command.

A transaction (tree/transaction.py), holding the store's write lock:
1. records its intent in `.git/ctx-journal.json`, written atomically and fsynced before any
   file changes: the op, HEAD before the write, and every path it will touch with the exact
   bytes that path held (null when absent);
2. writes the files, then commits them as one git commit;
3. deletes the record.

`recover` runs under the same lock. The writer that left the record is gone, and so is every
git process it started, because they inherit the lock (tree/git.py). Then:
- HEAD has moved past the recorded base: the commit landed, and every file was written before
  it started. The write is *finished*: index entries reset to HEAD, any file that differs
  from HEAD rewritten from it.
- HEAD is still the base: the write is *undone*: every path gets its recorded bytes back
  (created files deleted, emptied folders pruned), index entries reset to HEAD, an interrupted
  revert's sequencer state dropped.
Then stray temp files are swept, a stale `index.lock` no live git process owns is removed, the
record is deleted and the recovery is logged (`.git/ctx-recovered.jsonl`, read by
`ctx status` and `ctx doctor`). Either way the working files and git hold exactly the state
before or after the write, with nothing left uncommitted.

`forget --purge` journals its history rewrite too (op PURGE, no files): after a crash the index
is pointed at HEAD, and a rewrite whose refs had moved gets its old objects deleted.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ctxtree.errors import StoreError
from ctxtree.tree.gitlocks import clear_stale_locks
from ctxtree.tree.store import JOURNAL, JOURNAL_TMP
from ctxtree.wording import plural

PURGE = "forget --purge"  # a history rewrite: no file changes, the refs and the index do
RECOVERED_LOG = ".git/ctx-recovered.jsonl"
LOG_KEEP = 50


@dataclass(frozen=True)
class Intent:
    """What one write is about to do: enough to undo it byte for byte."""

    op: str
    base: str | None  # HEAD before the write (None: no commit yet)
    pid: int
    started: str
    before: Mapping[str, bytes | None]  # relpath -> bytes it held (None: absent)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "op": self.op,
            "base": self.base,
            "pid": self.pid,
            "started": self.started,
            "before": {
                path: None if data is None else base64.b64encode(data).decode("ascii")
                for path, data in sorted(self.before.items())
            },
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Intent:
        before = data["before"]
        if not isinstance(before, dict):
            raise ValueError("before is not a mapping")
        return Intent(
            op=str(data["op"]),
            base=None if data["base"] is None else str(data["base"]),
            pid=int(data["pid"]),
            started=str(data["started"]),
            before={
                str(path): None if text is None else base64.b64decode(text, validate=True)
                for path, text in before.items()
            },
        )


@dataclass(frozen=True)
class Recovery:
    """What `recover` did about an interrupted write."""

    op: str
    outcome: str  # "undone" | "finished" | "unreadable"
    started: str
    pid: int
    paths: tuple[str, ...]
    swept: tuple[str, ...]  # temp files and stale git locks removed
    at: str

    def describe(self) -> str:
        what = {
            "undone": "undone: every file it touched is back as it was",
            "finished": "finished: its commit had landed; the files now match it",
            "unreadable": "its journal was unreadable and is kept as .git/ctx-journal.bad",
        }[self.outcome]
        return (
            f"recovered an interrupted `{self.op}` (pid {self.pid}, started {self.started}, "
            f"{plural(len(self.paths), 'file')}): {what}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "outcome": self.outcome,
            "started": self.started,
            "pid": self.pid,
            "files": len(self.paths),
            "paths": list(self.paths[:20]),  # a sample: a plan may touch thousands
            "swept": list(self.swept[:20]),
            "at": self.at,
        }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_intent(op: str, base: str | None, before: Mapping[str, bytes | None]) -> Intent:
    return Intent(op=op, base=base, pid=os.getpid(), started=_now(), before=dict(before))


def writer_alive(root: Path) -> bool:
    """Whether the process that wrote the pending journal still runs (a zombie does not).
    Reads only the record's head: the pid comes before the backups."""
    import re

    head = b""
    for name in (JOURNAL, JOURNAL_TMP):
        try:
            with open(root / name, "rb") as handle:
                head = handle.read(512)
            break
        except FileNotFoundError:
            continue
    found = re.search(rb'"pid"\s*:\s*(\d+)', head)
    if found is None:
        return False
    pid = int(found.group(1))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def begin(root: Path, intent: Intent) -> None:
    """Record the intent durably before anything it names changes: written to a fixed temp
    name, fsynced, renamed, the folder fsynced. A writer killed before the rename has changed
    nothing yet; recovery just deletes the temp file."""
    from ctxtree.tree.store import fsync_dir

    payload = json.dumps(intent.to_json(), separators=(",", ":")).encode("utf-8")
    try:
        fd = os.open(root / JOURNAL_TMP, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(root / JOURNAL_TMP, root / JOURNAL)
        fsync_dir(root / ".git")
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(root / JOURNAL_TMP)
        raise StoreError(
            f"cannot record the write in {root / JOURNAL}: {exc.strerror}",
            "check that the store's .git directory is writable and the disk is not full",
        ) from None


def end(root: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(root / JOURNAL)


def load(root: Path) -> Intent | None:
    """The pending record; raises ValueError when it exists but cannot be read."""
    try:
        raw = (root / JOURNAL).read_bytes()
    except FileNotFoundError:
        return None
    try:
        return Intent.from_json(json.loads(raw))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(str(exc)) from None


def recover(
    root: Path, repo: Any, intent: Intent | None = None, log: bool = True
) -> Recovery | None:
    """Finish or undo the write recorded in the journal (see the module doc). The caller
    holds the write lock. `intent` is given by a writer repairing its own failed write."""
    from ctxtree.tree import store as files

    if intent is None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(root / JOURNAL_TMP)  # a record never finished: nothing was touched
        try:
            intent = load(root)
        except ValueError:
            return _quarantine(root)
        if intent is None:
            return None
    swept = list(clear_stale_locks(root))
    paths = sorted(intent.before)
    head = repo.current_head()
    landed = head is not None and head != intent.base
    if intent.op == PURGE:
        # fast-import moved the refs (landed) or did not; either way the index follows HEAD,
        # and a landed rewrite still owes the removal of the old objects.
        repo.reset_index()
        if landed:
            repo.rewrite.drop_old_history()
    if landed:
        repo.reset_paths(paths)
        present = repo.paths_in_head(paths)
        for relpath in paths:
            if relpath not in present:
                files.remove_file(root, relpath)
        differing = [p for p in repo.changed_against_head(paths) if p in present]
        repo.checkout_paths(differing)
        outcome = "finished"
    else:
        for relpath in paths:
            data = intent.before[relpath]
            if data is None:
                files.remove_file(root, relpath)
            elif files.read_bytes_or_none(root, relpath) != data:
                files.atomic_write(root / relpath, data)
        if head is not None:
            repo.reset_paths(paths)
        outcome = "undone"
    if repo.sequencer_busy():
        repo.finish_revert()  # an interrupted `ctx undo`: git's revert state goes too
    swept += files.sweep_temp_files(root, {p.rsplit("/", 1)[0] for p in paths if "/" in p})
    end(root)
    done = Recovery(
        op=intent.op,
        outcome=outcome,
        started=intent.started,
        pid=intent.pid,
        paths=tuple(paths),
        swept=tuple(swept),
        at=_now(),
    )
    if log:
        _log(root, done)
    return done


def _quarantine(root: Path) -> Recovery:
    """A record that cannot be parsed (a torn write after a power cut): keep it for a human,
    and say so, instead of guessing which files to touch."""
    bad = root / ".git" / "ctx-journal.bad"
    os.replace(root / JOURNAL, bad)
    done = Recovery("unknown", "unreadable", "", 0, (), (), _now())
    _log(root, done)
    return done


def _log(root: Path, done: Recovery) -> None:
    path = root / RECOVERED_LOG
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[-(LOG_KEEP - 1) :]
    except (OSError, UnicodeDecodeError):
        lines = []
    lines.append(json.dumps(done.to_json(), separators=(",", ":")))
    from ctxtree.tree.store import atomic_write

    with contextlib.suppress(OSError):  # the log informs; the recovery itself is done
        atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"))


def recoveries(root: Path) -> list[dict[str, Any]]:
    """The logged recoveries, oldest first."""
    try:
        lines = (root / RECOVERED_LOG).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    out = []
    for line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out
