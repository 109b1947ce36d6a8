"""History use cases: log, diff, undo. Everything here reads or writes the store's git."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ctxtree.errors import ConflictError, NotFoundError, UsageError
from ctxtree.service.session import Session
from ctxtree.tree.git import GitRepo, commit_message
from ctxtree.tree.history import Commit
from ctxtree.tree.paths import entry_relpath, parse_id


def log(session: Session, raw_id: str | None, limit: int) -> list[Commit]:
    if limit < 1:
        raise UsageError("-n must be at least 1", "")
    repo = GitRepo(session.store.root)
    paths: list[str] = []
    if raw_id:
        entry_id = parse_id(raw_id)
        paths = [entry_relpath(entry_id), f"archive/{entry_id}.md"]
    return repo.history.log(paths, limit)


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


def undo(session: Session, count: int, dry_run: bool = False) -> UndoResult:
    """Revert the last `count` ctx commits as one new commit.

    Refuses when a file those commits touched has uncommitted edits, or when later commits
    changed the same lines (git's revert would conflict): nothing is clobbered. With
    `dry_run` the revert is applied to the index and files, its diff taken, and abandoned.
    """
    if count < 1:
        raise UsageError("N must be at least 1", "")
    with session.transaction("undo", dry_run=dry_run) as tx:
        repo = tx.repo
        history = [
            c for c in repo.history.log(limit=max(200, count * 4)) if c.op and c.op != "init"
        ]
        if not history:
            raise NotFoundError("nothing to undo: the store has no ctx commits yet", "")
        if len(history) < count:
            raise NotFoundError(
                f"only {len(history)} ctx commit(s) to undo, not {count}",
                f"run `ctx undo {len(history)}`",
            )
        targets = history[:count]
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
                f"nothing to undo: the last {count} commit(s) cancel each other out", ""
            )
        if dry_run:
            preview = repo.staged_diff()
            tx.settle(failed=True)  # put files and index back: a dry run changes nothing
            return UndoResult(targets, None, preview)
        subjects = "\n".join(f"Reverts {c.sha[:10]} {c.subject}" for c in targets)
        message = commit_message(
            "undo", f"{count} commit(s)", session.actor, [f"commit:{targets[0].sha[:10]}"], subjects
        )
        sha = repo.commit_index(message, date=session.timestamp)
        repo.finish_revert()
    return UndoResult(targets, sha)
