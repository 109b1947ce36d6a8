"""History use cases: log, diff, undo. Everything here reads or writes the store's git."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ctxtree.errors import ConflictError, NotFoundError, UsageError
from ctxtree.service.session import Session
from ctxtree.tree.git import GitRepo, commit_message
from ctxtree.tree.history import Commit
from ctxtree.tree.paths import entry_relpath, parse_id
from ctxtree.tree.suggestions import missing_entry
from ctxtree.wording import plural


def log(session: Session, raw_id: str | None, limit: int) -> list[Commit]:
    """The newest `limit` commits (touching entry `raw_id`: its file in the tree or the
    archive, also after it was removed). An id no commit ever touched and no file holds is
    not in memory: NotFoundError with a "did you mean", never an empty answer that looks like
    an entry without history."""
    if limit < 1:
        raise UsageError("-n must be at least 1", "")
    repo = GitRepo(session.store.root)
    if not raw_id:
        return repo.history.log([], limit)
    entry_id = parse_id(raw_id)
    paths = [entry_relpath(entry_id), f"archive/{entry_id}.md"]
    commits = repo.history.log(paths, limit)
    store = session.store
    if not commits and not any(store.is_file(p) for p in paths):
        message = f"{entry_id!r} is not in memory: no entry has that id, now or in the history"
        raise missing_entry(store, entry_id, message)
    return commits


@dataclass(frozen=True)
class Diff:
    rev: str
    text: str
    files: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"rev": self.rev, "files": self.files, "diff": self.text}


def diff(session: Session, rev: str | None) -> Diff:
    """Like `git diff [REV]`: with no REV, the changes not yet committed."""
    if rev is not None and (rev.startswith("-") or not rev.strip()):
        raise UsageError(f"bad revision {rev!r}", "e.g. HEAD~1, or a sha from `ctx log`")
    repo = GitRepo(session.store.root)
    text = repo.diff(rev)
    files = [line[len("+++ b/") :] for line in text.splitlines() if line.startswith("+++ b/")]
    files += [
        line[len("--- a/") :]
        for line in text.splitlines()
        if line.startswith("--- a/") and line[len("--- a/") :] not in files
    ]
    return Diff(rev or "HEAD", text, sorted(set(files)))


@dataclass(frozen=True)
class UndoResult:
    undone: list[Commit]
    commit: str | None
    diff: str | None = None  # on a dry run: what the revert would change

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "undone": [c.to_json() for c in self.undone],
            "commit": self.commit,
        }
        if self.diff is not None:
            data["dry_run"] = True
            data["diff"] = self.diff
        return data


UNDO_WINDOW = 2000  # commits read to find what is left to undo


def _reverted(undo: Commit, ctx_history: list[Commit]) -> list[str]:
    """Shas (or 10-character prefixes) of the commits an undo commit reverted: its
    `Ctx-Source: commit:SHA` trailers, one per commit. Undo commits written before that
    named only the newest of their N commits (subject "undo: N commit(s)"): the N-1 ctx
    commits below it are taken to be the rest."""
    refs = [v[len("commit:") :] for k, v in undo.trailers if k == "Ctx-Source"
            and v.startswith("commit:")]  # fmt: skip
    count = re.match(r"undo: (\d+) commit", undo.subject)
    if len(refs) == 1 and count and int(count.group(1)) > 1:
        shas = [c.sha for c in ctx_history]
        start = next((i for i, sha in enumerate(shas) if sha.startswith(refs[0])), None)
        if start is not None:
            refs = shas[start : start + int(count.group(1))]
    return refs


def undoable(history: list[Commit]) -> list[Commit]:
    """The ctx commits `ctx undo` can still take back, newest first: not `init`, not an
    undo itself, and not reverted by a later undo. So repeated undos walk back through
    history instead of undoing the undo (there is no redo: `ctx undo` of an undo is not
    offered; `git revert` in the store does it by hand)."""
    ctx_history = [c for c in history if c.op and c.op != "init"]
    undone = [ref for c in ctx_history if c.op == "undo" for ref in _reverted(c, ctx_history)]
    return [
        c
        for c in ctx_history
        if c.op != "undo" and not any(c.sha.startswith(ref) for ref in undone)
    ]


def undo(session: Session, count: int, dry_run: bool = False) -> UndoResult:
    """Revert the newest `count` ctx commits not undone yet (see `undoable`) as one new
    commit that names each of them (`Ctx-Source: commit:SHA`).

    Refuses when a file those commits touched has uncommitted edits, or when later commits
    changed the same lines (git's revert would conflict): nothing is clobbered. With
    `dry_run` the revert is applied to the index and files, its diff taken, and abandoned.
    """
    if count < 1:
        raise UsageError("N must be at least 1", "")
    with session.transaction("undo", dry_run=dry_run) as tx:
        repo = tx.repo
        history = repo.history.log(limit=max(UNDO_WINDOW, count * 4))
        left = undoable(history)
        if not left:
            done = any(c.op == "undo" for c in history)
            raise NotFoundError(
                "nothing to undo: "
                + ("every ctx commit is undone already" if done else "no ctx commits yet"),
                "see `ctx log`" if done else "",
            )
        if len(left) < count:
            raise NotFoundError(
                f"only {plural(len(left), 'ctx commit')} left to undo, not {count}",
                f"run `ctx undo {len(left)}`",
            )
        targets = left[:count]
        touched = {p for c in targets for p in repo.history.changed_paths(c.sha)}
        dirty = sorted(p for _s, p in repo.dirty_paths() if p in touched)
        if dirty:
            raise ConflictError(
                f"undo would clobber uncommitted edits in {', '.join(dirty[:3])}",
                "commit them first with `ctx commit`, or discard them",
            )
        # git's revert changes files and index itself: journal them first, so a crash
        # (or a conflict) leaves them exactly as they were.
        tx.expect(sorted(touched))
        repo.revert([c.sha for c in targets])
        if not repo.staged_changes():
            raise NotFoundError(
                f"nothing to undo: the last {plural(count, 'commit')} change nothing together",
                "",
            )
        if dry_run:
            preview = repo.staged_diff()
            tx.settle(failed=True)  # put files and index back: a dry run changes nothing
            return UndoResult(targets, None, preview)
        subjects = "\n".join(f"Reverts {c.sha[:10]} {c.subject}" for c in targets)
        message = commit_message(
            "undo",
            targets[0].subject if count == 1 else plural(count, "commit"),
            session.actor,
            [f"commit:{c.sha[:10]}" for c in targets],
            subjects,
        )
        sha = repo.commit_index(message, date=session.timestamp)
        repo.finish_revert()
    return UndoResult(targets, sha)
