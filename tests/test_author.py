"""Who a write is attributed to: --author on every mutating command, then CTX_ACTOR, then
the store's `actor` setting, then human:$USER; plans follow the same order."""

from __future__ import annotations

import json

import pytest
from conftest import Ctx, add

from ctxtree.cli.app import build


def actor(ctx: Ctx) -> str:
    return ctx.git("log", "-1", "--format=%(trailers:key=Ctx-Actor,valueonly)").strip()


PLAN = json.dumps(
    {"operations": [{"op": "ADD", "id": "a/b/plan", "title": "From a plan", "reason": "r"}]}
)


def test_plan_author_follows_flag_env_config_default(ctx: Ctx) -> None:
    env = dict(ctx.env)
    env.pop("CTX_ACTOR")
    env["USER"] = "alice"
    plain = Ctx(ctx.cwd, env)
    plain.ok("apply", "-", input=PLAN)
    assert actor(ctx) == "human:alice"
    assert json.loads(plain.ok("show", "a/b/plan", "--json"))["author"] == "human:alice"
    plain.ok("config", "set", "actor", "codex")
    plain.ok("edit", "a/b/plan", "--add-tag", "x")
    assert actor(ctx) == "codex"
    with_env = Ctx(ctx.cwd, {**env, "CTX_ACTOR": "claude-code"})
    with_env.ok("edit", "a/b/plan", "--add-tag", "y")
    assert actor(ctx) == "claude-code"
    with_env.ok("edit", "a/b/plan", "--add-tag", "z", "--author", "human:bob")
    assert actor(ctx) == "human:bob"
    with_env.ok("apply", "-", "--author", "cursor", input=PLAN.replace("a/b/plan", "a/b/p2"))
    assert actor(ctx) == "cursor"
    assert json.loads(plain.ok("show", "a/b/p2", "--json"))["author"] == "cursor"


# Every command that commits, with arguments that make it commit in the store `setup` builds.
MUTATING = [
    ("add", ["a/b/new", "--title", "New"]),
    ("edit", ["a/b/c", "--add-tag", "t"]),
    ("mv", ["a/b/c", "a/b/moved"]),
    ("rm", ["a/b/d"]),
    ("link", ["a/b/c", "a/b/d"]),
    ("unlink", ["a/b/e", "a/b/c"]),
    ("merge", ["a/b/d", "a/b/c"]),
    ("supersede", ["a/b/c", "a/b/d"]),
    ("archive", ["a/b/c"]),
    ("split", ["a/b/s"]),
    ("apply", ["-"]),
    ("forget", ["a/b/c"]),
    ("config", ["set", "limits.max_entry_bytes", "300000"]),
    ("undo", []),
    ("maintain", []),
]


def setup(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    add(ctx, "a/b/d", "D")
    add(ctx, "a/b/e", "E", "--relate", "related:a/b/c")
    add(ctx, "a/b/s", "S", "--body", "## One\n\nfirst\n\n## Two\n\nsecond")


@pytest.mark.parametrize(("command", "args"), MUTATING, ids=[c for c, _ in MUTATING])
def test_every_mutating_command_takes_author(ctx: Ctx, command: str, args: list[str]) -> None:
    setup(ctx)
    run = ctx(command, *args, "--author", "agent-x", input=PLAN)
    assert run.code == 0, run.stderr
    assert actor(ctx) == "agent-x"


def test_every_committing_command_has_the_option() -> None:
    import typer.main

    group = typer.main.get_command(build())
    commands = getattr(group, "commands", {})
    writers = {c for c, _ in MUTATING} | {"restore", "commit", "lint", "init", "import"}
    missing = []
    for name in sorted(writers):
        command = commands[name]
        subs = getattr(command, "commands", None) or {name: command}
        for sub in subs.values():
            if not any("--author" in p.opts for p in sub.params):
                missing.append(f"{name} {sub.name}")
    assert missing == []


def test_a_token_shaped_author_is_refused(ctx: Ctx) -> None:
    run = ctx("add", "a/b/c", "--title", "C", "--author", "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2)
    assert run.code == 5
