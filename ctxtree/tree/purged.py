"""The purge record: `.ctx-purged` at the top of the store, committed, listing the commits a
`ctx forget --purge` rewrote away (their old shas, one a line; never a path, id or content).

The purge writes it in the same history rewrite, so it travels with the store: `ctx sync`
reads it on both sides to refuse merging or pushing any history that still holds a purged
commit (service/sharing.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctxtree.tree.git import GitRepo

RECORD = ".ctx-purged"
_HEADER = (
    b"# Commits that `ctx forget --purge` removed from this store's history (old shas only).\n"
    b"# `ctx sync` refuses any history that still holds one: re-clone instead of merging it.\n"
)
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def parse(data: bytes) -> frozenset[str]:
    """The shas a record lists (comments, blank and malformed lines ignored)."""
    lines = data.decode("ascii", "replace").splitlines()
    return frozenset(line.strip() for line in lines if _SHA.fullmatch(line.strip()))


def render(shas: Iterable[str]) -> bytes:
    """A record listing `shas`, sorted, so two purges of the same history agree."""
    return _HEADER + b"".join(f"{sha}\n".encode("ascii") for sha in sorted(set(shas)))


def recorded(repo: GitRepo, rev: str) -> frozenset[str]:
    """The shas the record at commit `rev` lists (none when it has no record)."""
    done = repo.process(["cat-file", "blob", f"{rev}:{RECORD}"])
    return parse(done.stdout) if done.returncode == 0 else frozenset()
