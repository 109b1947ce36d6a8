"""History: log, diff, undo."""

from __future__ import annotations

import json

from conftest import Ctx, add, fails


def test_log_lists_ops_and_actors(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    ctx.ok("edit", "a/b/c", "--summary", "S")
    add(ctx, "a/b/d", "D")
    lines = ctx.ok("log").splitlines()
    assert [line.split()[3:] for line in lines] == [
        ["add", "human:tester", "add:", "a/b/d"],
        ["edit", "human:tester", "edit:", "a/b/c"],
        ["add", "human:tester", "add:", "a/b/c"],
        ["init", "human:tester", "init:", "new", "ctx", "store"],
    ]
    assert len(ctx.ok("log", "-n", "2").splitlines()) == 2
    data = json.loads(ctx.ok("log", "a/b/c", "--json"))
    assert [c["op"] for c in data] == ["edit", "add"]
    assert data[0]["sources"] == ["cli"]
    fails(ctx("log", "-n", "0"), 2, "bad value for -n: 0 is not in the range 1<=x<=100000")


def test_diff_shows_uncommitted_and_revision_changes(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    assert ctx.ok("diff") == ""
    path = ctx.file("a/b/c")
    path.write_text(path.read_text() + "Hand edit.\n")
    out = ctx.ok("diff")
    assert "+Hand edit." in out
    ctx.ok("commit")
    data = json.loads(ctx.ok("diff", "HEAD~1", "--json"))
    assert data["files"] == ["tree/a/b/c.md"]
    assert "+Hand edit." in data["diff"]
    run = ctx("diff", "nope")
    assert run.code == 3 and "unknown revision 'nope'" in run.stderr


def test_undo_reverts_as_a_new_commit_and_says_what_it_undid(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    add(ctx, "a/b/d", "D")
    sha = ctx.git("rev-parse", "HEAD")[:10]
    out = ctx.ok("undo")
    head = ctx.git("rev-parse", "HEAD")[:10]
    assert out == f"undid 1 commit ({head}):\n  {sha}  add: a/b/d\n"
    assert not ctx.file("a/b/d").exists()
    assert ctx.file("a/b/c").exists()
    body = ctx.git("log", "-1", "--format=%B")
    assert body.startswith(f"undo: add: a/b/d\n\nReverts {sha} add: a/b/d\n")
    assert "Ctx-Op: undo" in body and f"Ctx-Source: commit:{sha}" in body


def test_repeated_undo_walks_back_through_history(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    ctx.ok("edit", "a/b/c", "--summary", "first")
    add(ctx, "a/b/d", "D")
    add(ctx, "a/b/e", "E")
    assert "add: a/b/e" in ctx.ok("undo")
    assert "add: a/b/d" in ctx.ok("undo")  # not a redo of a/b/e: the change before it
    assert not ctx.file("a/b/d").exists() and not ctx.file("a/b/e").exists()
    # N counts changes not undone yet, skipping the two undo commits
    data = json.loads(ctx.ok("undo", "2", "--json"))
    assert [c["subject"] for c in data["undone"]] == ["edit: a/b/c", "add: a/b/c"]
    assert not ctx.file("a/b/c").exists()
    run = ctx("undo")
    assert run.code == 3
    assert run.stderr == (
        "ctx: error: nothing to undo: every ctx commit is undone already\n  hint: see `ctx log`\n"
    )
    add(ctx, "a/b/f", "F")  # a new change after the undos is the next one to undo
    assert "add: a/b/f" in ctx.ok("undo")


def test_undo_counts_a_multi_commit_undo_of_the_old_format(ctx: Ctx) -> None:
    # Undo commits made before Ctx-Source named every reverted commit named only the newest
    add(ctx, "a/b/c", "C")
    add(ctx, "a/b/d", "D")
    add(ctx, "a/b/e", "E")
    newest = ctx.git("rev-parse", "HEAD")[:10]
    ctx.git("rm", "-q", "tree/a/b/e.md", "tree/a/b/d.md")
    message = (
        f"undo: 2 commit(s)\n\nCtx-Op: undo\nCtx-Actor: human:tester\nCtx-Source: commit:{newest}\n"
    )
    ctx.git("commit", "-q", "-m", message)
    data = json.loads(ctx.ok("undo", "--dry-run", "--json"))
    assert [c["subject"] for c in data["undone"]] == ["add: a/b/c"]


def test_undo_on_an_empty_history(ctx: Ctx) -> None:
    run = ctx("undo")
    assert run.code == 3
    assert run.stderr == "ctx: error: nothing to undo: no ctx commits yet\n"
    add(ctx, "a/b/c", "C")
    run = ctx("undo", "5")
    assert run.code == 3 and "only 1 ctx commit left to undo, not 5" in run.stderr
    fails(ctx("undo", "0"), 2, "bad value for N: 0 is not in the range 1<=x<=1000")


def test_undo_refuses_to_clobber_uncommitted_edits(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    ctx.ok("edit", "a/b/c", "--summary", "first")
    path = ctx.file("a/b/c")
    path.write_text(path.read_text() + "Unsaved hand edit.\n")
    head = ctx.git("rev-parse", "HEAD")
    run = ctx("undo")
    assert run.code == 4
    assert "clobber uncommitted edits in tree/a/b/c.md" in run.stderr
    assert path.read_text().endswith("Unsaved hand edit.\n")
    assert ctx.git("rev-parse", "HEAD") == head


def test_undo_refuses_to_clobber_later_commits(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    ctx.ok("edit", "a/b/c", "--summary", "first")
    path = ctx.file("a/b/c")
    # a later commit made outside ctx changes the same line
    path.write_text(path.read_text().replace("summary: first", "summary: changed by hand"))
    ctx.git("commit", "-qam", "manual change")
    head = ctx.git("rev-parse", "HEAD")
    run = ctx("undo")
    assert run.code == 4
    assert "undo would clobber later edits" in run.stderr
    assert ctx.git("rev-parse", "HEAD") == head
    assert "summary: changed by hand" in path.read_text()
    assert ctx.git("status", "--porcelain") == ""


def test_undo_dry_run_shows_the_revert_and_changes_nothing(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    ctx.ok("edit", "a/b/c", "--summary", "first")
    add(ctx, "a/b/d", "D")
    head = ctx.git("rev-parse", "HEAD")
    run = ctx("undo", "2", "--dry-run")
    assert run.code == 0
    assert "diff --git a/tree/a/b/c.md b/tree/a/b/c.md" in run.stdout
    assert "-summary: first" in run.stdout
    assert "deleted file mode 100644" in run.stdout and "-title: D" in run.stdout
    assert run.stderr.splitlines()[0].startswith("would undo: ")
    assert "add: a/b/d" in run.stderr.splitlines()[0]
    assert run.stderr.splitlines()[-1] == "dry run: would undo 2 commits; nothing changed"
    data = json.loads(ctx.ok("undo", "--dry-run", "--json"))
    assert data["dry_run"] is True and data["commit"] is None
    assert [c["subject"] for c in data["undone"]] == ["add: a/b/d"]
    assert ctx.git("rev-parse", "HEAD") == head
    assert ctx.git("status", "--porcelain") == ""
    assert ctx.file("a/b/d").exists() and "summary: first" in ctx.file("a/b/c").read_text()
    assert not (ctx.store / ".git" / "REVERT_HEAD").exists()
    # an unrelated hand edit survives the dry run's revert and its abandonment
    other = ctx.file("a/b/c")
    other.write_text(other.read_text() + "Hand edit.\n")
    assert "-title: D" in ctx.ok("undo", "--dry-run")
    assert other.read_text().endswith("Hand edit.\n")
    assert ctx.git("status", "--porcelain") == " M tree/a/b/c.md\n"
    ctx.ok("undo")  # and the real one still works afterwards
    assert not ctx.file("a/b/d").exists()
