"""One write: collected in memory, then applied under the write lock as one journaled commit.

Every mutation of a store goes through a Transaction (tree/store.py `Store.transaction`): the
operations put and delete files in `writes`, and on exit `apply` records the intent in the
journal, writes the files, commits once and clears the journal. A crash at any moment is
repaired by the next command (tree/journal.py); a failure inside this process is repaired at
once by the same code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ctxtree.tree import journal
from ctxtree.tree.store import (
    atomic_write,
    decode_text,
    read_bytes_or_none,
    refuse_symlink,
    remove_file,
)

if TYPE_CHECKING:
    from ctxtree.tree.store import Store


@dataclass
class Transaction:
    store: Store
    op: str
    actor: str
    sources: list[str]
    subject: str = ""
    body: str = ""
    writes: dict[str, bytes | None] = field(default_factory=dict)
    commit_sha: str | None = None
    force: bool = False  # commit even when the files on disk already hold these bytes
    staged: set[str] = field(default_factory=set)
    dry_run: bool = False
    date: str | None = None
    diff: str = ""
    repo: Any = None  # the GitRepo, holding the write lock for its git processes
    intent: journal.Intent | None = None

    def read(self, relpath: str) -> str | None:
        """A file as this transaction would leave it (pending writes first), None if absent."""
        data = self.writes[relpath] if relpath in self.writes else self.store.read_bytes(relpath)
        return None if data is None else decode_text(data, relpath)

    def preview(self) -> str:
        """The unified diff (git style, a/ and b/ paths) of every pending write."""
        import difflib

        chunks: list[str] = []
        for relpath in sorted(self.writes):
            data = self.writes[relpath]
            before = self.store.read_bytes(relpath)
            if before == data:
                continue
            old = before.decode("utf-8", "replace").splitlines(keepends=True) if before else []
            new = data.decode("utf-8", "replace").splitlines(keepends=True) if data else []
            lines = list(
                difflib.unified_diff(
                    old,
                    new,
                    "/dev/null" if before is None else f"a/{relpath}",
                    "/dev/null" if data is None else f"b/{relpath}",
                )
            )
            header = f"diff --git a/{relpath} b/{relpath}\n"
            if before is None:
                header += "new file\n"
            elif data is None:
                header += "deleted file\n"
            chunks.append(header + "".join(x if x.endswith("\n") else x + "\n" for x in lines))
        return "".join(chunks)

    def write(self, relpath: str, text: str) -> None:
        self.writes[relpath] = text.encode("utf-8")

    def delete(self, relpath: str) -> None:
        self.writes[relpath] = None

    def stage(self, relpath: str) -> None:
        """Commit this path as it is on disk (hand edits): nothing is written."""
        self.staged.add(relpath)

    def changed(self) -> bool:
        return any(self.store.read_bytes(p) != data for p, data in self.writes.items())

    def expect(self, relpaths: Iterable[str]) -> None:
        """Journal `relpaths` before git itself changes them (undo's revert), so a crash
        from here on is undone like any other write."""
        root = self.store.root
        before = {}
        for relpath in relpaths:
            refuse_symlink(root, relpath)
            before[relpath] = self.store.read_bytes(relpath)
        self.intent = journal.new_intent(self.op, self.repo.current_head(), before)
        journal.begin(root, self.intent)

    def settle(self, failed: bool) -> None:
        """End a journal opened by `expect`: repaired on failure, cleared on success."""
        if self.intent is None:
            return
        if failed:
            _repair(self)
        else:
            journal.end(self.store.root)
        self.intent = None

    def apply(self) -> None:
        """Journal, write, commit once, clear the journal; on any failure (Ctrl-C
        included) the journal's own recovery puts every file back."""
        from ctxtree.tree.git import commit_message

        if not self.staged and not self.writes:
            return
        root = self.store.root
        paths = sorted({*self.writes, *self.staged})
        safe: set[str] = set()  # folders seen to be real: each is checked once
        before = {relpath: read_bytes_or_none(root, relpath, safe) for relpath in paths}
        unchanged = all(before[p] == data for p, data in self.writes.items())
        if not self.staged and not self.force and unchanged:
            return
        self.intent = journal.new_intent(self.op, self.repo.current_head(), before)
        journal.begin(root, self.intent)
        try:
            for relpath, data in self.writes.items():
                if data == before[relpath]:
                    continue
                if data is None:
                    remove_file(root, relpath)
                else:
                    atomic_write(root / relpath, data)
            message = commit_message(self.op, self.subject, self.actor, self.sources, self.body)
            # A file created and deleted within one transaction never reached git.
            tracked = [p for p in paths if before[p] is not None or self.writes.get(p) is not None]
            self.commit_sha = self.repo.commit(tracked, message, date=self.date)
        except BaseException:
            _repair(self)
            raise
        journal.end(root)
        self.intent = None


def _repair(tx: Transaction) -> None:
    """Put the store back after a failure inside this process, with the crash-recovery code
    itself (one implementation). If even that fails, the journal stays for the next command."""
    assert tx.intent is not None
    with contextlib.suppress(Exception):  # the journal is kept: the next command repairs
        journal.recover(tx.store.root, tx.repo, tx.intent, log=False)
    tx.intent = None
