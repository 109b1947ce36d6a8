"""The store repository's remotes and the git steps of `ctx sync` and `ctx clone`: list, add
and remove remotes, fetch, merge, push, clone. Every step is one git process through
`GitRepo.process` (so a step that changes the store holds the write lock); failures become
CtxErrors whose messages say what happened (offline, rejected, conflicted)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ctxtree.errors import ConflictError, NotFoundError, StoreError, UsageError
from ctxtree.tree.git import _pathspec
from ctxtree.tree.store import atomic_write

if TYPE_CHECKING:
    from ctxtree.tree.git import GitRepo

REMOTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Never ask for a password on a terminal: a hook or an agent runs sync without one.
QUIET_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true"}
_OFFLINE = (
    "could not resolve host",
    "could not read from remote",
    "does not appear to be a git repository",
    "unable to access",
    "connection refused",
    "connection timed out",
    "network is unreachable",
    "no such file or directory",
    "repository not found",
    "not found",
)


@dataclass(frozen=True)
class Remote:
    name: str
    url: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "url": self.url}


def _text(done: subprocess.CompletedProcess[bytes]) -> str:
    return " ".join(done.stderr.decode("utf-8", "replace").split())[:300]


def check_name(name: str) -> None:
    if not REMOTE_NAME.fullmatch(name) or ".." in name:
        raise UsageError(
            f"{name!r} is not a remote name", "use letters, digits, '.', '_' or '-', e.g. origin"
        )


def remotes(repo: GitRepo) -> list[Remote]:
    """Configured remotes with their fetch URLs, in git's order."""
    done = repo.process(["config", "--get-regexp", r"^remote\..*\.url$"])
    found = []
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        key, _sep, url = line.partition(" ")
        found.append(Remote(key[len("remote.") : -len(".url")], url))
    return found


def add(repo: GitRepo, name: str, url: str) -> Remote:
    check_name(name)
    if not url.strip() or url.startswith("-"):
        raise UsageError(f"{url!r} is not a repository URL", "e.g. git@host:team/memory.git")
    if any(r.name == name for r in remotes(repo)):
        raise ConflictError(
            f"remote {name!r} already exists", f"remove it first: `ctx remote remove {name}`"
        )
    done = repo.process(["remote", "add", name, url])
    if done.returncode != 0:
        raise StoreError(f"git remote add failed: {_text(done)}", "check the name and URL")
    return Remote(name, url)


def remove(repo: GitRepo, name: str) -> Remote:
    found = [r for r in remotes(repo) if r.name == name]
    if not found:
        raise NotFoundError(f"no remote named {name!r}", "list them with `ctx remote`")
    done = repo.process(["remote", "remove", name])
    if done.returncode != 0:
        raise StoreError(f"git remote remove failed: {_text(done)}", "see `git remote -v`")
    return found[0]


def current_branch(repo: GitRepo) -> str:
    done = repo.process(["symbolic-ref", "--quiet", "--short", "HEAD"])
    branch = str(done.stdout.decode("utf-8", "replace")).strip()
    if done.returncode != 0 or not branch:
        raise ConflictError(
            "the store's HEAD is detached (no branch to sync)",
            "check out its branch: `git -C <store> checkout main`",
        )
    return branch


def _offline(detail: str) -> bool:
    lowered = detail.lower()
    return any(marker in lowered for marker in _OFFLINE)


def fetch(repo: GitRepo, remote: Remote) -> None:
    done = repo.process(["fetch", "--quiet", "--no-tags", remote.name], env=QUIET_ENV)
    if done.returncode != 0:
        detail = _text(done)
        if _offline(detail):
            raise StoreError(
                f"cannot reach remote {remote.name!r} ({remote.url}): {detail}",
                "you may be offline; nothing changed here, run `ctx sync` again later",
            )
        raise StoreError(f"git fetch {remote.name} failed: {detail}", "check the remote's URL")


