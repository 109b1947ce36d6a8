"""`ctx doctor`: explain and repair what a crash, a killed git or a hand edit left in a store.

Every command already finishes or undoes an interrupted write before it starts (tree/journal.py);
doctor shows what was recovered, checks for the rest and repairs what is safe to repair:

- interrupted-write (error): a write's journal, its writer gone. Repair: finish or undo it.
- unreadable-journal (error): a journal that could not be parsed, kept aside. Inspect by hand.
- stale-git-lock (error): a git lock file no live git process owns. Repair: delete it.
- temp-file (warning): a temp file a killed writer left. Repair: delete it.
- staged-changes (warning): staged in git's index, not committed. Repair: unstage (files kept).
- git-operation (warning): a merge, revert, cherry-pick or rebase under way. Finish it with git.
- symlink (error): a symbolic link inside the store, never followed. Replace it by hand.
- uncommitted (info): files changed outside ctx. Review with `ctx diff`, then `ctx commit`.
- merge-driver (warning): the store's `.gitattributes` or git config does not send entries
  through `ctx merge-driver` (a store made before it existed, or a plain `git clone`).
  Repair: set the git config; add the lines to `.gitattributes` in one commit.
- git-fsck (error, with --fsck): what `git fsck` reports. Inspect by hand.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

from ctxtree.service.session import Session
from ctxtree.tree import journal
from ctxtree.tree.gitlocks import clear_stale_locks, lock_files
from ctxtree.tree.store import JOURNAL, journal_pending, temp_files
from ctxtree.wording import plural

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the store that doctor found (and, with --repair, maybe fixed)."""

    code: str
    severity: str
    subject: str
    message: str
    fix: str
    repaired: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "fix": self.fix,
            "repaired": self.repaired,
        }

    def line(self) -> str:
        state = "repaired" if self.repaired else self.severity
        return f"{self.code:<19} {state:<8} {self.subject}: {self.message} ({self.fix})"


@dataclass(frozen=True)
class DoctorReport:
    findings: list[Problem]
    recovered: list[dict[str, Any]] = field(default_factory=list)
    repair: bool = True

    @property
    def remaining(self) -> list[Problem]:
        return [f for f in self.findings if not f.repaired and f.severity != "info"]

    @property
    def healthy(self) -> bool:
        return not any(f.severity == "error" for f in self.remaining)

    def to_json(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "repair": self.repair,
            "findings": [f.to_json() for f in self.findings],
            "recovered": self.recovered,
        }


def doctor(session: Session, repair: bool = True, fsck: bool = False) -> DoctorReport:
    """Check the store for what a crash or hand edit left; with `repair`, fix what is safe
    (under the write lock, so no live writer is disturbed)."""
    from ctxtree.tree.git import GitRepo
    from ctxtree.tree.lock import write_lock

    root = session.store.root
    GitRepo(root)  # a missing or corrupt repository is reported as such, first
    with write_lock(root / ".git" / "ctx.lock", session.lock_timeout()) as lock_fd:
        repo = GitRepo(root, lock_fd=lock_fd)
        findings = _interrupted(root, repo, repair)
        findings += _git_locks(root, repo, repair)
        findings += _temp_files(root, repair)
        findings += _git_state(repo, repair)
        findings += _symlinks(session.store)
        findings += _pre_commit_hook(root, repair)
        findings += _merge_driver(root, repo, repair, session.actor)
        if fsck:
            findings += _fsck(repo)
    return DoctorReport(findings, journal.recoveries(root), repair)


def _interrupted(root: Any, repo: Any, repair: bool) -> list[Problem]:
    found = []
    bad = root / ".git" / "ctx-journal.bad"
    if journal_pending(root):
        try:
            intent = journal.load(root)
            what = (
                f"`{intent.op}` (pid {intent.pid}, started {intent.started}) was interrupted "
                f"while changing {plural(len(intent.before), 'file')}"
                if intent
                else "a write was interrupted"
            )
        except ValueError:
            what = "a write was interrupted and its journal cannot be read"
        done = journal.recover(root, repo) if repair else None
        found.append(
            Problem(
                "interrupted-write",
                "error",
                JOURNAL,
                what,
                done.describe() if done else "finish or undo it from its journal",
                repaired=done is not None and done.outcome != "unreadable",
            )
        )
    if bad.exists():
        found.append(
            Problem(
                "unreadable-journal",
                "error",
                ".git/ctx-journal.bad",
                "a write's journal could not be read, so its files were left as they are",
                "inspect them with `ctx diff`; keep them with `ctx commit` or drop them with "
                "`git -C <store> checkout -- .`, then delete .git/ctx-journal.bad",
            )
        )
    return found


def _git_locks(root: Any, repo: Any, repair: bool) -> list[Problem]:
    locks = [str(p.relative_to(root)) for p in lock_files(root)]
    if not locks:
        return []
    removed = set(clear_stale_locks(root)) if repair else set()
    return [
        Problem(
            "stale-git-lock",
            "error",
            lock,
            "a git lock file: every write fails while it exists",
            "deleted: no live git process owned it"
            if lock in removed
            else "delete it once no git process runs in the store",
            repaired=lock in removed,
        )
        for lock in locks
    ]


