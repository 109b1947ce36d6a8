"""One write path: the CLI and plans agree, big writes fit, symlinks are never followed."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from conftest import Ctx, add
from crashkit import dead_pid

RANDOM = "Zx8Qp2Lm9Rt4Vb7Nc1Kd6Hf3Jg5Ws0YeUa"  # a bare random token: no known prefix


def apply(ctx: Ctx, *ops: dict[str, object]) -> tuple[int, dict[str, object]]:
    plan = json.dumps({"reason": "test", "operations": list(ops)})
    run = ctx("apply", "-", "--json", input=plan)
    return run.code, json.loads(run.stdout) if run.stdout else {}


# ---- the CLI and plans give the same answer ------------------------------------------------
def test_add_of_an_archived_id_is_refused_by_cli_and_plan(ctx: Ctx) -> None:
    add(ctx, "a/b/x", "X")
    ctx.ok("archive", "a/b/x")
    run = ctx("add", "a/b/x", "--title", "Again")
    assert run.code == 4 and "'a/b/x' exists in the archive" in run.stderr
    assert not ctx.file("a/b/x").exists()
    code, report = apply(ctx, {"op": "ADD", "id": "a/b/x", "title": "Again", "reason": "r"})
    assert code == 4
    assert "exists in the archive" in report["operations"][0]["message"]  # type: ignore[index]


def test_move_onto_an_archived_id_is_refused(ctx: Ctx) -> None:
    add(ctx, "a/b/x", "X")
    add(ctx, "a/b/y", "Y")
    ctx.ok("archive", "a/b/x")
    run = ctx("mv", "a/b/y", "a/b/x")
    assert run.code == 4 and "exists in the archive" in run.stderr
    assert ctx.file("a/b/y").exists()


@pytest.mark.parametrize(
    "how",
    ["add", "link", "plan-add", "plan-link", "plan-update"],
)
def test_a_self_relation_is_the_same_usage_error_everywhere(ctx: Ctx, how: str) -> None:
    add(ctx, "a/b/y", "Y")
    if how == "add":
        run = ctx("add", "a/b/x", "--title", "X", "--relate", "related:a/b/x")
        code, message = run.code, run.stderr
    elif how == "link":
        run = ctx("link", "a/b/y", "a/b/y")
        code, message = run.code, run.stderr
    else:
        op: dict[str, object] = {
            "plan-add": {
                "op": "ADD",
                "id": "a/b/x",
                "title": "X",
                "relations": [{"type": "related", "target": "a/b/x"}],
            },
            "plan-link": {"op": "LINK", "source": "a/b/y", "target": "a/b/y"},
            "plan-update": {
                "op": "UPDATE",
                "id": "a/b/y",
                "relations": [{"type": "related", "target": "a/b/y"}],
            },
        }[how]
        code, report = apply(ctx, {**op, "reason": "r"})
        message = report["operations"][0]["message"]  # type: ignore[index]
    assert code == 2
    assert "cannot relate to itself" in message


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--valid-until", "garbage"], "valid_until 'garbage' is not a date"),
        (
            ["--valid-from", "2026-12-10", "--valid-until", "2026-12-01"],
            "valid_until 2026-12-01 is before valid_from 2026-12-10",
        ),
    ],
)
def test_edit_and_plan_refuse_a_bad_validity_window(
    ctx: Ctx, flags: list[str], message: str
) -> None:
    add(ctx, "a/b/x", "X")
    before = ctx.file("a/b/x").read_bytes()
    run = ctx("edit", "a/b/x", *flags)
    assert run.code == 5 and message in run.stderr
    fields = dict(zip([f[2:].replace("-", "_") for f in flags[::2]], flags[1::2], strict=True))
    code, report = apply(ctx, {"op": "UPDATE", "id": "a/b/x", **fields, "reason": "r"})
    assert code == 5 and message in report["operations"][0]["message"]  # type: ignore[index]
    assert ctx.file("a/b/x").read_bytes() == before


def test_a_write_does_not_fail_on_a_problem_the_entry_already_had(ctx: Ctx) -> None:
    """Validation is differential: repointing a relation during a merge must not fail on a
    bad date a hand edit left in a referrer (lint reports that one)."""
    add(ctx, "a/b/src", "Source")
    add(ctx, "a/b/dst", "Target")
    add(ctx, "a/b/ref", "Referrer", "--relate", "related:a/b/src")
    path = ctx.file("a/b/ref")
    path.write_text(
        path.read_text().replace("title: Referrer", "title: Referrer\nvalid_until: soon")
    )
    ctx.ok("commit", "-m", "hand edit")
    ctx.ok("merge", "a/b/src", "a/b/dst")
    assert "related, target: a/b/dst" in path.read_text()


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["add", "a/b/x", "--title", "X", "--author", "ghp_" + "a1" * 18], "the author"),
        (["add", "a/b/ghp_" + "a1" * 18, "--title", "X"], "the id"),
        (["add", "a/b/x", "--title", "X", "--source", "url:https://u:hunter2pw@h/x"], "sources"),
        (["add", "a/b/x", "--title", "X", "--author", RANDOM], "the author"),
        (["add", "a/b/xoxb-1234-5678-abcdef", "--title", "X"], "the id"),
        (["config", "set", "actor", RANDOM], "the actor"),
    ],
)
def test_every_field_is_scanned_for_secrets(ctx: Ctx, args: list[str], where: str) -> None:
    run = ctx(*args)
    assert run.code == 5 and "refusing to store a secret" in run.stderr and where in run.stderr
    assert RANDOM not in run.stderr and "a1a1a1" not in run.stderr  # never echoed whole
    assert ctx.git("rev-list", "--count", "HEAD").strip() == "1"


def test_redact_masks_a_whole_private_key_block(ctx: Ctx) -> None:
    lines = [
        base64.b64encode(bytes((i * 37 + j * 11) % 256 for j in range(48))).decode()
        for i in range(10)
    ]
    key = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"
    body = f"Deploy key:\n{key}\nKeep it safe."
    ctx.ok("add", "ops/keys/deploy", "--title", "Deploy key", "--body", "-", "--redact",
           input=body)  # fmt: skip
    text = ctx.file("ops/keys/deploy").read_text()
    assert "[REDACTED:private-key]" in text and "Keep it safe." in text
    assert not any(line in text for line in lines) and "END RSA" not in text
    assert lines[3] not in ctx.git("log", "-p")


def test_a_token_shaped_actor_from_the_environment_is_refused(ctx: Ctx) -> None:
    ctx.env["CTX_ACTOR"] = RANDOM
    run = ctx("add", "a/b/x", "--title", "X")
    assert run.code == 5 and "the author (--author or CTX_ACTOR) looks like a" in run.stderr
    assert ctx.git("rev-list", "--count", "HEAD").strip() == "1"


# ---- big writes ------------------------------------------------------------------------------
def test_a_1000_operation_plan_with_long_reasons_is_one_commit(ctx: Ctx) -> None:
    reason = "because " + "the agent explained itself at length " * 8  # ~300 characters
    ops = [
        {"op": "ADD", "id": f"big/t{i % 9}/e-{i}", "title": f"Entry {i}", "reason": reason}
        for i in range(1000)
    ]
    run = ctx("apply", "-", input=json.dumps({"reason": "bulk import", "operations": ops}))
    assert run.code == 0, run.stderr
    assert ctx.git("rev-list", "--count", "HEAD").strip() == "2"
    assert len(ctx.git("log", "-1", "--format=%B")) > 200_000  # the message is whole
    assert ctx.git("status", "--porcelain") == ""


# ---- symlinks are refused, never followed ------------------------------------------------------
@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    secret = "AKIA" + "Q" * 16
    (folder / "creds.md").write_text(
        f"---\ntitle: Creds\n---\n# Creds\n\naws {secret} zqlinkx\n", encoding="utf-8"
    )
    return folder


def test_a_linked_entry_file_is_never_read(ctx: Ctx, outside: Path) -> None:
    add(ctx, "a/b/real", "Real")
    os.symlink(outside / "creds.md", ctx.store / "tree/a/b/creds.md")
    for args in (["show", "a/b/creds", "--raw"], ["show", "a/b/creds"]):
        run = ctx(*args)
        assert run.code == 5 and "is a symbolic link" in run.stderr
        assert "AKIA" not in run.stdout
    for args in (["context", "zqlinkx"], ["search", "zqlinkx"], ["ls"]):
        run = ctx(*args)
        assert "AKIA" not in run.stdout and "zqlinkx" not in run.stdout
    run = ctx("lint")
    assert "symlink error a/b/creds: tree/a/b/creds.md is a symbolic link" in run.stdout
    run = ctx("doctor")
    assert run.code == 6 and "symlink" in run.stdout


def test_a_linked_folder_is_never_written_through(ctx: Ctx, outside: Path) -> None:
    (ctx.store / "tree/evil").mkdir()
    os.symlink(outside, ctx.store / "tree/evil/topic")
    run = ctx("add", "evil/topic/new", "--title", "New")
    assert run.code == 5 and "tree/evil/topic is a symbolic link" in run.stderr
    assert sorted(p.name for p in outside.iterdir()) == ["creds.md"]
    assert not (ctx.store / ".git" / "ctx-journal.json").exists()


# ---- doctor ----------------------------------------------------------------------------------
def test_doctor_on_a_healthy_store(ctx: Ctx) -> None:
    add(ctx, "a/b/x", "X")
    run = ctx("doctor")
    assert run.code == 0 and run.stdout == ""
    assert "healthy" in run.stderr
    assert json.loads(ctx.ok("doctor", "--json"))["healthy"] is True


def test_doctor_explains_then_repairs(ctx: Ctx) -> None:
    add(ctx, "a/b/x", "X")
    ctx.file("a/b/x").write_text(ctx.file("a/b/x").read_text() + "hand edit\n")
    ctx.git("add", "tree/a/b/x.md")
    (ctx.store / ".git" / "index.lock").write_text("")
    (ctx.store / "tree/a/b/.x.md.k2j4h5g6.tmp").write_text("half")
    run = ctx("doctor", "--dry-run")
    assert run.code == 6
    codes = [line.split()[0] for line in run.stdout.splitlines()]
    assert codes == ["stale-git-lock", "temp-file", "staged-changes", "uncommitted"]
    assert (ctx.store / ".git" / "index.lock").exists()  # a dry run repairs nothing
    run = ctx("doctor", "--json")
    report = json.loads(run.stdout)
    assert run.code == 0 and report["healthy"] is True
    assert [f["repaired"] for f in report["findings"]] == [True, True, True, False]
    assert not (ctx.store / ".git" / "index.lock").exists()
    assert not (ctx.store / "tree/a/b/.x.md.k2j4h5g6.tmp").exists()
    assert "hand edit" in ctx.file("a/b/x").read_text()  # the hand edit is kept, unstaged
    assert ctx.git("status", "--porcelain") == " M tree/a/b/x.md\n"


def test_status_reports_a_recovery_and_doctor_lists_it(ctx: Ctx) -> None:
    add(ctx, "a/b/x", "X", "--body", "Before.")
    base = ctx.git("rev-parse", "HEAD").strip()
    path = ctx.file("a/b/x")
    before = path.read_bytes()
    path.write_text("half-written by a killed ctx edit\n")
    intent = {
        "version": 1,
        "op": "edit",
        "base": base,
        "pid": dead_pid(),
        "started": "2026-11-20T10:00:00Z",
        "before": {"tree/a/b/x.md": base64.b64encode(before).decode()},
    }
    (ctx.store / ".git" / "ctx-journal.json").write_text(json.dumps(intent))
    run = ctx("status")
    assert run.code == 0
    assert "recovered an interrupted `edit`" in run.stderr and "undone" in run.stderr
    assert "repaired:" in run.stdout and "`edit` was undone" in run.stdout
    assert path.read_bytes() == before
    report = json.loads(ctx.ok("doctor", "--json"))
    assert report["recovered"][-1]["op"] == "edit"
    assert report["recovered"][-1]["outcome"] == "undone"


# ---- ctx commit holds hand edits to the same rules -----------------------------------------
def test_commit_refuses_binary_and_oversized_files_and_skips_temp_files(ctx: Ctx) -> None:
    add(ctx, "a/b/x", "X")
    ctx.ok("config", "set", "limits.max_entry_bytes", "2000")
    big = ctx.file("a/b/x").read_text() + "word " * 1000
    ctx.file("a/b/x").write_text(big)
    run = ctx("commit")
    assert run.code == 5 and "over the 2,000-byte limit" in run.stderr
    ctx.file("a/b/x").write_bytes(b"---\ntitle: X\n---\n# X\n\x00\x01binary\n")
    run = ctx("commit")
    assert run.code == 5 and "binary data (NUL byte" in run.stderr
    ctx.git("checkout", "--", "tree/a/b/x.md")
    (ctx.store / "tree/a/b/.x.md.ab12cd34.tmp").write_text("half-written")
    ctx.file("a/b/x").write_text(ctx.file("a/b/x").read_text() + "A real edit.\n")
    assert "committed 1 file" in ctx.ok("commit")
    assert ".tmp" not in ctx.git("ls-files")