def rev(repo: GitRepo, name: str) -> str | None:
    done = repo.process(["rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"])
    sha = done.stdout.decode("utf-8", "replace").strip()
    return sha if done.returncode == 0 and sha else None


def is_ancestor(repo: GitRepo, older: str, newer: str) -> bool:
    return bool(repo.process(["merge-base", "--is-ancestor", older, newer]).returncode == 0)


def count_commits(repo: GitRepo, spec: str) -> int:
    done = repo.process(["rev-list", "--count", spec])
    return int(done.stdout.strip() or 0) if done.returncode == 0 else 0


def merge_base(repo: GitRepo, a: str, b: str) -> str | None:
    done = repo.process(["merge-base", a, b])
    sha = str(done.stdout.decode("utf-8", "replace")).strip()
    return sha if done.returncode == 0 and sha else None


def fast_forward(repo: GitRepo, target: str) -> None:
    done = repo.process(["merge", "--ff-only", "--quiet", target])
    if done.returncode != 0:
        raise StoreError(f"git merge --ff-only failed: {_text(done)}", "run `ctx doctor`")


Resolver = Callable[[dict[str, dict[int, bytes]]], dict[str, bytes]]


def merge(repo: GitRepo, target: str, message: str, resolve: Resolver) -> list[str]:
    """Merge `target` into HEAD and commit with `message`. Files marked `merge=ctx` are not
    handed to the driver one process each: git stops on them (the driver is switched off for
    this merge) and `resolve` gets every unmerged path's stages (1 base, 2 ours, 3 theirs;
    a missing stage is a side that deleted it) in one call and returns the merged content of
    those it merged. Returns the paths still conflicted (the merge is aborted then: files,
    index and HEAD as before), [] when it committed."""
    done = repo.process(
        ["-c", "gc.auto=0", "-c", "merge.ctx.driver=false",
         "merge", "--no-ff", "--no-commit", "--no-edit", target],
        env={"GIT_MERGE_AUTOEDIT": "no"},
    )  # fmt: skip
    if done.returncode != 0:
        stages = unmerged(repo)
        if not stages:
            repo.process(["merge", "--abort"])
            detail = _text(done) or done.stdout.decode("utf-8", "replace")[:300]
            raise StoreError(f"git merge failed: {detail}", "run `ctx doctor`")
        merged = resolve(stages)
        for path, data in merged.items():
            atomic_write(repo.root / path, data)
        if merged:
            with _pathspec(sorted(merged)) as spec:
                repo.run("add", *spec)
        left = sorted(set(stages) - set(merged))
        if left:
            repo.process(["merge", "--abort"])
            return left
    commit = repo.process(["-c", "gc.auto=0", "commit", "-q", "--no-verify", "-F", "-"],
                          stdin=message.encode("utf-8"))  # fmt: skip
    if commit.returncode != 0:
        repo.process(["merge", "--abort"])
        raise StoreError(f"git commit of the merge failed: {_text(commit)}", "run `ctx doctor`")
    return []


def unmerged(repo: GitRepo) -> dict[str, dict[int, bytes]]:
    """Each unmerged path's stages with their content, read in one `git cat-file --batch`."""
    listed = repo.process(["ls-files", "-u", "-z"])
    shas: dict[str, dict[int, str]] = {}
    for item in listed.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if not item:
            continue
        info, _tab, path = item.partition("\t")
        _mode, sha, stage = info.split()
        shas.setdefault(path, {})[int(stage)] = sha
    wanted = sorted({sha for stages in shas.values() for sha in stages.values()})
    blobs = read_blobs(repo, wanted)
    return {path: {n: blobs[sha] for n, sha in stages.items()} for path, stages in shas.items()}


