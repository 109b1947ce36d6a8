"""Other memory tools' folders and files, read for `import_records`: where each tool keeps
its memory, read from disk (tree/sourcefiles.py), handed to its format module. The files the
folder reader left out are reported with the format's own skips, in path order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from ctxtree.curation.importers.records import Imported, Skipped
from ctxtree.errors import NotFoundError

# Where each tool keeps its memory under a project: a DIR naming the project (or a folder
# on the way) is followed down to it.
LAYOUTS: Mapping[str, tuple[str, ...]] = {
    "byterover": (".brv/context-tree", "context-tree"),
    "memory-bank": ("memory-bank",),
    "serena": (".serena/memories", "memories"),
    "basic-memory": (),
}


def locate(fmt: str, path: Path) -> Path:
    """The folder holding `fmt`'s memory: `path` itself, or the first of the format's usual
    places under it."""
    for below in LAYOUTS[fmt]:
        if (path / below).is_dir():
            return path / below
    if not path.is_dir():
        raise NotFoundError(f"no folder {path}", "check the path")
    return path


def read_source(fmt: str, path: Path, parse: Callable[[Mapping[str, str]], Imported]) -> Imported:
    """`parse` applied to the markdown files of `fmt`'s folder at or under `path`."""
    from ctxtree.tree.sourcefiles import read_folder

    folder = read_folder(locate(fmt, path))
    read = parse({f.path: f.text for f in folder.files})
    left_out = [Skipped(p, reason) for p, reason in folder.skipped]
    return replace(read, skipped=tuple(sorted((*left_out, *read.skipped), key=lambda s: s.path)))


def byterover(path: Path) -> Imported:
    from ctxtree.curation.importers.byterover import read_tree

    return read_source("byterover", path, read_tree)


def checked_domain(domain: str) -> str:
    """`domain` when it is a slug our ids can start with (InvalidEntryError otherwise)."""
    from ctxtree.tree.paths import check_segment

    check_segment(domain, domain)
    return domain


def read_notes(fmt: str, path: Path, domain: str) -> Imported:
    """A memory bank, Serena's memories or a Basic Memory project (`fmt`) under `domain`."""
    from ctxtree.curation.importers import basic_memory, memory_bank, serena

    parsers: dict[str, Callable[[Mapping[str, str], str], Imported]] = {
        "memory-bank": memory_bank.read_bank,
        "serena": serena.read_memories,
        "basic-memory": basic_memory.read_project,
    }
    parse = parsers[fmt]
    checked_domain(domain)
    return read_source(fmt, path, lambda files: parse(files, domain))
