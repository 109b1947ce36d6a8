"""Builds the demo store from the sample knowledge shipped in ctxtree/templates/demo/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from ctxtree.errors import ConflictError
from ctxtree.service import admin
from ctxtree.service.session import Session, clock
from ctxtree.tree.paths import STORE_MARKER
from ctxtree.tree.store import Store


def sample_files() -> Iterator[tuple[str, str]]:
    """(relpath under tree/, text) for every shipped sample file."""
    base = resources.files("ctxtree.templates") / "demo" / "tree"

    def walk(node: Traversable, prefix: str) -> Iterator[tuple[str, str]]:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            rel = f"{prefix}{child.name}"
            if child.is_dir():
                yield from walk(child, rel + "/")
            elif child.name.endswith(".md"):
                yield rel, child.read_text(encoding="utf-8")

    yield from walk(base, "")


def build(directory: Path, actor: str = "human:demo") -> Session:
    """A new store at directory/.ctx holding the sample knowledge, in one commit."""
    root = directory / ".ctx"
    if (root / STORE_MARKER).exists():
        raise ConflictError(
            f"{directory} already holds a ctx store", "give `ctx demo` an empty directory"
        )
    env = dict(os.environ)
    env["CTX_ACTOR"] = actor
    admin.init(str(root), False, env, directory, here=True)
    session = Session(store=Store(root), now=clock(env), actor_override=actor)
    with session.store.transaction("import", actor, ["template:demo"]) as tx:
        count = 0
        for relpath, text in sample_files():
            tx.write(f"tree/{relpath}", text)
            count += not relpath.endswith("context.md")
        tx.subject = f"{count} sample entries"
        tx.body = "Sample knowledge of a fictional bookshop app, shipped with ctxtree."
    return session