def read_blobs(repo: GitRepo, shas: Sequence[str]) -> dict[str, bytes]:
    if not shas:
        return {}
    done = repo.process(["cat-file", "--batch"], stdin="".join(f"{s}\n" for s in shas).encode())
    out, found, at = done.stdout, {}, 0
    for sha in shas:
        end = out.index(b"\n", at)
        size = int(out[at:end].split()[2])
        found[sha] = bytes(out[end + 1 : end + 1 + size])
        at = end + 1 + size + 1
    return found


def push(repo: GitRepo, remote: Remote, branch: str) -> str:
    """Push `branch`; "" when pushed, "rejected" when the remote moved on (fetch and merge
    again), raising when the remote cannot be reached or refuses otherwise."""
    done = repo.process(
        ["push", "--quiet", "--porcelain", remote.name, f"HEAD:refs/heads/{branch}"],
        env=QUIET_ENV,
    )
    if done.returncode == 0:
        repo.process(["branch", "--quiet", f"--set-upstream-to={remote.name}/{branch}"])
        return ""
    detail = _text(done) + " " + done.stdout.decode("utf-8", "replace")
    # "cannot lock ref ... but expected": someone's push landed while ours was in flight.
    moved = ("[rejected]", "non-fast-forward", "fetch first", "cannot lock ref")
    if any(marker in detail for marker in moved):
        return "rejected"
    if _offline(detail):
        raise StoreError(
            f"cannot reach remote {remote.name!r} ({remote.url}) to push: {_text(done)}",
            "your changes are merged and committed here; run `ctx sync` again when online",
        )
    raise StoreError(
        f"git push to {remote.name} was refused: {' '.join(detail.split())[:300]}",
        "check your access to the remote; your changes are committed here",
    )


def changed_paths(repo: GitRepo, old: str | None, new: str) -> list[tuple[str, str]]:
    """(status letter, path) of what changed from `old` to `new` (A, M, D; renames split)."""
    if old is None or old == new:
        return []
    done = repo.process(["diff", "--name-status", "--no-renames", "-z", old, new])
    items = done.stdout.decode("utf-8", "replace").split("\0")
    return [(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2) if items[i]]


def clone(url: str, target: Path) -> None:
    """`git clone URL TARGET`, no terminal prompts; StoreError naming the URL otherwise."""
    done = subprocess.run(
        ["git", "clone", "--quiet", "--no-tags", url, str(target)],
        capture_output=True, check=False, env={**os.environ, **QUIET_ENV},
    )  # fmt: skip
    if done.returncode != 0:
        detail = _text(done)
        hint = (
            "check the URL and that you are online"
            if _offline(detail)
            else "check the URL and your access to it"
        )
        raise StoreError(f"cannot clone {url}: {detail}", hint)
    _check_out_default(target)
    identity = subprocess.run(["git", "config", "--get", "user.email"], cwd=target,
                              capture_output=True, check=False)  # fmt: skip
    if identity.returncode != 0:  # as GitRepo.init: commits never fail on a new machine
        for key, value in (("user.name", "ctxtree"), ("user.email", "ctxtree@localhost")):
            subprocess.run(["git", "config", key, value], cwd=target, check=False)


def _check_out_default(target: Path) -> None:
    """A bare repository made by `git init --bare` names `master` (or whatever its machine's
    default is) as HEAD while the store's branch is `main`: git then clones no files. Check
    out `main`, else the only branch there is."""
    head = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], cwd=target,
                          capture_output=True, check=False)  # fmt: skip
    if head.returncode == 0:
        return
    listed = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname:lstrip=3)", "refs/remotes/origin/"],
        cwd=target, capture_output=True, text=True, check=False,
    )  # fmt: skip
    branches = [b for b in listed.stdout.split() if b != "HEAD"]
    chosen = "main" if "main" in branches else (branches[0] if len(branches) == 1 else "")
    if chosen:
        subprocess.run(["git", "checkout", "-q", "-B", chosen, "--track", f"origin/{chosen}"],
                       cwd=target, capture_output=True, check=False)  # fmt: skip
