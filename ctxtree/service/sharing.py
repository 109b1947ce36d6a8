"""Sharing a store through git remotes (SPEC §8): `ctx remote`, `ctx sync`, `ctx clone`.

Git hosting is the distributed engine; there is no server of ours. `sync` is fetch, merge
(entries through `ctx merge-driver`), push, under the store's write lock so no ctx write lands
in the middle. The merge is one commit of ours (`Ctx-Op: sync` with the remote as source); a
merge git cannot finish is aborted, so the store is left as it was, and the error names the
conflicted files and how to resolve them by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctxtree.errors import ConflictError, NotFoundError, StoreError, UsageError
from ctxtree.retrieval.refresh import Progress
from ctxtree.service.session import Session
from ctxtree.tree.paths import STORE_DIRNAME, STORE_MARKER, id_from_relpath
from ctxtree.tree.remotes import Remote
from ctxtree.wording import plural

if TYPE_CHECKING:
    from ctxtree.tree.git import GitRepo


# ---- remotes ---------------------------------------------------------------------------------
def _repo(session: Session) -> GitRepo:
    from ctxtree.tree.git import GitRepo

    return GitRepo(session.store.root)


def list_remotes(session: Session) -> list[Remote]:
    from ctxtree.tree import remotes

    return remotes.remotes(_repo(session))


def add_remote(session: Session, name: str, url: str) -> Remote:
    from ctxtree.tree import remotes

    return remotes.add(_repo(session), name, url)


def remove_remote(session: Session, name: str) -> Remote:
    from ctxtree.tree import remotes

    return remotes.remove(_repo(session), name)


# ---- sync ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Changes:
    """Entries (tree/ and archive/ entry files) the sync changed here, by id."""

    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return len(self.added) + len(self.modified) + len(self.deleted)

    def to_json(self) -> dict[str, Any]:
        return {"added": list(self.added), "modified": list(self.modified),
                "deleted": list(self.deleted)}  # fmt: skip


@dataclass(frozen=True)
class SyncResult:
    remote: Remote
    branch: str
    merge: str  # "up-to-date", "fast-forward", "merged", "first-push", "purge-pushed"
    received: int  # commits taken from the remote
    sent: int  # commits the remote did not have before the push
    changes: Changes = field(default_factory=Changes)
    commit: str | None = None  # our merge commit, when there was one
    retried: bool = False  # the first push was rejected: fetched and merged once more
    dry_run: bool = False  # fetched only: what a sync would do

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote.name,
            "url": self.remote.url,
            "branch": self.branch,
            "merge": self.merge,
            "received": self.received,
            "sent": self.sent,
            "changed": self.changes.to_json(),
            "commit": self.commit,
            "retried": self.retried,
            "dry_run": self.dry_run,
        }

    def line(self) -> str:
        counts = self.changes
        what = (f"{len(counts.added)} added, {len(counts.modified)} changed, "
                f"{len(counts.deleted)} removed here")  # fmt: skip
        if self.dry_run:
            return (
                f"would sync with {self.remote.name}/{self.branch}: {self.merge}; would "
                f"receive {plural(self.received, 'commit')}, send {plural(self.sent, 'commit')}; "
                f"entries {what.replace(' here', '')} here (nothing changed)"
            )
        return (
            f"synced with {self.remote.name}/{self.branch}: {self.merge}; "
            f"received {plural(self.received, 'commit')}, sent {plural(self.sent, 'commit')}; "
            f"entries {what}"
        )


def _chosen(repo: GitRepo, name: str | None) -> Remote:
    from ctxtree.tree import remotes

    known = remotes.remotes(repo)
    if name is not None:
        for remote in known:
            if remote.name == name:
                return remote
        raise NotFoundError(f"no remote named {name!r}", "list them with `ctx remote`")
    if not known:
        raise NotFoundError(
            "no remote configured for this store",
            "add the team's repository: `ctx remote add origin URL`",
        )
    for remote in known:
        if remote.name == "origin":
            return remote
    if len(known) > 1:
        names = ", ".join(r.name for r in known)
        raise UsageError(
            f"several remotes ({names}) and none is 'origin'", "name one: ctx sync NAME"
        )
    return known[0]


def _changes(repo: GitRepo, old: str | None, new: str | None) -> Changes:
    from ctxtree.tree import remotes

    if new is None:
        return Changes()
    found: dict[str, list[str]] = {"A": [], "M": [], "D": []}
    for status, path in remotes.changed_paths(repo, old, new):
        entry_id = id_from_relpath(path)
        if entry_id is not None and status[:1] in found:
            found[status[:1]].append(entry_id)
    return Changes(*(tuple(sorted(found[k])) for k in ("A", "M", "D")))


def _conflict(remote: Remote, branch: str, paths: list[str]) -> ConflictError:
    shown = ", ".join(paths[:5]) + (f" (+{len(paths) - 5})" if len(paths) > 5 else "")
    return ConflictError(
        f"sync stopped: {plural(len(paths), 'file')} changed on both sides and could not be "
        f"merged: {shown}; the merge was aborted, the store is as it was",
        f"merge by hand in the store: `git merge {remote.name}/{branch}`, fix the marked "
        "parts (`ctx lint` lists them), `git commit`, then `ctx sync` again",
    )


def _merge_remote(session: Session, repo: GitRepo, remote: Remote, branch: str) -> tuple[str, int]:
    """Bring `remote/branch` into HEAD: (how, commits received)."""
    from ctxtree.tree import remotes
    from ctxtree.tree.git import commit_message

    theirs = remotes.rev(repo, f"refs/remotes/{remote.name}/{branch}")
    head = remotes.rev(repo, "HEAD")
    if theirs is None:
        return "first-push", 0
    if head is not None and remotes.is_ancestor(repo, theirs, head):
        return "up-to-date", 0
    received = remotes.count_commits(repo, f"HEAD..{theirs}" if head else theirs)
    if head is None or remotes.is_ancestor(repo, head, theirs):
        remotes.fast_forward(repo, theirs)
        return "fast-forward", received
    message = commit_message(
        "sync", f"merge {remote.name}/{branch}", session.actor, [f"remote:{remote.name}"],
        f"Merged {plural(received, 'commit')} from {remote.url}",
    )  # fmt: skip
    conflicted = remotes.merge(repo, theirs, message, _resolve)
    if conflicted:
        raise _conflict(remote, branch, conflicted)
    return "merged", received


def _resolve(stages: dict[str, dict[int, bytes]]) -> dict[str, bytes]:
    """The merge driver's merge of every file both sides changed, in this process: the
    files it merged cleanly (a file one side deleted, or that conflicts, stays unmerged)."""
    from ctxtree.service.merge_driver import merge_versions

    merged = {}
    for path, versions in stages.items():
        if 2 not in versions or 3 not in versions:
            continue
        data, conflict = merge_versions(versions.get(1, b""), versions[2], versions[3], path)
        if not conflict:
            merged[path] = data
    return merged


def _refuse_dirty(repo: GitRepo) -> None:
    busy = repo.root / ".git" / "MERGE_HEAD"
    if busy.exists():
        raise ConflictError(
            "a merge is under way in the store (a conflict being resolved by hand)",
            "finish it with `git commit` in the store (or `git merge --abort`), then sync",
        )
    dirty = [p for _s, p in repo.dirty_paths() if not p.startswith("cache/")]
    if dirty:
        shown = ", ".join(dirty[:3]) + (f" (+{len(dirty) - 3})" if len(dirty) > 3 else "")
        raise ConflictError(
            f"the store has uncommitted changes: {shown}",
            "commit them with `ctx commit` (or discard them with git), then sync",
        )


def sync(
    session: Session,
    name: str | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
    push_purge: bool = False,
) -> SyncResult:
    """Fetch, merge, push `name` (default: origin, or the only remote), under the write lock;
    a rejected push (someone pushed meanwhile) fetches and merges once more. With `dry_run`,
    only fetch (the remote-tracking branch moves; nothing else changes) and report what a
    sync would receive, send and change here. A history that still holds a commit a purge
    removed (tree/purged.py) is never merged nor pushed: see `_guard_purge`; `push_purge`
    replaces the remote's branch with this store's purged history."""
    from ctxtree.service.installer import Report, install_merge_driver
    from ctxtree.tree import remotes
    from ctxtree.tree.git import GitRepo
    from ctxtree.tree.lock import write_lock

    root = session.store.root
    GitRepo(root)
    with write_lock(root / ".git" / "ctx.lock", session.lock_timeout()) as lock_fd:
        repo = GitRepo(root, lock_fd=lock_fd)
        remote = _chosen(repo, name)
        branch = remotes.current_branch(repo)
        _refuse_dirty(repo)
        install_merge_driver(root, Report())  # a store cloned with plain git has no config
        before = remotes.rev(repo, "HEAD")
        remotes.fetch(repo, remote)
        if _guard_purge(repo, remote, branch, push_purge and not dry_run):
            return _push_purge(repo, remote, branch, before)
        if dry_run:
            return _preview(repo, remote, branch)
        how, received = _merge_remote(session, repo, remote, branch)
        retried = False
        sent = _outgoing(repo, remote, branch)
        if sent and remotes.push(repo, remote, branch) == "rejected":
            retried = True
            remotes.fetch(repo, remote)
            _guard_purge(repo, remote, branch, push_purge=False)  # a purge pushed meanwhile
            how, more = _merge_remote(session, repo, remote, branch)
            received += more
            sent = _outgoing(repo, remote, branch)
            if sent and remotes.push(repo, remote, branch) == "rejected":
                raise ConflictError(
                    f"{remote.name} was updated again while syncing; your changes are merged "
                    "here but not pushed",
                    "run `ctx sync` again",
                )
        after = remotes.rev(repo, "HEAD")
    changes = _changes(repo, before, after)
    if changes.total:
        _refresh(session, progress)
    commit = after if how == "merged" else None
    return SyncResult(remote, branch, how, received, sent, changes, commit, retried)


# ---- purged history --------------------------------------------------------------------------
def _commits(repo: GitRepo, spec: str, *options: str) -> list[str]:
    done = repo.process(["rev-list", *options, spec])
    return done.stdout.decode("ascii", "replace").split() if done.returncode == 0 else []


def _shown(repo: GitRepo, shas: list[str]) -> list[str]:
    """`sha subject (entries)` of each commit, for an error's details."""
    lines = []
    for sha in shas[:20]:
        done = repo.process(["show", "--no-renames", "--name-only", "--format=%h %s", sha])
        head, *paths = done.stdout.decode("utf-8", "replace").split("\n")
        ids = sorted({i for p in paths if (i := id_from_relpath(p)) is not None})
        lines.append(head + (f" ({', '.join(ids)})" if ids else ""))
    return lines + ([f"(+{len(shas) - 20} more)"] if len(shas) > 20 else [])


