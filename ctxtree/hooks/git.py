"""Git hooks of the user's project: `ctx hook post-commit` records the commit just made as an
episode and flags the entries anchored to its files stale (service/commits.py).

A hook must never fail or slow the commit. The hook process asks git for the commit (one
`git show`, a few milliseconds), then detaches a worker (double fork, its own session, stdin,
stdout and stderr on /dev/null, so neither git nor a terminal waits for it) and returns. The
worker takes the store lock, writes one store commit and exits; a failure is a line in
cache/hooks.log.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ctxtree.hooks import Event, log_failure
from ctxtree.tree.project import Commit, FileChange

# sha, author, ISO date, then the whole message; NUL-separated, then --numstat lines.
_FORMAT = "%H%x00%an%x00%aI%x00%B%x00"
GIT_TIMEOUT = 5.0


def read_commit(cwd: Path, rev: str = "HEAD") -> Commit:
    """The commit `rev` of the repository at `cwd`, with per-file +/- counts (one git call)."""
    out = subprocess.run(
        ["git", "-c", "core.quotepath=off", "show", "--no-color", "--numstat", "-z",
         f"--format={_FORMAT}", rev],
        cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT, check=True,
    ).stdout.decode("utf-8", errors="replace")  # fmt: skip
    sha, author, date, message, stats = out.split("\0", 4)
    subject, _, body = message.strip().partition("\n")
    return Commit(sha.strip(), author, date, subject, body.strip(), _numstat(stats))


def _numstat(raw: str) -> tuple[FileChange, ...]:
    """`git show --numstat -z` records: `A\\tD\\tPATH\\0`, or for a rename
    `A\\tD\\t\\0OLD\\0NEW\\0` (the new path counts)."""
    fields = raw.lstrip("\n").split("\0")
    files: list[FileChange] = []
    i = 0
    while i < len(fields):
        record = fields[i].lstrip("\n")
        i += 1
        if not record:
            continue
        added, deleted, path = [*record.split("\t", 2), "", ""][:3]
        if not path:  # a rename: the old path, then the new one
            path = fields[i + 1] if i + 1 < len(fields) else ""
            i += 2
        if path:
            files.append(FileChange(path, _count(added), _count(deleted)))
    return tuple(files)


def _count(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def post_commit(event: Event) -> str:
    """Read the commit now, record it in a detached worker; print nothing."""
    commit = read_commit(Path.cwd(), event.env.get("CTX_COMMIT") or "HEAD")
    if event.env.get("CTX_HOOK_FOREGROUND") == "1":  # for debugging: write, then return
        record(event.root, commit, event.env)
        return ""
    if _detach():
        return ""
    try:  # the worker: its exit is the end of this process, whatever happens
        record(event.root, commit, event.env)
    except BaseException as error:
        log_failure(event.root, event.name, error)
    finally:
        os._exit(0)


def record(root: Path, commit: Commit, env: Mapping[str, str]) -> None:
    from ctxtree.service.commits import record_commit
    from ctxtree.service.session import open_session

    record_commit(open_session(str(root), env, actor="git-post-commit"), commit)


def _detach() -> bool:
    """Double fork. True in the caller (after the first child exited); False in the
    grandchild, which has its own session and /dev/null for stdin, stdout and stderr."""
    child = os.fork()
    if child:
        os.waitpid(child, 0)
        return True
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
    except BaseException:
        os._exit(0)
    return False
