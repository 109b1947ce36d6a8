"""Inter-process locks, so two writers at once both succeed, one after the other."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ctxtree.errors import ConflictError, StoreError

STORE_LOCK = "the store's write lock"


def _open(path: Path, name: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(
            f"cannot open {name} {path}: {exc.strerror}",
            f"check that {path.parent} exists and is writable",
        ) from None


def _acquire(fd: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


@contextmanager
def write_lock(path: Path, timeout: float = 30.0, name: str = STORE_LOCK) -> Iterator[int]:
    """Hold an exclusive flock on `path`, waiting up to `timeout` seconds for another holder;
    yields the locked descriptor. `name` says in errors what the lock guards.

    flock is released by the kernel when every process holding the descriptor has exited, so
    a crash never leaves the store locked. Git processes that change the store are handed the
    descriptor (tree/git.py), so a killed ctx's git keeps the lock until it is done.
    """
    fd = _open(path, name)
    try:
        if not _acquire(fd, timeout):
            raise ConflictError(
                f"another ctx process has held {name} for {timeout:.0f} s",
                "wait for it to finish, or find it with `fuser " + str(path) + "`",
            )
        yield fd
    finally:
        os.close(fd)


@contextmanager
def try_write_lock(path: Path, timeout: float = 0.0) -> Iterator[int | None]:
    """Like write_lock, but yields None instead of raising when the lock stays busy."""
    fd = _open(path, STORE_LOCK)
    try:
        yield fd if _acquire(fd, timeout) else None
    finally:
        os.close(fd)