def _refusal(message: str, hint: str, details: list[str]) -> ConflictError:
    error = ConflictError(message, hint)
    error.details = details
    return error


def _guard_purge(repo: GitRepo, remote: Remote, branch: str, push_purge: bool) -> bool:
    """Refuse (ConflictError, nothing changed) when this store or the remote still holds a
    commit that a purge recorded on either side; True when the remote holds one and
    `push_purge` asks to replace it with this store's purged history."""
    from ctxtree.tree import purged, remotes

    theirs = remotes.rev(repo, f"refs/remotes/{remote.name}/{branch}")
    if theirs is None or remotes.rev(repo, "HEAD") is None:
        return False
    record = purged.recorded(repo, "HEAD") | purged.recorded(repo, theirs)
    if not record:
        return False
    ours = _commits(repo, f"{theirs}..HEAD")
    if any(sha in record for sha in ours):
        done = repo.process(["log", "-1", "--format=%h by %an on %as", theirs, "--", purged.RECORD])
        by = done.stdout.decode("utf-8", "replace").strip()
        # A commit the purging side re-applied (`--push-purge` cherry-picks) is not lost.
        kept = _commits(repo, f"{theirs}...HEAD", "--cherry-pick", "--right-only")
        unpushed = [sha for sha in kept if sha not in record]
        raise _refusal(
            f"{remote.name}/{branch} had its history purged ({by}) and this store still holds "
            "purged commits; nothing was merged or pushed",
            f"start again from the remote: `ctx clone {remote.url} NEW_DIR`, then re-apply "
            + (f"by hand the {plural(len(unpushed), 'commit')} listed below"
               if unpushed else "nothing: every commit here reached the remote")
            + "; then delete this store",
            [f"unpushed: {line}" for line in _shown(repo, unpushed)],
        )  # fmt: skip
    held = [sha for sha in _commits(repo, f"HEAD..{theirs}") if sha in record]
    if not held:
        return False
    if push_purge:
        return True
    raise ConflictError(
        f"{remote.name}/{branch} still holds {plural(len(held), 'commit')} that a purge removed "
        "here, and the purged content with it; nothing was merged or pushed",
        f"replace the remote's branch with the purged history: `ctx sync {remote.name} "
        "--push-purge` (teammates' newer commits there are re-applied on top, or listed if "
        "they cannot be)",
    )


