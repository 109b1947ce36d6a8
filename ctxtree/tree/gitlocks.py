"""git's own lock files in a store (`index.lock`, `HEAD.lock`, ...): finding them, and
removing those a killed git process left behind. Files and /proc only: no git process runs."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ctxtree.errors import StoreError


def lock_files(root: Path) -> list[Path]:
    """git's own lock files in the store at `root`: a git process killed mid-write leaves them."""
    git_dir = root / ".git"
    found = [
        git_dir / name
        for name in ("index.lock", "HEAD.lock", "packed-refs.lock", "ORIG_HEAD.lock",
                     "config.lock", "shallow.lock")
        if (git_dir / name).exists()
    ]  # fmt: skip
    for folder, _dirs, names in os.walk(git_dir / "refs"):
        found += [Path(folder) / n for n in names if n.endswith(".lock")]
    return found


def clear_stale_locks(root: Path, wait: float = 2.0) -> list[str]:
    """Remove git lock files no live git process owns; returns what was removed.

    A lock is left alone while a git process runs in the store (waiting up to `wait`
    seconds for it): a reader's `git status` may hold index.lock for a moment. Where
    processes cannot be listed (no /proc), a lock older than 10 s counts as stale."""
    import time

    locks = lock_files(root)
    deadline = time.monotonic() + wait
    while locks and live_git_pids(root) and time.monotonic() < deadline:
        time.sleep(0.05)
        locks = lock_files(root)
    if not locks:
        return []
    pids = live_git_pids(root)
    if pids:
        raise StoreError(
            f"git process {pids[0]} is still working in the store and holds "
            f"{locks[0].relative_to(root)}",
            "wait for it to finish, then run the command again",
        )
    removed = []
    for lock in locks:
        if not Path("/proc/self").exists():
            try:
                if time.time() - lock.stat().st_mtime < 10:
                    continue
            except OSError:
                continue
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
            removed.append(str(lock.relative_to(root)))
    return removed


def live_git_pids(root: Path) -> list[int]:
    """Live `git` processes whose working directory is in the store (Linux /proc)."""
    proc = Path("/proc")
    if not (proc / "self").exists():
        return []
    real = os.path.realpath(root)
    found = []
    for item in os.listdir(proc):
        if not item.isdigit() or int(item) == os.getpid():
            continue
        try:
            if (proc / item / "comm").read_text().strip() != "git":
                continue
            cwd = os.readlink(proc / item / "cwd")
        except OSError:
            continue
        if cwd == real or cwd.startswith(real + os.sep):
            found.append(int(item))
    return found
