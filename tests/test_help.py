"""Every command's --help shows an Examples: block and describes every argument and option.

The walk covers every command the app registers (nested `import` subcommands too), so a
new command without examples or descriptions fails here."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main

from ctxtree.cli.app import build


def _commands() -> list[tuple[str, Any]]:
    group = typer.main.get_command(build())
    root = group.make_context("ctx", [], resilient_parsing=True)
    found: list[tuple[str, Any]] = [("ctx", group)]
    pending: list[tuple[str, Any, Any]] = [("ctx", group, root)]
    while pending:
        path, command, context = pending.pop()
        for name in command.list_commands(context):
            child = command.get_command(context, name)
            child_path = f"{path} {name}"
            found.append((child_path, child))
            if hasattr(child, "list_commands"):
                sub = child.make_context(child_path, [], parent=context, resilient_parsing=True)
                pending.append((child_path, child, sub))
    return found


COMMANDS = _commands()


def test_the_walk_reaches_nested_commands() -> None:
    names = [path for path, _command in COMMANDS]
    assert "ctx import transcript" in names and "ctx search" in names and len(names) > 30


@pytest.mark.parametrize("path, command", COMMANDS, ids=[path for path, _c in COMMANDS])
def test_help_has_examples(path: str, command: Any) -> None:
    context = command.make_context(path, [], resilient_parsing=True)
    text = command.get_help(context)
    lines = text.splitlines()
    assert "  Examples:" in lines, f"`{path} --help` has no Examples: block"
    examples = lines[lines.index("  Examples:") + 1 :]
    assert examples and examples[0].startswith("    ctx "), examples[:1]


@pytest.mark.parametrize("path, command", COMMANDS, ids=[path for path, _c in COMMANDS])
def test_every_parameter_is_described(path: str, command: Any) -> None:
    bare = [
        param.human_readable_name
        for param in command.params
        if param.name not in ("help",) and not (getattr(param, "help", None) or "").strip()
    ]
    assert bare == [], f"`{path}`: no description for {', '.join(bare)}"
