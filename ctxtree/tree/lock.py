"""Inter-process locks, so two writers at once both succeed, one after the other."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ctxtree.errors import ConflictError, StoreError


@contextmanager
def write_lock(
    path: Path, timeout: float = 30.0, name: str = "the store's write lock"
) -> Iterator[None]:
    """Hold an exclusive flock on `path`; waits up to `timeout` seconds for another writer.
    `name` says in errors what the lock guards.

    flock is released by the kernel when the process dies, so a crash never leaves the store
    locked.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(
            f"cannot open {name} {path}: {exc.strerror}",
            f"check that {path.parent} exists and is writable",
        ) from None
    try:
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ConflictError(
                        f"another ctx process has held {name} for {timeout:.0f} s",
                        "wait for it to finish, or find it with `fuser " + str(path) + "`",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        yield
    finally:
        os.close(fd)