def _push_purge(repo: GitRepo, remote: Remote, branch: str, before: str | None) -> SyncResult:
    """Re-apply the remote's commits that are not purged ones (teammates' work on the old
    history, merges left out) as cherry-picks on HEAD, then push with a lease on the tip just
    fetched, then delete the old history fetched here. A pick that does not apply cleanly
    restores HEAD and refuses, listing the commits to re-apply by hand."""
    from ctxtree.tree import purged, remotes

    theirs = remotes.rev(repo, f"refs/remotes/{remote.name}/{branch}") or ""
    record = purged.recorded(repo, "HEAD") | purged.recorded(repo, theirs)
    picks = [
        sha
        for sha in _commits(repo, f"HEAD..{theirs}", "--reverse", "--no-merges")
        if sha not in record
    ]
    for at, sha in enumerate(picks):
        done = repo.process(
            ["-c", "gc.auto=0", "cherry-pick", "--keep-redundant-commits", "-x", sha]
        )
        if done.returncode != 0:
            repo.process(["cherry-pick", "--abort"])
            repo.process(["reset", "-q", "--hard", before or "HEAD"])
            raise _refusal(
                f"{plural(len(picks), 'commit')} on {remote.name}/{branch} came after the purged "
                f"history and {sha[:10]} does not apply to it; nothing was pushed, the store "
                "is as it was",
                "re-apply them by hand (`git show SHA` in the store, then `ctx edit`/`ctx add`) "
                f"and run `ctx sync {remote.name} --push-purge` again",
                [f"{'not applied' if i >= at else 'applied'}: {line}"
                 for i, line in enumerate(_shown(repo, picks))],
            )  # fmt: skip
    done = repo.process(
        ["push", "--quiet", "--porcelain", f"--force-with-lease=refs/heads/{branch}:{theirs}",
         remote.name, f"HEAD:refs/heads/{branch}"],
        env=remotes.QUIET_ENV,
    )  # fmt: skip
    if done.returncode != 0:
        detail = " ".join((done.stderr + done.stdout).decode("utf-8", "replace").split())
        repo.process(["reset", "-q", "--hard", before or "HEAD"])
        raise ConflictError(
            f"pushing the purged history to {remote.name} was refused: {detail[:300]}",
            f"the remote moved meanwhile; run `ctx sync {remote.name} --push-purge` again",
        )
    repo.process(["branch", "--quiet", f"--set-upstream-to={remote.name}/{branch}"])
    repo.rewrite.drop_old_history()  # the fetch brought the purged objects back here
    after = remotes.rev(repo, "HEAD")
    return SyncResult(
        remote, branch, "purge-pushed", len(picks), remotes.count_commits(repo, f"{theirs}..HEAD"),
        _changes(repo, before, after), after if picks else None,
    )  # fmt: skip


