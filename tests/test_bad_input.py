"""Bad input: a clear message, the right exit code, nothing lost, no traceback."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import Ctx, add, fails


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts and "cache" not in p.parts
    }


@pytest.mark.parametrize(
    ("entry_id", "message"),
    [
        ("../../etc/x", "segment '..' is not a slug"),
        ("a/../../x", "segment '..' is not a slug"),
        ("/etc/x/y", "ids are relative paths inside the store"),
        ("~/x/y", "ids are relative paths inside the store"),
        ("a/.hidden/c", "segment '.hidden' is not a slug"),
        ("a/b/c.d", "segment 'c.d' is not a slug"),
        ("a/b/context", "'context' is reserved"),
        ("a/_index/c", "segment '_index' is not a slug"),
        ("a/context/c", "'context' is reserved"),
        ("a/b", "has 2 segments"),
        ("a/b/c/d/e", "has 5 segments"),
        ("Auth/b/c", "segment 'Auth' is not a slug"),
        ("a/b\\c/d", "ids are relative paths inside the store"),
        ("a/b/c\x07", "segment 'c\\x07' is not a slug"),
        ("ключ/b/c", "is not a slug"),
    ],
)
def test_bad_ids_are_refused(ctx: Ctx, entry_id: str, message: str) -> None:
    before = snapshot(ctx.cwd.parent)
    run = ctx("add", entry_id, "--title", "x")
    assert run.code == 5
    assert message in run.stderr
    assert run.stderr.count("\n") == 2  # one line of error, one of hint
    assert "Traceback" not in run.stderr
    assert snapshot(ctx.cwd.parent) == before


def test_huge_body_is_refused_without_reading_it_all(ctx: Ctx) -> None:
    body = b"word " * (2 * 1024 * 1024)  # 10 MiB
    run = ctx("add", "a/b/huge", "--title", "Huge", "--body", "-", input=body)
    assert run.code == 5
    assert "over the 1,048,576-byte limit" in run.stderr
    assert not ctx.file("a/b/huge").exists()
    ctx.ok("config", "set", "limits.max_entry_bytes", "100")
    run = ctx("add", "a/b/long", "--title", "Long", "--body", "x" * 200)
    assert run.code == 5 and "200 bytes, over the 100-byte limit" in run.stderr


def test_binary_body_is_refused(ctx: Ctx) -> None:
    data = bytes(range(256)) * 4
    run = ctx("add", "a/b/bin", "--title", "Bin", "--body", "-", input=data)
    assert run.code == 5
    assert "binary data (NUL byte at offset 0)" in run.stderr
    run = ctx("add", "a/b/bin", "--title", "Bin", "--body", "-", input=b"caf\xe9 latin-1")
    assert run.code == 5 and "not UTF-8 text (invalid byte at offset 3)" in run.stderr
    assert not ctx.file("a/b/bin").exists()


def test_add_refuses_to_overwrite(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "First")
    run = ctx("add", "a/b/c", "--title", "Second")
    assert run.code == 4
    assert "entry 'a/b/c' already exists" in run.stderr
    assert "title: First" in ctx.file("a/b/c").read_text()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--title", ""], 5, "the title must be one non-empty line"),
        (["--title", "two\nlines"], 5, "the title must be one non-empty line"),
        (["--title", "T", "--kind", "rumour"], 2, "--kind 'rumour' is not one of"),
        (["--title", "T", "--relate", "likes:a/b/x"], 2, "bad relation 'likes:a/b/x'"),
        (["--title", "T", "--relate", "related:a/b/missing"], 3, "'a/b/missing' does not exist"),
        (["--title", "T", "--relate", "related:../x"], 5, "is not a slug"),
        (["--title", "T", "--source", "nocolon"], 2, "bad source 'nocolon'"),
        (["--title", "T", "--trust", "maybe"], 2, "--trust 'maybe' is not one of"),
    ],
)
def test_bad_fields_are_refused(ctx: Ctx, args: list[str], code: int, message: str) -> None:
    run = ctx("add", "a/b/c", *args)
    assert (run.code, message in run.stderr) == (code, True), run.stderr
    assert not ctx.file("a/b/c").exists()


def test_secrets_are_refused_or_redacted(ctx: Ctx) -> None:
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    run = ctx("add", "a/b/c", "--title", "Deploy", "--body", f"use {key} for s3")
    assert run.code == 5
    assert "refusing to store a secret: aws-access-key-id on line 3" in run.stderr
    assert key not in run.stderr
    assert not ctx.file("a/b/c").exists()
    ctx.ok("add", "a/b/c", "--title", "Deploy", "--body", f"use {key} for s3", "--redact")
    text = ctx.file("a/b/c").read_text()
    assert key not in text and "[REDACTED:aws-access-key-id]" in text
    run = ctx("edit", "a/b/c", "--summary", "token ghp_" + "a" * 36)
    assert run.code == 5 and "github-token" in run.stderr
    assert key not in ctx.git("log", "-p")


def test_failed_commit_leaves_the_store_as_it_was(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C", "--body", "Original.")
    before = snapshot(ctx.store)
    blocker = ctx.store / ".git" / "refs" / "heads" / "main.lock"
    blocker.mkdir()  # not a lock file git or ctx could remove: the ref update fails
    run = ctx("edit", "a/b/c", "--body", "Changed.", "--allow-loss")
    assert run.code == 6
    assert run.stderr.startswith("ctx: error: git commit failed")
    assert snapshot(ctx.store) == before  # the file is back before the error is reported
    assert not (ctx.store / ".git" / "ctx-journal.json").exists()
    blocker.rmdir()
    assert ctx.git("status", "--porcelain") == ""
    ctx.ok("add", "a/b/d", "--title", "D")


def test_stale_index_lock_left_by_a_killed_git_is_removed(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C", "--body", "Original.")
    lock = ctx.store / ".git" / "index.lock"
    lock.write_text("")  # what a `git commit` killed mid-way leaves: no process owns it
    status = ctx("status")
    assert "problem:  .git/index.lock exists: git writes fail until it is gone" in status.stdout
    run = ctx("edit", "a/b/c", "--body", "Changed.", "--allow-loss")
    assert run.code == 0, run.stderr
    assert "stale git lock" in run.stderr and ".git/index.lock" in run.stderr
    assert not lock.exists()
    assert ctx.git("status", "--porcelain") == ""


def test_writers_wait_for_the_lock(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    fd = os.open(ctx.store / ".git" / "ctx.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    release = threading.Timer(0.5, lambda: os.close(fd))
    release.start()
    started = time.monotonic()
    run = ctx.proc("add", "a/b/d", "--title", "D")
    waited = time.monotonic() - started
    release.join()
    assert run.code == 0, run.stderr
    assert waited >= 0.5  # it could not commit before the lock was released
    assert ctx.file("a/b/d").exists()


def test_lock_timeout_is_a_conflict(ctx: Ctx) -> None:
    ctx.ok("config", "set", "limits.lock_timeout_seconds", "1")
    fd = os.open(ctx.store / ".git" / "ctx.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        run = ctx("add", "a/b/c", "--title", "C")
    finally:
        os.close(fd)
    assert run.code == 4
    assert "another ctx process has held the store's write lock for 1 s" in run.stderr
    assert not ctx.file("a/b/c").exists()


def test_two_adds_at_the_same_instant_both_land(ctx: Ctx) -> None:
    env = {**os.environ, **ctx.env}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ctxtree", "add", f"race/t/e{i}", "--title", f"E{i}"],
            cwd=ctx.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(4)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else b"") for p in procs]
    assert results == [(0, b"")] * 4
    for i in range(4):
        assert ctx.file(f"race/t/e{i}").exists()
    subjects = ctx.git("log", "--format=%s", "-n", "4").split("\n")[:4]
    assert sorted(subjects) == [f"add: race/t/e{i}" for i in range(4)]
    assert ctx.git("status", "--porcelain") == ""
    assert ctx.git("fsck", "--no-progress") == ""


def test_hand_edit_into_bad_yaml_does_not_break_other_commands(ctx: Ctx) -> None:
    add(ctx, "a/b/good", "Good")
    add(ctx, "a/b/bad", "Bad")
    add(ctx, "a/b/user", "User", "--relate", "related:a/b/good")
    ctx.file("a/b/bad").write_text("---\ntitle: Bad\nkind: [x\n---\n")
    fails(
        ctx("show", "a/b/bad"),
        5,
        "tree/a/b/bad.md:4: malformed YAML frontmatter: did not find expected ',' or ']'",
    )
    assert ctx.ok("related", "a/b/good") == "← related a/b/user User\n"
    ctx.ok("mv", "a/b/good", "a/b/better")
    assert ctx.file("a/b/bad").read_text() == "---\ntitle: Bad\nkind: [x\n---\n"
    add(ctx, "a/b/new", "New")
    run = ctx("status")
    assert "invalid:  tree/a/b/bad.md:4: malformed YAML frontmatter" in run.stdout


DEEP = 100_000


@pytest.mark.parametrize(
    "text",
    ["[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP,
     '{"operations": [{"op": "ADD", "tags": ' + "[" * DEEP + "]" * DEEP + "}]}"],
    ids=["arrays", "objects", "inside-an-operation"],
)  # fmt: skip
def test_a_deeply_nested_plan_is_invalid_not_a_crash(ctx: Ctx, text: str) -> None:
    before = ctx.git("rev-parse", "HEAD")
    run = ctx("apply", "-", input=text)
    assert (run.code, run.stdout) == (5, "")
    assert run.stderr == (
        "ctx: error: the plan is nested too deeply to read (arrays and objects more than "
        "about 1,000 levels inside each other)\n"
        "  hint: a plan needs 5 levels; see the format with `ctx apply --schema`\n"
    )
    error = json.loads(ctx("apply", "-", "--json", input=text).stderr)["error"]
    assert (error["code"], error["exit"]) == ("invalid", 5)
    assert ctx.git("rev-parse", "HEAD") == before


def test_a_deeply_nested_transcript_line_names_the_line(ctx: Ctx) -> None:
    good = '{"id": "1", "session": 1, "time": "", "speaker": "Ann", "text": "hi"}'
    deep = '{"id": "2", "session": 1, "time": "", "speaker": "Ann", "text": "x", "extra": '
    (ctx.cwd / "chat.jsonl").write_text(f"{good}\n{deep}{'[' * DEEP}{']' * DEEP}}}\n")
    run = ctx("import", "transcript", "chat.jsonl")
    assert run.code == 5
    assert run.stderr.splitlines()[0] == (
        "ctx: error: chat.jsonl:2: nested too deeply to read (arrays and objects more than "
        "about 1,000 levels inside each other)"
    )
    assert not (ctx.store / "tree" / "conversations").exists()
