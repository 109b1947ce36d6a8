"""`ctx merge-driver %O %A %B %P`: the git merge driver of the store's markdown files.

The store's `.gitattributes` sends `tree/**/*.md` and `archive/**/*.md` here and its git
config (`merge.ctx.driver`, set by `ctx init`, `ctx clone` and `ctx doctor`) names this
command. git calls it with the base (%O), ours (%A, where the result goes) and theirs (%B)
as temp files and the path (%P); exit 0 means merged, anything else a normal conflict.

- An entry merges field by field (curation/merging.py); a body both sides changed merges
  three-way with `git merge-file`; conflicting hunks stay as git's markers in the body (the
  frontmatter is still merged and valid) and the exit status is 1, so git reports a conflict
  that `ctx lint` points at.
- A side that does not parse as an entry: a plain three-way text merge of the files, exit 1
  always (a normal conflict, never a merged-but-corrupt entry).
- `_index.md` is derived: ours is kept as it is, exit 0. Its input digest no longer matches
  the merged folder, so `ctx lint` reports it stale and `ctx maintain` (or `lint --fix`)
  regenerates it.
- Any other markdown (`context.md` overviews): a plain three-way text merge.

It runs inside a plain `git merge`, so it takes no lock and writes only %A; it imports no CLI
framework and no gitpython. `ctx sync` does not pay a process per file: it lets git stop on
every file both sides changed and merges them all in its own process with the same function
(`merge_versions`), under the store's lock.
"""

from __future__ import annotations

from pathlib import Path

from ctxtree.curation.merging import merge_entries
from ctxtree.errors import InvalidEntryError
from ctxtree.tree import frontmatter
from ctxtree.tree.git import merge_texts
from ctxtree.tree.model import Entry
from ctxtree.tree.paths import id_from_relpath
from ctxtree.tree.store import atomic_write

MERGED, CONFLICT = 0, 1
LABELS = ("ours", "base", "theirs")


def _parse(data: bytes, entry_id: str, relpath: str) -> Entry | None:
    try:
        return frontmatter.parse(data.decode("utf-8"), entry_id, relpath)
    except (InvalidEntryError, UnicodeDecodeError):
        return None


def _merge_bodies(base: str, ours: str, theirs: str) -> tuple[str, bool]:
    merged, conflict = merge_texts(
        base.encode("utf-8"), ours.encode("utf-8"), theirs.encode("utf-8"), LABELS
    )
    return merged.decode("utf-8", "replace"), conflict


def merge_versions(base: bytes, ours: bytes, theirs: bytes, relpath: str) -> tuple[bytes, bool]:
    """The merged content of `relpath` and whether it is a conflict (module docstring): what
    the driver writes to %A, and what `ctx sync` computes in its own process for every file
    of a merge at once."""
    name = relpath.rsplit("/", 1)[-1]
    if name == "_index.md":
        return ours, False
    entry_id = id_from_relpath(relpath)
    if entry_id is None:
        return merge_texts(base, ours, theirs, LABELS)
    mine, other = _parse(ours, entry_id, relpath), _parse(theirs, entry_id, relpath)
    if mine is None or other is None:
        return merge_texts(base, ours, theirs, LABELS)[0], True
    old = _parse(base, entry_id, relpath) if base.strip() else None
    merged = merge_entries(old, mine, other, _merge_bodies)
    data = frontmatter.serialize(merged.entry).encode("utf-8")
    if not merged.conflict and _parse(data, entry_id, relpath) is None:
        # never hand git an entry that does not parse
        return merge_texts(base, ours, theirs, LABELS)[0], True
    return (ours if data == ours else data), merged.conflict


def merge_file(base_path: str, ours_path: str, theirs_path: str, relpath: str) -> int:
    """Merge the three versions of `relpath` into `ours_path`; 0 merged, 1 conflict."""
    target = Path(ours_path)
    base, ours, theirs = (Path(p).read_bytes() for p in (base_path, ours_path, theirs_path))
    merged, conflict = merge_versions(base, ours, theirs, relpath)
    if merged != ours:
        atomic_write(target, merged)
    return CONFLICT if conflict else MERGED


def run(argv: list[str]) -> int:
    """The process entry point (`ctx merge-driver O A B P`, routed by cli/entry.py before
    the CLI framework loads). Any failure is a conflict with %A untouched: git then reports
    the file as conflicted instead of committing something we did not finish."""
    import sys

    if len(argv) != 4:
        print("usage: ctx merge-driver BASE OURS THEIRS PATH", file=sys.stderr)
        return 2
    try:
        return merge_file(*argv)
    except Exception as exc:  # a merge driver must never leave git with a traceback
        print(f"ctx merge-driver: {argv[3]}: {exc}", file=sys.stderr)
        return CONFLICT