def _temp_files(root: Any, repair: bool) -> list[Problem]:
    found = []
    for relpath in temp_files(root):
        if repair:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(root / relpath)
        found.append(
            Problem(
                "temp-file",
                "warning",
                relpath,
                "a temp file left by a writer that was killed",
                "deleted" if repair else "delete it",
                repaired=repair,
            )
        )
    return found


def _git_state(repo: Any, repair: bool) -> list[Problem]:
    found = []
    git_dir = repo.root / ".git"
    busy = [
        name
        for name in ("MERGE_HEAD", "REVERT_HEAD", "CHERRY_PICK_HEAD", "rebase-merge",
                     "rebase-apply", "sequencer")
        if (git_dir / name).exists()
    ]  # fmt: skip
    if busy:
        found.append(
            Problem(
                "git-operation",
                "warning",
                f".git/{busy[0]}",
                "a git merge, revert, cherry-pick or rebase is under way in the store",
                "finish or abort it with git (e.g. `git -C <store> revert --abort`)",
            )
        )
    dirty = repo.dirty_paths()
    if repo.staged_changes() and not busy:
        staged = repo.staged_paths()
        if repair:
            repo.reset_paths(staged)
        found.append(
            Problem(
                "staged-changes",
                "warning",
                ", ".join(staged[:3]) + (f" (+{len(staged) - 3})" if len(staged) > 3 else ""),
                "changes are staged in git's index but not committed",
                "unstaged; the files are untouched" if repair else "unstage them",
                repaired=repair,
            )
        )
        dirty = repo.dirty_paths()
    changed = [p for _s, p in dirty if not p.startswith("cache/")]
    if changed:
        shown = ", ".join(changed[:3]) + (f" (+{len(changed) - 3})" if len(changed) > 3 else "")
        found.append(
            Problem(
                "uncommitted",
                "info",
                shown,
                f"{plural(len(changed), 'file')} changed outside ctx",
                "review with `ctx diff`, then `ctx commit` (or discard them with git)",
            )
        )
    return found


def _symlinks(store: Any) -> list[Problem]:
    return [
        Problem(
            "symlink",
            "error",
            relpath,
            f"a symbolic link (to {target}); ctx never follows it",
            "replace it with a real file or folder, or remove it",
        )
        for relpath, target in store.symlinks()
    ]


def _pre_commit_hook(root: Any, repair: bool) -> list[Problem]:
    """The store's pre-commit hook (refusing hand-made commits with secrets or invalid
    entries) is missing, e.g. in a store made before ctx installed it, or a clone."""
    from ctxtree.service import installer

    if installer.store_hook_installed(root):
        return []
    if repair:
        installer.install_store_hook(root, installer.Report())
    return [
        Problem(
            "pre-commit-hook",
            "warning",
            ".git/hooks/pre-commit",
            "the store's pre-commit hook is not installed: a commit made with plain git is "
            "not checked for secrets or invalid entries",
            "`ctx doctor` installs it (an existing hook is kept and run first)",
            repaired=repair,
        )
    ]


def _merge_driver(root: Any, repo: Any, repair: bool, actor: str) -> list[Problem]:
    """Entries merge field by field only when `.gitattributes` (committed, shared) names
    the driver and this machine's git config defines it."""
    from ctxtree.service import installer
    from ctxtree.tree.git import commit_message
    from ctxtree.tree.store import GITATTRIBUTES, atomic_write

    path = root / ".gitattributes"
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    attributes = all(line in text.splitlines() for line in GITATTRIBUTES.splitlines())
    configured = installer.merge_driver_installed(root)
    if attributes and configured:
        return []
    if repair:
        installer.install_merge_driver(root, installer.Report())
        if not attributes:
            separator = "" if not text or text.endswith("\n") else "\n"
            atomic_write(path, (text + separator + GITATTRIBUTES).encode("utf-8"))
            message = commit_message(
                "doctor", "entries merge through ctx merge-driver", actor, ["cli"]
            )
            repo.commit([".gitattributes"], message)
    missing = [
        what
        for what, ok in (("the .gitattributes lines", attributes), ("git config", configured))
        if not ok
    ]
    return [
        Problem(
            "merge-driver",
            "warning",
            ".gitattributes" if not attributes else ".git/config",
            f"entries do not merge through `ctx merge-driver` ({' and '.join(missing)} missing): "
            "a merge of two machines' edits to one entry would conflict line by line",
            "`ctx doctor` sets it up (the .gitattributes lines in one commit)",
            repaired=repair,
        )
    ]


def _fsck(repo: Any) -> list[Problem]:
    problems = repo.fsck()
    return [
        Problem("git-fsck", "error", ".git", line, "inspect with `git -C <store> fsck`")
        for line in problems
    ]
