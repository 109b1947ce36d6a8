"""`--dry-run` on write commands prints the diff it would commit and changes nothing; commits
follow the session clock; `config set` and `ctx commit` refuse credentials like every other
write path."""

from __future__ import annotations

import json

import pytest
from conftest import Ctx, add

AWS = "AKIAIOSFODNN7EXAMPLE"


def snapshot(ctx: Ctx) -> tuple[str, dict[str, bytes]]:
    head = ctx.git("rev-parse", "HEAD").strip()
    files = {
        str(p.relative_to(ctx.store)): p.read_bytes()
        for p in ctx.store.rglob("*")
        if p.is_file() and ".git" not in p.parts and "cache" not in p.parts
    }
    return head, files


@pytest.fixture
def seeded(ctx: Ctx) -> Ctx:
    add(ctx, "auth/jwt/keys", "Signing keys", "--body", "Keys rotate monthly.")
    add(ctx, "auth/jwt/refresh", "Refresh rotation", "--relate", "depends_on:auth/jwt/keys")
    return ctx


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["add", "auth/jwt/new", "-t", "New one", "--body", "Fresh."], "+# New one"),
        (["edit", "auth/jwt/keys", "--summary", "Monthly rotation."], "+summary: Monthly"),
        (
            ["mv", "auth/jwt/keys", "auth/keys/signing"],
            "+  - {type: depends_on, target: auth/keys/signing}",
        ),
        (["rm", "auth/jwt/refresh"], "-title: Refresh rotation"),
        (
            ["link", "auth/jwt/keys", "auth/jwt/refresh"],
            "+  - {type: related, target: auth/jwt/refresh}",
        ),
        (
            ["unlink", "auth/jwt/refresh", "auth/jwt/keys"],
            "-  - {type: depends_on, target: auth/jwt/keys}",
        ),
        (["config", "set", "budgets.context", "900"], "+  context: 900"),
    ],
)
def test_dry_run_prints_the_diff_and_changes_nothing(
    seeded: Ctx, args: list[str], expected: str
) -> None:
    before = snapshot(seeded)
    run = seeded(*args, "--dry-run")
    assert run.code == 0, run.stderr
    assert "diff --git a/" in run.stdout
    assert expected in run.stdout
    assert "dry run" in run.stderr and "no commit" in run.stderr
    assert snapshot(seeded) == before


def test_dry_run_json_carries_the_diff(seeded: Ctx) -> None:
    data = json.loads(seeded.ok("rm", "auth/jwt/refresh", "--dry-run", "--json"))
    assert data["dry_run"] is True and data["commit"] is None
    assert "deleted file" in data["diff"]


def test_dry_run_still_validates(seeded: Ctx) -> None:
    before = snapshot(seeded)
    run = seeded("add", "auth/jwt/keys", "-t", "Again", "--dry-run")
    assert (run.code, run.stdout, run.stderr) == (
        4,
        "",
        "ctx: error: entry 'auth/jwt/keys' already exists\n"
        "  hint: change it with `ctx edit auth/jwt/keys`, or pick another id\n",
    )
    run = seeded("add", "auth/jwt/x", "-t", "Leak", "--body", f"key {AWS}", "--dry-run")
    assert (run.code, run.stdout, run.stderr) == (
        5,
        "",
        "ctx: error: refusing to store a secret: aws-access-key-id on line 3 (AKIA…) in the "
        "body\n  hint: remove it and refer to the secret by name, or pass --redact to mask it\n",
    )
    assert snapshot(seeded) == before


def test_dry_run_import_transcript(ctx: Ctx) -> None:
    line = {"id": "t1", "session": "s1", "time": "2026-01-02", "speaker": "Ann", "text": "Hi"}
    before = snapshot(ctx)
    run = ctx("import", "transcript", "-", "--dry-run", input=json.dumps(line) + "\n")
    assert run.code == 0, run.stderr
    assert "+Ann [t1]: Hi" in run.stdout
    assert snapshot(ctx) == before


def test_commits_carry_the_session_clock(seeded: Ctx) -> None:
    seeded.env["CTX_NOW"] = "2026-12-24T08:30:00Z"
    add(seeded, "auth/jwt/late", "Late entry")
    dates = seeded.git("log", "-1", "--format=%aI %cI").split()
    assert dates == ["2026-12-24T08:30:00+00:00", "2026-12-24T08:30:00+00:00"]


def test_config_set_refuses_a_credential(ctx: Ctx) -> None:
    head = ctx.git("rev-parse", "HEAD")
    run = ctx("config", "set", "actor", f"bot-{AWS}")
    assert run.code == 5
    assert "refusing to store a secret" in run.stderr
    assert ctx.git("rev-parse", "HEAD") == head


def test_hand_commit_refuses_a_credential_or_redacts_it(seeded: Ctx) -> None:
    path = seeded.file("auth/jwt/keys")
    path.write_text(path.read_text() + f"\naws_key = {AWS}\n")
    head = seeded.git("rev-parse", "HEAD")
    run = seeded("commit")
    assert run.code == 5 and "aws-access-key-id on line 18" in run.stderr
    assert seeded.git("rev-parse", "HEAD") == head
    dry = seeded("commit", "--redact", "--dry-run")
    assert dry.code == 0 and AWS not in dry.stdout and "+aws_key" in dry.stdout
    assert seeded.git("rev-parse", "HEAD") == head
    seeded.ok("commit", "--redact")
    assert AWS not in path.read_text()
    assert AWS not in seeded.git("log", "-p")
