"""`ctx init`: advice inside a project's git repository, --gitignore, and no silent second
store below an existing one."""

from __future__ import annotations

import json
import subprocess

from conftest import Ctx


def git_init(ctx: Ctx) -> None:
    subprocess.run(["git", "init", "-q", str(ctx.cwd)], check=True, env=ctx.env)


def test_init_inside_a_git_repository_says_what_to_do(bare: Ctx) -> None:
    git_init(bare)
    run = bare("init")
    assert run.code == 0
    assert run.stdout == f"initialised a ctx store at {bare.store}\n"
    assert run.stderr == (
        f"note: {bare.cwd} is a git repository and .ctx/ is one of its own, so `git add -A` "
        "there would add it as an embedded repository. Ignore it (`ctx init --gitignore` adds "
        f"/.ctx/ to {bare.cwd}/.gitignore), or share it as a repository of its own (see the "
        "README: the store and your project's git).\n"
    )
    assert not (bare.cwd / ".gitignore").exists()  # nothing of the user's edited unasked


def test_init_outside_git_gives_no_advice(bare: Ctx) -> None:
    run = bare("init")
    assert (run.code, run.stderr) == (0, "")


def test_gitignore_adds_the_store_once(bare: Ctx) -> None:
    git_init(bare)
    (bare.cwd / ".gitignore").write_text("node_modules/")  # no final newline
    run = bare("init", "--gitignore")
    assert run.code == 0
    assert run.stderr == f"added /.ctx/ to {bare.cwd}/.gitignore\n"
    assert (bare.cwd / ".gitignore").read_text() == "node_modules/\n/.ctx/\n"
    again = bare("init", "--gitignore")  # the store exists and is ignored: nothing to do
    assert again.stderr == f"a ctx store already exists at {bare.store}; nothing changed\n"
    assert (bare.cwd / ".gitignore").read_text() == "node_modules/\n/.ctx/\n"
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=bare.cwd, env=bare.env, capture_output=True,
        text=True, check=True,
    ).stdout  # fmt: skip
    assert status == "?? .gitignore\n"  # git no longer sees .ctx/


def test_an_ignored_store_needs_no_advice(bare: Ctx) -> None:
    git_init(bare)
    (bare.cwd / ".gitignore").write_text(".ctx\n")
    data = json.loads(bare.ok("init", "--json"))
    assert data["project_repository"] == str(bare.cwd)
    assert data["ignored_by_project"] is True and data["gitignore_added"] is None


def test_gitignore_outside_a_git_repository_is_a_usage_error(bare: Ctx) -> None:
    run = bare("init", "--gitignore")
    assert run.code == 2
    assert "is not inside a git repository" in run.stderr
    assert not bare.store.exists()


def test_init_below_an_existing_store_is_refused(ctx: Ctx) -> None:
    sub = ctx.cwd / "packages" / "web"
    sub.mkdir(parents=True)
    below = Ctx(sub, ctx.env)
    run = below("init")
    assert (run.code, run.stdout) == (4, "")
    assert run.stderr == (
        f"ctx: error: a store already exists above {sub}: {ctx.store} (commands here use it)\n"
        "  hint: use that store as it is, or pass --here to create a second store nested in it\n"
    )
    assert not (sub / ".ctx").exists()
    assert below("init", "--here").code == 0
    assert json.loads(below.ok("status", "--json"))["root"] == str(sub / ".ctx")


def test_init_with_tree_below_a_store_is_refused_too(ctx: Ctx) -> None:
    run = ctx("init", "--tree", str(ctx.cwd / "inner"))
    assert run.code == 4
    assert ctx("init", "--tree", str(ctx.cwd / "inner"), "--here").code == 0


def test_init_of_the_existing_store_stays_idempotent(ctx: Ctx) -> None:
    run = ctx("init")
    assert (run.code, run.stderr) == (
        0,
        f"a ctx store already exists at {ctx.store}; nothing changed\n",
    )
