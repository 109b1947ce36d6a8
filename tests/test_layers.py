"""The packages form a stack: every import of ctxtree code, module level or inside a function,
points down it (STYLE.md "Layout"). A rule needed one floor down moves down, it is never
imported upward; an import that breaks this fails here, naming the file and the line."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ctxtree"

# Lowest first. A unit may import units below it and modules of its own package; nothing above.
LAYERS: tuple[tuple[str, ...], ...] = (
    # Stdlib-only leaves: the version, the named parts of hints, message wording, data files.
    ("ctxtree.version", "ctxtree.hints", "ctxtree.wording", "ctxtree.templates"),
    ("ctxtree.errors",),
    ("ctxtree.config",),
    # The model layer: providers and the action protocol; knows nothing of the store.
    ("ctxtree.llm",),
    ("ctxtree.tree",),
    ("ctxtree.retrieval",),
    ("ctxtree.curation",),
    ("ctxtree.service",),
    # The front ends over the service use cases: hooks and the Python API, then the command
    # line (which hands `ctx hook` to ctxtree.hooks before typer loads).
    ("ctxtree.hooks", "ctxtree.memory"),
    # The MCP server, over the Python API; only `ctx mcp` imports it.
    ("ctxtree.mcpserver",),
    ("ctxtree.cli",),
    # The package's own namespace re-exports the Python API and its errors.
    ("ctxtree", "ctxtree.__main__"),
)
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str:
    """The layer unit a dotted module belongs to: `ctxtree.tree.git` -> `ctxtree.tree`."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every ctxtree module `path` imports, anywhere in the file.
    `from ctxtree import config` names `ctxtree.config`; a name that is not a module
    (`from ctxtree import __version__`) names the package."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                is_module = (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(
                    ".py"
                ).exists() or (PACKAGE.parent / Path(*candidate.split("."))).is_dir()
                found.append((node.lineno, candidate if is_module else base))
    return [(line, name) for line, name in found if name.split(".")[0] == "ctxtree"]


def violations(paths: list[Path]) -> list[str]:
    problems = []
    for path in paths:
        unit = unit_of(module_name(path))
        shown = path.relative_to(PACKAGE.parent)
        if unit not in RANK:
            problems.append(f"{shown}: {unit} is in no layer; add it to LAYERS in {__name__}")
            continue
        for line, name in imported(path):
            target = unit_of(name)
            if target == unit:
                continue
            if target not in RANK:
                problems.append(f"{shown}:{line}: imports {name}, which is in no layer")
            elif RANK[target] >= RANK[unit]:
                problems.append(
                    f"{shown}:{line}: {unit} imports {name}, which is not below it "
                    f"({' <- '.join(u for units in LAYERS for u in units)}); move the rule "
                    "it needs down to the lowest package that uses it"
                )
    return problems


def test_every_import_points_down_the_stack() -> None:
    assert violations(sorted(PACKAGE.rglob("*.py"))) == []


def test_the_packages_have_no_cycle() -> None:
    """Redundant with the stack while every unit has a rank, but says what a cycle is if
    someone puts two units on one floor."""
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        unit = unit_of(module_name(path))
        edges.setdefault(unit, set()).update(
            unit_of(name) for _line, name in imported(path) if unit_of(name) != unit
        )

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in edges.get(start, ()):
            if step == goal or (step not in seen and reaches(step, goal, seen | {step})):
                return True
        return False

    assert sorted(unit for unit in edges if reaches(unit, unit, {unit})) == []


@pytest.mark.parametrize(
    ("where", "source", "complaint"),
    [
        (
            "tree/fake.py",
            "def f():\n    from ctxtree.curation import checks\n",
            "ctxtree/tree/fake.py:2: ctxtree.tree imports ctxtree.curation.checks",
        ),
        (
            "retrieval/fake.py",
            "from ctxtree.service.session import Session\n",
            "ctxtree/retrieval/fake.py:1: ctxtree.retrieval imports ctxtree.service.session",
        ),
        (
            "curation/fake.py",
            "from ..cli import app\n",
            "ctxtree/curation/fake.py:1: ctxtree.curation imports ctxtree.cli.app",
        ),
        ("service/fake.py", "from ctxtree.tree import git\nimport ctxtree.errors\n", None),
        (
            "config.py",
            "from ctxtree import tree\n",
            "ctxtree/config.py:1: ctxtree.config imports ctxtree.tree",
        ),
    ],
)
def test_an_upward_import_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, source: str, complaint: str | None
) -> None:
    """The checker itself, on a copy of the package with one file added or replaced."""
    import shutil

    copy = tmp_path / "ctxtree"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / where).write_text(source, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", copy)
    found = violations([copy / where])  # the copy resolves its imports; only one file is new
    if complaint is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith(complaint), found
