"""Reading a folder another tool wrote (an Obsidian vault, a docs/ folder, a `.brv` tree) for
`ctx import`: its text files, and every file left out with the reason. Nothing outside the
folder is read: symbolic links are reported, never followed."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ctxtree.errors import NotFoundError, UsageError

MAX_FILE_BYTES = 1024 * 1024  # a note bigger than this is a dump, not knowledge to import


@dataclass(frozen=True)
class SourceFile:
    """A text file of the folder: its path relative to the folder (`/`-separated) and text."""

    path: str
    text: str


@dataclass(frozen=True)
class SourceFolder:
    files: tuple[SourceFile, ...]
    skipped: tuple[tuple[str, str], ...]  # (path, reason), sorted by path


def _decoded(data: bytes) -> str | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None


def read_folder(
    root: Path, suffixes: tuple[str, ...] = (".md",), max_bytes: int = MAX_FILE_BYTES
) -> SourceFolder:
    """Every file under `root` whose name ends with one of `suffixes`, sorted by path. Left
    out with a reason: hidden files and folders (`.obsidian/`, `.git/`; reported once per
    folder), symbolic links, other suffixes, files over `max_bytes`, binary and non-UTF-8
    files."""
    try:
        mode = os.lstat(root).st_mode
    except FileNotFoundError:
        raise NotFoundError(f"no folder {root}", "check the path") from None
    if not stat.S_ISDIR(mode):
        raise UsageError(f"{root} is not a folder", "pass the folder to import")
    files: list[SourceFile] = []
    skipped: list[tuple[str, str]] = []
    for folder, dirs, names in os.walk(root):
        base = Path(folder).relative_to(root)
        for name in sorted(dirs):
            rel = (base / name).as_posix()
            if name.startswith("."):
                skipped.append((f"{rel}/", "hidden folder"))
                dirs.remove(name)
            elif os.path.islink(os.path.join(folder, name)):
                skipped.append((f"{rel}/", "symbolic link (not followed)"))
                dirs.remove(name)
        for name in names:
            rel = (base / name).as_posix()
            path = os.path.join(folder, name)
            reason = _unreadable(path, name, suffixes, max_bytes)
            if reason:
                skipped.append((rel, reason))
                continue
            with open(path, "rb") as handle:
                text = _decoded(handle.read(max_bytes + 1))
            if text is None:
                skipped.append((rel, "binary or not UTF-8 text"))
            else:
                files.append(SourceFile(rel, text))
    return SourceFolder(tuple(sorted(files, key=lambda f: f.path)), tuple(sorted(skipped)))


def _unreadable(path: str, name: str, suffixes: tuple[str, ...], max_bytes: int) -> str:
    if name.startswith("."):
        return "hidden file"
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return "symbolic link (not followed)"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if not name.lower().endswith(suffixes):
        return f"not a {'/'.join(suffixes)} file"
    if info.st_size > max_bytes:
        return f"{info.st_size:,} bytes, over the {max_bytes:,}-byte limit"
    return ""


def write_folder(root: Path, files: dict[str, str]) -> None:
    """Write `files` (relative path -> text) under `root` for `ctx export`, each atomically;
    a path through a symbolic link is refused, never followed."""
    from ctxtree.errors import StoreError
    from ctxtree.tree.store import atomic_write

    for relpath, text in sorted(files.items()):
        path = root / relpath
        probe = path
        while probe != root and probe != probe.parent:
            if probe.is_symlink():
                raise StoreError(f"{probe} is a symbolic link", "export into a real folder")
            probe = probe.parent
        atomic_write(path, text.encode("utf-8"))
