"""The only module that reads and writes store files. Writes are atomic and transactional:
every mutation happens under the write lock and lands as exactly one git commit, or not at all.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctxtree.errors import InvalidEntryError, NotFoundError, StoreError
from ctxtree.tree.paths import STORE_MARKER, entry_relpath, id_from_relpath, no_store_hint
from ctxtree.tree.suggestions import missing_entry

if TYPE_CHECKING:  # parsing entries loads the model and YAML: not on a warm read's path
    from ctxtree.tree.model import Entry
    from ctxtree.tree.transaction import Transaction

GITIGNORE = "cache/\n"
# Entry files merge through `ctx merge-driver` (service/merge_driver.py); `_index.md` is
# derived, the driver keeps one side of it and the next `ctx maintain` regenerates it.
GITATTRIBUTES = (
    "# ctxtree: entries merge field by field through `ctx merge-driver` (see `ctx doctor`)\n"
    "tree/**/*.md merge=ctx\n"
    "archive/**/*.md merge=ctx\n"
)
# The write journal (tree/journal.py). Named here so every command's check that no write was
# interrupted costs two stats, not the import of the journal module.
JOURNAL = ".git/ctx-journal.json"
JOURNAL_TMP = ".git/ctx-journal.json.tmp"  # one writer at a time (the lock): a fixed name


def journal_pending(root: Path) -> bool:
    """Whether an interrupted (or running) write left its record (or half of one)."""
    return os.path.exists(root / JOURNAL) or os.path.exists(root / JOURNAL_TMP)


def indexable_id(relpath: str) -> str | None:
    """Ids the search index knows: entry ids, and `<folder>/` for a folder's context.md
    overview (domain or topic), which retrieval uses to give hits their setting."""
    if relpath.endswith("/context.md"):
        parts = relpath.split("/")
        if parts[0] == "tree" and 3 <= len(parts) <= 5:
            return "/".join(parts[1:-1]) + "/"
        return None
    return id_from_relpath(relpath)


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file in the same directory, fsync, then os.replace."""
    import tempfile  # only writers pay for it (with shutil and random behind it)

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# mkstemp names atomic_write's temp files `.<name>.<8 random characters>.tmp`.
_TEMP_RE = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def is_temp_file(relpath: str) -> bool:
    """Whether `relpath` names one of atomic_write's temp files."""
    return bool(_TEMP_RE.fullmatch(relpath.rsplit("/", 1)[-1]))


def symlink_on_path(root: Path, relpath: str, safe: set[str] | None = None) -> str | None:
    """The first component of `relpath` (below `root`) that is a symbolic link, as a
    relpath; None when there is none (missing components end the walk). Folders already in
    `safe` (relpaths seen to be real folders) are not looked at again; new ones are added."""
    base = str(root)
    parts = relpath.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        if safe is not None and prefix in safe:
            continue
        try:
            mode = os.lstat(f"{base}/{prefix}").st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISLNK(mode):
            return prefix
        if safe is not None and stat.S_ISDIR(mode):
            safe.add(prefix)
    return None


def refuse_symlink(root: Path, relpath: str, safe: set[str] | None = None) -> None:
    """Raise InvalidEntryError when a symbolic link lies on `relpath`: the store never
    follows links (SPEC §8), so a link cannot make ctx read or write outside it. `safe`
    caches the folders already checked (see symlink_on_path)."""
    link = symlink_on_path(root, relpath, safe)
    if link is not None:
        raise InvalidEntryError(
            f"{link} is a symbolic link; ctx never follows links inside the store",
            "replace it with a real file or folder, or remove it (`ctx doctor` lists them)",
            path=relpath,
        )


def read_bytes_or_none(root: Path, relpath: str, safe: set[str] | None = None) -> bytes | None:
    """A file's bytes, None when absent; never through a symbolic link."""
    refuse_symlink(root, relpath, safe)
    try:
        fd = os.open(root / relpath, os.O_RDONLY | os.O_NOFOLLOW)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            refuse_symlink(root, relpath)
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read()


