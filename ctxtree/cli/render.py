"""Rich rendering (the only module that imports rich, always lazily)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ctxtree.tree.model import EntryRef


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


def print_tree(nested: dict[str, Any], label: str) -> None:
    from rich.console import Console
    from rich.tree import Tree

    def count(node: dict[str, Any]) -> int:
        total: int = len(node.get("_entries", [])) + int(node.get("_count", 0))
        return total + sum(count(v) for k, v in node.items() if not k.startswith("_"))

    def fill(branch: Tree, node: dict[str, Any]) -> None:
        for name in sorted(k for k in node if not k.startswith("_")):
            child = node[name]
            fill(branch.add(f"[bold]{name}/[/bold] [dim]({count(child)})[/dim]"), child)
        for item in node.get("_entries", []):
            leaf = item["id"].rsplit("/", 1)[-1]
            branch.add(f"{leaf} [dim]— {item['title']}[/dim]")

    tree = Tree(f"[bold]{label}[/bold] [dim]({count(nested)} entries)[/dim]")
    fill(tree, nested)
    Console(file=sys.stdout, highlight=False, soft_wrap=True).print(tree)


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
