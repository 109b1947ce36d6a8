"""`ctx rm FOLDER --recursive` and `ctx forget FOLDER --recursive`: a whole topic or domain
in one commit, listed and confirmed first."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

from conftest import Ctx, add


def commits(ctx: Ctx) -> int:
    return int(ctx.git("rev-list", "--count", "HEAD"))


def build(ctx: Ctx) -> None:
    add(ctx, "chat/s01/a", "A")
    add(ctx, "chat/s01/b", "B", "--relate", "related:chat/s01/a")
    add(ctx, "chat/s02/c", "C")
    (ctx.store / "tree" / "chat" / "s01" / "context.md").write_text("# Session 1\n")
    (ctx.store / "tree" / "chat" / "s01" / "_index.md").write_text("# Index\n")
    ctx.ok("commit", "-m", "overviews")


def test_rm_of_a_folder_without_recursive_says_how(ctx: Ctx) -> None:
    build(ctx)
    run = ctx("rm", "chat/s01")
    assert run.code == 2
    assert run.stderr == (
        "ctx: error: 'chat/s01' is a folder (2 entries)\n"
        "  hint: rm it with everything in it: `ctx rm chat/s01 --recursive`\n"
    )
    run = ctx("forget", "chat")
    assert run.code == 2
    assert run.stderr == (
        "ctx: error: 'chat' is a folder (3 entries)\n"
        "  hint: forget it with everything in it: `ctx forget chat --recursive`\n"
    )


def test_rm_recursive_off_a_terminal_needs_yes(ctx: Ctx) -> None:
    build(ctx)
    before = commits(ctx)
    run = ctx("rm", "chat/s01", "--recursive")
    assert run.code == 2
    assert run.stderr == (
        "ctx: error: `ctx rm chat/s01 --recursive` removes 2 entries and 2 other files; "
        "stdin is not a terminal, so it cannot ask\n"
        "  hint: pass --yes to confirm (see first what it removes with --dry-run)\n"
    )
    assert commits(ctx) == before


def test_rm_recursive_removes_the_folder_in_one_commit(ctx: Ctx) -> None:
    build(ctx)
    before = commits(ctx)
    out = ctx.ok("rm", "chat/s01", "-r", "--yes")
    assert out.startswith("removed chat/s01/: 2 entries, 4 files (")
    assert commits(ctx) == before + 1
    assert not (ctx.store / "tree" / "chat" / "s01").exists()
    assert [e["id"] for e in json.loads(ctx.ok("ls", "--json"))] == ["chat/s02/c"]
    assert ctx.git("log", "-1", "--format=%s%n%b").startswith(
        "rm: chat/s01/ (2 entries)\ntree/chat/s01/_index.md\ntree/chat/s01/a.md\n"
    )
    ctx.ok("undo")
    assert (ctx.store / "tree" / "chat" / "s01" / "context.md").is_file()


def test_rm_recursive_refuses_relations_from_outside_unless_force(ctx: Ctx) -> None:
    build(ctx)
    add(ctx, "notes/x/y", "Y", "--relate", "depends_on:chat/s01/b")
    add(ctx, "notes/x/z", "Z", "--relate", "related:chat/s01")
    run = ctx("rm", "chat/s01", "-r", "--yes")
    assert run.code == 4
    assert run.stderr.startswith(
        "ctx: error: 2 entries point into 'chat/s01' from outside: notes/x/y, notes/x/z\n"
    )
    out = ctx.ok("rm", "chat/s01", "-r", "--yes", "--force")
    assert "  relations rewritten in: notes/x/y, notes/x/z\n" in out
    assert json.loads(ctx.ok("show", "notes/x/y", "--json"))["relations"] == []


def test_rm_recursive_dry_run_changes_nothing(ctx: Ctx) -> None:
    build(ctx)
    before = commits(ctx)
    run = ctx("rm", "chat", "-r", "--dry-run")
    assert run.code == 0
    assert "deleted file\n--- a/tree/chat/s02/c.md" in run.stdout
    assert commits(ctx) == before and (ctx.store / "tree" / "chat").is_dir()


def test_rm_recursive_of_nothing_is_not_found(ctx: Ctx) -> None:
    assert ctx("rm", "nope/none", "-r", "--yes").code == 3


def on_a_terminal(ctx: Ctx, answer: bytes, *args: str) -> tuple[int, str, str]:
    """Run ctx with a pseudo-terminal as stdin, answering its question with `answer`."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ctxtree", *args],
        cwd=ctx.cwd,
        env={**os.environ, **ctx.env},
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    os.write(master, answer)
    out, err = proc.communicate(timeout=60)
    os.close(master)
    return proc.returncode, out.decode(), err.decode()


def test_rm_recursive_asks_on_a_terminal(ctx: Ctx) -> None:
    build(ctx)
    before = commits(ctx)
    code, out, err = on_a_terminal(ctx, b"n\n", "rm", "chat/s01", "--recursive")
    assert (code, out, commits(ctx)) == (2, "", before)
    assert err.endswith("ctx: error: not confirmed; nothing changed\n")
    code, out, err = on_a_terminal(ctx, b"y\n", "rm", "chat/s01", "--recursive")
    assert code == 0, err
    assert err.startswith(
        "chat/s01/ holds 2 entries and 2 other files:\n"
        "  tree/chat/s01/_index.md\n  tree/chat/s01/a.md\n  tree/chat/s01/b.md\n"
        "  tree/chat/s01/context.md\nRemove 4 files? [y/N]:"
    )
    assert out.startswith("removed chat/s01/")


def test_forget_recursive_cleans_links_and_archive(ctx: Ctx) -> None:
    build(ctx)
    add(ctx, "chat/s01/old", "Old")
    ctx.ok("archive", "chat/s01/old")
    add(ctx, "notes/x/y", "Y", "--relate", "depends_on:chat/s01/b", "--body", "See [[chat/s01/a]].")
    before = commits(ctx)
    out = ctx.ok("forget", "chat/s01", "--recursive", "--yes")
    assert out.startswith("forgot chat/s01/: 3 entries, 5 files (")
    assert "  links to it removed in: notes/x/y\n" in out
    assert commits(ctx) == before + 1
    y = json.loads(ctx.ok("show", "notes/x/y", "--json"))
    assert y["relations"] == [] and "[[" not in y["body"]
    assert not (ctx.store / "archive" / "chat" / "s01").exists()
    assert not (ctx.store / "tree" / "chat" / "s01").exists()


def test_forget_recursive_does_not_purge(ctx: Ctx) -> None:
    build(ctx)
    run = ctx("forget", "chat/s01", "-r", "--purge", "--yes")
    assert run.code == 2
    assert "--purge takes one entry at a time" in run.stderr


def test_forget_recursive_off_a_terminal_needs_yes(ctx: Ctx) -> None:
    build(ctx)
    run = ctx("forget", "chat", "-r")
    assert run.code == 2
    assert "`ctx forget chat --recursive` removes 3 entries" in run.stderr