def decode_text(data: bytes, relpath: str) -> str:
    """A store file's bytes as text; InvalidEntryError naming the file when not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEntryError(
            f"{relpath}: not UTF-8 text (byte {exc.start})",
            "re-save the file as UTF-8",
            path=relpath,
        ) from None


def remove_file(root: Path, relpath: str) -> None:
    """Delete a file if present and prune the folders it leaves empty (git tracks none)."""
    path = root / relpath
    with suppress(FileNotFoundError, NotADirectoryError):
        path.unlink()
    prune_empty(root, path.parent)


def prune_empty(root: Path, directory: Path) -> None:
    """Remove empty folders from `directory` up to tree/, archive/ or the root."""
    stop = {root / "tree", root / "archive", root}
    while directory not in stop and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def temp_files(root: Path, folders: Iterable[str] | None = None) -> list[str]:
    """Relpaths of atomic_write's temp files left by a killed writer: in `folders` (relpaths)
    plus the root and .git, or everywhere outside cache/ when `folders` is None."""
    found: list[str] = []
    if folders is None:
        todo = [root / "tree", root / "archive"]
        walk = True
    else:
        todo = [root / f for f in sorted(set(folders))]
        walk = False
    todo += [root, root / ".git"]
    seen: set[Path] = set()
    while todo:
        directory = todo.pop()
        if directory in seen:
            continue
        seen.add(directory)
        try:
            items = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for item in items:
            if item.is_dir(follow_symlinks=False):
                if walk and directory != root and directory != root / ".git":
                    todo.append(Path(item.path))
            elif _TEMP_RE.fullmatch(item.name):
                found.append(os.path.relpath(item.path, root).replace(os.sep, "/"))
    return sorted(found)


def sweep_temp_files(root: Path, folders: Iterable[str] | None = None) -> list[str]:
    """Delete the temp files `temp_files` finds; returns their relpaths."""
    found = temp_files(root, folders)
    for relpath in found:
        with suppress(FileNotFoundError):
            os.unlink(root / relpath)
    return found


@dataclass(frozen=True)
class Store:
    """A store on disk, by its root: the only reader and writer of its files."""

    root: Path

    # ---- reading -------------------------------------------------------------------------
    def check(self, recover: bool = True) -> Store:
        """Raise unless this is a store; then, with `recover`, repair an interrupted write
        (SPEC §8: every command first finishes or undoes it; one stat when there is none)."""
        if not (self.root / STORE_MARKER).is_file():
            raise StoreError(
                f"no ctx store at {self.root}",
                no_store_hint("to create one"),
            )
        if recover:
            self.recover()
        return self

    def path(self, relpath: str) -> Path:
        return self.root / relpath

    def exists(self, entry_id: str) -> bool:
        return self.is_file(entry_relpath(entry_id))

    def is_file(self, relpath: str) -> bool:
        """A regular file (a symbolic link is not one: the store never follows links)."""
        try:
            return stat.S_ISREG(os.lstat(self.root / relpath).st_mode)
        except (FileNotFoundError, NotADirectoryError):
            return False

    def folder_exists(self, prefix: str) -> bool:
        try:
            return stat.S_ISDIR(os.lstat(self.root / "tree" / prefix).st_mode)
        except (FileNotFoundError, NotADirectoryError):
            return False

    def read_bytes(self, relpath: str) -> bytes | None:
        """A file's bytes, None when absent; InvalidEntryError through a symbolic link."""
        return read_bytes_or_none(self.root, relpath)

    def read_text(self, relpath: str) -> str:
        data = self.read_bytes(relpath)
        if data is None:
            raise NotFoundError(f"no file {relpath}", "")
        return decode_text(data, relpath)

    def read_entry(self, entry_id: str) -> Entry:
        relpath = entry_relpath(entry_id)
        refuse_symlink(self.root, relpath)
        if not self.is_file(relpath):
            raise missing_entry(self, entry_id)
        from ctxtree.tree import frontmatter

        return frontmatter.parse(self.read_text(relpath), entry_id, relpath)

    def entry_paths(self, prefix: str = "", area: str = "tree") -> list[tuple[str, str]]:
        """(id, relpath) of every entry file under `area/prefix`, sorted by id."""
        base = self.root / area
        start = base / prefix if prefix else base
        out: list[tuple[str, str]] = []
        if start.is_file() or (prefix and (base / f"{prefix}.md").is_file()):
            relpath = f"{area}/{prefix}.md"
            entry_id = id_from_relpath(relpath)
            return [(entry_id, relpath)] if entry_id else []
        stack = [start]
        root_len = len(str(self.root)) + 1
        while stack:
            directory = stack.pop()
            try:
                items = list(os.scandir(directory))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for item in items:
                if item.name.startswith(".") or item.is_symlink():
                    continue
                if item.is_dir(follow_symlinks=False):
                    stack.append(Path(item.path))
                elif item.name.endswith(".md"):
                    relpath = item.path[root_len:].replace(os.sep, "/")
                    entry_id = id_from_relpath(relpath)
                    if entry_id is not None:
                        out.append((entry_id, relpath))
        out.sort()
        return out

    def stamps(self, area: str = "tree") -> list[tuple[str, str, int, int]]:
        """(id, relpath, mtime_ns, size) of every entry file in `area`: the index compares
        these with what it has, so hand edits are picked up without a reindex."""
        out: list[tuple[str, str, int, int]] = []
        root_len = len(str(self.root)) + 1
        stack = [str(self.root / area)]
        while stack:
            directory = stack.pop()
            try:
                items = list(os.scandir(directory))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for item in items:
                name = item.name
                if name[0] == "." or item.is_symlink():
                    continue
                if name.endswith(".md"):
                    relpath = item.path[root_len:].replace(os.sep, "/")
                    entry_id = indexable_id(relpath)
                    if entry_id is not None:
                        try:
                            stat = item.stat()
                        except FileNotFoundError:
                            continue
                        out.append((entry_id, relpath, stat.st_mtime_ns, stat.st_size))
                elif item.is_dir(follow_symlinks=False):
                    stack.append(item.path)
        return out

    def folder_stamps(self, known: dict[str, int] | None = None) -> dict[str, int]:
        """mtime_ns of tree/, archive/ and every folder below them, by relpath.

        With `known` (the previous result), a folder whose mtime is unchanged keeps its known
        subfolders (adding or removing one changes the parent's mtime), so only changed
        folders are listed: a stat per folder instead of reading every directory entry."""
        children: dict[str, list[str]] = {}
        for rel in known or {}:
            parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
            children.setdefault(parent, []).append(rel)
        out: dict[str, int] = {}
        stack = ["tree", "archive"]
        base = f"{self.root}/"  # a str, not a Path per folder: half of this loop's cost
        while stack:
            rel = stack.pop()
            path = base + rel
            try:
                mtime = os.stat(path).st_mtime_ns
            except (FileNotFoundError, NotADirectoryError):
                continue
            out[rel] = mtime
            if known is not None and known.get(rel) == mtime:
                stack.extend(children.get(rel, ()))
                continue
            try:
                items = list(os.scandir(path))
            except (FileNotFoundError, NotADirectoryError):
                continue
            stack.extend(
                f"{rel}/{item.name}"
                for item in items
                if item.name[0] != "." and item.is_dir(follow_symlinks=False)
            )
        return out

    def stamps_in(self, folder: str) -> list[tuple[str, str, str, int, int]]:
        """(id, relpath, area, mtime_ns, size) of the entry files directly in one folder."""
        out: list[tuple[str, str, str, int, int]] = []
        try:
            items = list(os.scandir(self.root / folder))
        except (FileNotFoundError, NotADirectoryError):
            return out
        area = folder.split("/", 1)[0]
        for item in items:
            if item.name[0] == "." or not item.name.endswith(".md") or item.is_symlink():
                continue
            relpath = f"{folder}/{item.name}"
            entry_id = indexable_id(relpath)
            if entry_id is None:
                continue
            try:
                stat = item.stat()
            except FileNotFoundError:
                continue
            out.append((entry_id, relpath, area, stat.st_mtime_ns, stat.st_size))
        return out

    def entries(
        self, prefix: str = "", contains: str | None = None
    ) -> tuple[list[Entry], list[InvalidEntryError]]:
        """Parse every entry under `prefix` (only files whose text holds `contains`, if given)."""
        from ctxtree.tree import frontmatter

        entries: list[Entry] = []
        problems: list[InvalidEntryError] = []
        for entry_id, relpath in self.entry_paths(prefix):
            try:
                text = self.read_text(relpath)
                if contains is not None and contains not in text:
                    continue
                entries.append(frontmatter.parse(text, entry_id, relpath))
            except InvalidEntryError as exc:
                problems.append(exc)
        return entries, problems

    def files_under(self, folder: str, area: str = "tree") -> list[str]:
        """Relpaths of every file under `area/folder/` (entries, overviews, summaries), sorted;
        hidden names and symbolic links are left out (the store never follows links)."""
        out: list[str] = []
        root_len = len(str(self.root)) + 1
        stack = [str(self.root / area / folder)]
        while stack:
            try:
                items = list(os.scandir(stack.pop()))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for item in items:
                if item.name[0] == "." or item.is_symlink():
                    continue
                if item.is_dir(follow_symlinks=False):
                    stack.append(item.path)
                else:
                    out.append(item.path[root_len:].replace(os.sep, "/"))
        return sorted(out)

    def symlinks(self) -> list[tuple[str, str]]:
        """(relpath, where it points) of every symbolic link under tree/ and archive/:
        scans skip them and reads refuse them, so they are reported, never followed."""
        found = []
        for area in ("tree", "archive"):
            for folder, dirs, files in os.walk(self.root / area):
                for name in dirs + files:
                    path = os.path.join(folder, name)
                    if os.path.islink(path):
                        relpath = os.path.relpath(path, self.root).replace(os.sep, "/")
                        found.append((relpath, os.readlink(path)))
        return sorted(found)

    def read_config_text(self) -> str:
        return self.read_text(STORE_MARKER)

    def config(self) -> dict[str, Any]:
        """config.yaml over the defaults. The parsed values are cached as JSON in cache/,
        keyed by the file's stamp, so read commands skip loading the YAML parser."""
        from ctxtree import config

        path = self.root / STORE_MARKER
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise StoreError(f"{path} is missing", "run `ctx init` to recreate it") from None
        stamp = [stat.st_mtime_ns, stat.st_size]
        cached = self.root / "cache" / "config.json"
        try:
            data = json.loads(cached.read_text(encoding="utf-8"))
            if data.get("stamp") == stamp and isinstance(data.get("values"), dict):
                return config.merged(data["values"])
        except (OSError, ValueError):
            pass
        from ctxtree.tree import frontmatter

        try:
            loaded = frontmatter.load_yaml(self.read_config_text(), STORE_MARKER)
        except InvalidEntryError:
            raise
        except Exception as exc:
            raise StoreError(
                f"{path} is not valid YAML: {exc}".splitlines()[0],
                "fix the file by hand, or restore it with `git -C <store> checkout config.yaml`",
            ) from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise StoreError(f"{path} must be a YAML mapping", "fix the file")
        try:
            payload = json.dumps({"stamp": stamp, "values": loaded})
            atomic_write(cached, payload.encode("utf-8"))
        except (OSError, TypeError, ValueError):
            pass  # the cache is an optimisation; values YAML alone can express are re-read
        return config.merged(loaded)

    # ---- writing -------------------------------------------------------------------------
    @contextmanager
    def transaction(
        self,
        op: str,
        actor: str,
        sources: Sequence[str] = (),
        lock_timeout: float = 30.0,
        *,
        dry_run: bool = False,
        date: str | None = None,
    ) -> Iterator[Transaction]:
        """Lock, repair what a crashed writer left, collect writes; on exit write them and
        commit once (tree/transaction.py), journaled so that a crash at any moment leaves,
        after the next command, exactly the state before or after the write.

        With `dry_run`, nothing is written or committed: `tx.diff` holds what would change.
        `date` (ISO 8601) becomes the commit's author and committer time, so history follows
        the session clock (CTX_NOW) and `--as-of` can be tested.
        """
        from ctxtree.tree.git import GitRepo
        from ctxtree.tree.lock import write_lock
        from ctxtree.tree.transaction import Transaction

        self.check(recover=False)
        if not (self.root / ".git").is_dir():
            GitRepo(self.root)  # raises the clear "no git repository" error
        with write_lock(self.root / ".git" / "ctx.lock", lock_timeout) as lock_fd:
            repo = GitRepo(self.root, lock_fd=lock_fd)
            self._repair_locked(repo)
            tx = Transaction(
                self, op=op, actor=actor, sources=list(sources), dry_run=dry_run, date=date,
                repo=repo,
            )  # fmt: skip
            try:
                yield tx
            except BaseException:
                tx.settle(failed=True)
                raise
            tx.settle(failed=False)
            if dry_run:
                tx.diff = tx.diff or tx.preview()  # a caller may have described it
            else:
                tx.apply()

    def _repair_locked(self, repo: Any) -> None:
        """Under the write lock: finish or undo an interrupted write, and remove git lock
        files a killed git left (each a stat when there is nothing to do)."""
        from ctxtree.tree import journal
        from ctxtree.tree.gitlocks import clear_stale_locks

        if journal_pending(self.root):
            done = journal.recover(self.root, repo)
            if done is not None:
                _announce(done.describe())
        if (self.root / ".git" / "index.lock").exists():
            removed = clear_stale_locks(self.root)
            if removed:
                _announce(f"removed stale git lock files left by a killed git: {removed}")

    def recover(self, wait: float = 30.0) -> bool:
        """Repair an interrupted write if one is pending. While its writer still runs, this
        returns False at once (a reader does not wait for a live write). When the writer is
        dead, its git processes may still hold the lock for a moment (they inherit it): wait
        up to `wait` seconds for them, then repair. Returns whether the store is settled."""
        if not journal_pending(self.root):
            return True
        from ctxtree.tree import journal

        if journal.writer_alive(self.root):
            return False
        from ctxtree.tree.git import GitRepo
        from ctxtree.tree.lock import try_write_lock

        with try_write_lock(self.root / ".git" / "ctx.lock", wait) as lock_fd:
            if lock_fd is None:
                return False
            self._repair_locked(GitRepo(self.root, lock_fd=lock_fd))
        return True


def _announce(text: str) -> None:
    """A repair notice, on stderr whoever opened the store (CLI, hook or Python API): a
    repair is rare and must never pass unseen. (The logging module would cost every command
    ~10 ms of start-up.)"""
    import sys

    sys.stderr.write(f"ctx: {text}\n")


def init_files(root: Path, config_text: str) -> list[str]:
    """Create a new store's files; returns the relpaths to commit."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "tree").mkdir(exist_ok=True)
    (root / "cache").mkdir(exist_ok=True)
    atomic_write(root / STORE_MARKER, config_text.encode("utf-8"))
    atomic_write(root / ".gitignore", GITIGNORE.encode("utf-8"))
    atomic_write(root / ".gitattributes", GITATTRIBUTES.encode("utf-8"))
    atomic_write(root / "tree" / ".gitkeep", b"")
    return [STORE_MARKER, ".gitignore", ".gitattributes", "tree/.gitkeep"]