def _preview(repo: GitRepo, remote: Remote, branch: str) -> SyncResult:
    """What `sync` would do after this fetch: the entries the remote changed since the last
    common commit would change here (a conflict shows only when the merge is tried)."""
    from ctxtree.tree import remotes

    theirs = remotes.rev(repo, f"refs/remotes/{remote.name}/{branch}")
    head = remotes.rev(repo, "HEAD")
    sent = _outgoing(repo, remote, branch)
    if theirs is None:
        return SyncResult(remote, branch, "first-push", 0, sent, dry_run=True)
    if head is not None and remotes.is_ancestor(repo, theirs, head):
        return SyncResult(remote, branch, "up-to-date", 0, sent, dry_run=True)
    received = remotes.count_commits(repo, f"HEAD..{theirs}" if head else theirs)
    if head is None or remotes.is_ancestor(repo, head, theirs):
        changes = _changes(repo, head, theirs)
        return SyncResult(remote, branch, "fast-forward", received, 0, changes, dry_run=True)
    base = remotes.merge_base(repo, head, theirs)
    changes = _changes(repo, base, theirs)
    return SyncResult(remote, branch, "merge", received, sent, changes, dry_run=True)


def _outgoing(repo: GitRepo, remote: Remote, branch: str) -> int:
    from ctxtree.tree import remotes

    if remotes.rev(repo, "HEAD") is None:
        return 0
    theirs = remotes.rev(repo, f"refs/remotes/{remote.name}/{branch}")
    return remotes.count_commits(repo, f"{theirs}..HEAD" if theirs else "HEAD")


