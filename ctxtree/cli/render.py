"""Rendering: the tree drawing, and rich progress bars (the only module that imports rich,
always lazily)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ctxtree.tree.model import EntryRef
from ctxtree.wording import plural, shorten


def nest(refs: list[EntryRef], prefix: str, depth: int | None) -> dict[str, Any]:
    """Folders as nested dicts, entries as {"id", "title"} leaves under "_entries"."""
    root: dict[str, Any] = {}
    skip = len(prefix.split("/")) if prefix else 0
    for ref in refs:
        parts = ref.id.split("/")[skip:]
        folders, _name = parts[:-1], parts[-1]
        node = root
        for level, folder in enumerate(folders, start=1):
            if depth is not None and level > depth:
                break
            node = node.setdefault(folder, {})
        else:
            if depth is None or len(folders) < depth:
                node.setdefault("_entries", []).append({"id": ref.id, "title": ref.title})
                continue
        node["_count"] = node.get("_count", 0) + 1
    return root


def tree_lines(nested: dict[str, Any], label: str, width: int | None = None) -> list[str]:
    """`nest`'s folders and entries drawn as a tree, one line each: `name/ (count)` for a
    folder, `leaf — title` for an entry. With `width`, a title that would pass it is cut
    with an ellipsis (a terminal); without, titles are whole (a pipe or a file)."""

    def count(node: dict[str, Any]) -> int:
        total: int = len(node.get("_entries", [])) + int(node.get("_count", 0))
        return total + sum(count(v) for k, v in node.items() if not k.startswith("_"))

    lines = [f"{label} ({plural(count(nested), 'entry')})"]

    def fill(node: dict[str, Any], indent: str) -> None:
        folders = sorted(k for k in node if not k.startswith("_"))
        items: list[tuple[str, Any]] = [("folder", name) for name in folders]
        items += [("entry", item) for item in node.get("_entries", [])]
        for position, (what, item) in enumerate(items):
            last = position == len(items) - 1
            branch, below = ("└── ", "    ") if last else ("├── ", "│   ")
            if what == "folder":
                lines.append(f"{indent}{branch}{item}/ ({count(node[item])})")
                fill(node[item], indent + below)
                continue
            lead = f"{indent}{branch}{item['id'].rsplit('/', 1)[-1]} — "
            title = str(item["title"])
            if width is not None:
                title = shorten(title, max(width - len(lead), 12))
            lines.append(lead + title)

    fill(nested, "")
    return lines


def print_tree(nested: dict[str, Any], label: str) -> None:
    """The tree on stdout: fitted to a terminal's width, whole when piped."""
    import shutil

    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    for line in tree_lines(nested, label, width):
        sys.stdout.write(line + "\n")


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr (hidden when stderr is not a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        f"[bold]{label}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=None, transient=True, disable=not sys.stderr.isatty(),
    )  # fmt: skip
    bar.console.file = sys.stderr
    task = bar.add_task(label, total=None)
    with bar:

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
