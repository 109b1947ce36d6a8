"""The only module that reads and writes store files. Writes are atomic and transactional:
every mutation happens under the write lock and lands as exactly one git commit, or not at all.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctxtree.errors import InvalidEntryError, NotFoundError, StoreError
from ctxtree.tree import frontmatter
from ctxtree.tree.model import Entry
from ctxtree.tree.paths import STORE_MARKER, entry_relpath, id_from_relpath

GITIGNORE = "cache/\n"


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


@dataclass(frozen=True)
class Store:
    root: Path

    # ---- reading -------------------------------------------------------------------------
    def check(self) -> Store:
        if not (self.root / STORE_MARKER).is_file():
            raise StoreError(
                f"no ctx store at {self.root}",
                "run `ctx init` to create one, or pass --tree PATH / set CTX_TREE",
            )
        return self

    def path(self, relpath: str) -> Path:
        return self.root / relpath

    def exists(self, entry_id: str) -> bool:
        return self.path(entry_relpath(entry_id)).is_file()

    def folder_exists(self, prefix: str) -> bool:
        return (self.root / "tree" / prefix).is_dir()

    def read_text(self, relpath: str) -> str:
        try:
            data = self.path(relpath).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no file {relpath}", "") from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidEntryError(
                f"{relpath}: not UTF-8 text (byte {exc.start})",
                "re-save the file as UTF-8",
                path=relpath,
            ) from None

    def read_entry(self, entry_id: str) -> Entry:
        relpath = entry_relpath(entry_id)
        if not self.path(relpath).is_file():
            raise NotFoundError(
                f"no entry {entry_id!r}",
                "list entries with `ctx ls [PREFIX]`",
            )
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
                if item.name.startswith("."):
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
                if name[0] == ".":
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
        while stack:
            rel = stack.pop()
            path = self.root / rel
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
            if item.name[0] == "." or not item.name.endswith(".md"):
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
        """Lock, validate git, collect writes; on exit write them and commit once.

        If anything fails (including Ctrl-C) before the commit lands, every file is restored.
        With `dry_run`, nothing is written or committed: `tx.diff` holds what would change.
        `date` (ISO 8601) becomes the commit's author and committer time, so history follows
        the session clock (CTX_NOW) and `--as-of` can be tested.
        """
        from ctxtree.tree.git import GitRepo
        from ctxtree.tree.lock import write_lock

        self.check()
        if not (self.root / ".git").is_dir():
            GitRepo(self.root)  # raises the clear "no git repository" error
        with write_lock(self.root / ".git" / "ctx.lock", lock_timeout):
            repo = GitRepo(self.root)
            tx = Transaction(
                self, op=op, actor=actor, sources=list(sources), dry_run=dry_run, date=date
            )
            yield tx
            if dry_run:
                tx.diff = tx.diff or tx.preview()  # a caller may have described it
            else:
                tx.apply(repo)


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

    def read(self, relpath: str) -> str | None:
        """A file as this transaction would leave it (pending writes first), None if absent."""
        if relpath in self.writes:
            data = self.writes[relpath]
            return None if data is None else data.decode("utf-8")
        path = self.store.path(relpath)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def preview(self) -> str:
        """The unified diff (git style, a/ and b/ paths) of every pending write."""
        import difflib

        chunks: list[str] = []
        for relpath in sorted(self.writes):
            data = self.writes[relpath]
            path = self.store.path(relpath)
            before = path.read_bytes() if path.is_file() else None
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
        for relpath, data in self.writes.items():
            path = self.store.path(relpath)
            current = path.read_bytes() if path.is_file() else None
            if current != data:
                return True
        return False

    def apply(self, repo: Any) -> None:
        from ctxtree.tree.git import commit_message

        if not self.staged and (not self.writes or (not self.force and not self.changed())):
            return
        backups: dict[str, bytes | None] = {}
        try:
            for relpath, data in self.writes.items():
                path = self.store.path(relpath)
                backups[relpath] = path.read_bytes() if path.is_file() else None
                if data is None:
                    if path.exists():
                        path.unlink()
                    self._prune(path.parent)
                else:
                    atomic_write(path, data)
            message = commit_message(self.op, self.subject, self.actor, self.sources, self.body)
            # A file created and deleted within one transaction never reached git.
            paths = {p for p, data in self.writes.items() if data is not None or backups[p]}
            self.commit_sha = repo.commit(sorted({*paths, *self.staged}), message, date=self.date)
        except BaseException:
            for relpath, data in backups.items():
                path = self.store.path(relpath)
                if data is None:
                    if path.exists():
                        path.unlink()
                    self._prune(path.parent)
                else:
                    atomic_write(path, data)
            raise

    def _prune(self, directory: Path) -> None:
        """Remove folders left empty (git does not track them), up to tree/ or archive/."""
        stop = {self.store.root / "tree", self.store.root / "archive", self.store.root}
        while directory not in stop and directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
            directory = directory.parent


def init_files(root: Path, config_text: str) -> list[str]:
    """Create a new store's files; returns the relpaths to commit."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "tree").mkdir(exist_ok=True)
    (root / "cache").mkdir(exist_ok=True)
    atomic_write(root / STORE_MARKER, config_text.encode("utf-8"))
    atomic_write(root / ".gitignore", GITIGNORE.encode("utf-8"))
    atomic_write(root / "tree" / ".gitkeep", b"")
    return [STORE_MARKER, ".gitignore", "tree/.gitkeep"]