def _refresh(session: Session, progress: Progress | None) -> None:
    """Bring the search index up to the merged files now, so the next read pays nothing."""
    from ctxtree.retrieval.index import Index

    index = Index.open(session.store, refresh=False)
    try:
        index.refresh(progress)
    finally:
        index.close()


# ---- clone -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CloneResult:
    root: Path
    url: str
    entries: int

    def to_json(self) -> dict[str, Any]:
        return {"root": str(self.root), "url": self.url, "entries": self.entries}


def clone(
    url: str, target: str | None, cwd: Path, env: Mapping[str, str],
    progress: Progress | None = None,
) -> CloneResult:  # fmt: skip
    """Make `DIR/.ctx` (default: ./.ctx) from the team's store repository at `url`, set up as
    `ctx init` sets up a new store (admin.set_up_repository), then build its index."""
    import shutil

    from ctxtree.service.admin import set_up_repository
    from ctxtree.service.session import open_session
    from ctxtree.tree import remotes

    base = Path(target).expanduser().absolute() if target else cwd.absolute()
    root = base if base.name == STORE_DIRNAME else base / STORE_DIRNAME
    if root.exists() and any(root.iterdir()):
        raise ConflictError(
            f"{root} already exists and is not empty",
            "sync the store that is there with `ctx sync`, or choose another DIR",
        )
    root.parent.mkdir(parents=True, exist_ok=True)
    remotes.clone(url, root)
    if not (root / STORE_MARKER).is_file():
        shutil.rmtree(root, ignore_errors=True)
        raise StoreError(
            f"{url} is not a ctx store (no {STORE_MARKER} at its top level)",
            "clone the repository a teammate's `ctx sync` pushes to, or start one with `ctx init`",
        )
    set_up_repository(root)
    session = open_session(str(root), env, cwd)
    _refresh(session, progress)
    entries, _problems = session.store.entries()
    return CloneResult(root, url, len(entries))
