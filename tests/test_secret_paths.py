"""A credential is refused on every write path (exit 5, nothing written, no commit), and
masked instead where --redact is offered."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import Ctx, add, fails
from test_cli_entries import _on_a_terminal

AWS = "AKIAIOSFODNN7EXAMPLE"
GITHUB = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
URL = "https://deploy:s3cretPassw0rd@db.example.com/prod"


def state(ctx: Ctx) -> tuple[str, str]:
    return ctx.git("rev-parse", "HEAD"), ctx.git("status", "--porcelain")


@pytest.fixture
def store(ctx: Ctx) -> Ctx:
    add(ctx, "a/b/base", "Base", "--body", "## One\n\nfirst\n\n## Two\n\nsecond")
    add(ctx, "a/b/other", "Other")
    return ctx


TRANSCRIPT = json.dumps(
    {"id": "t1", "session": "s1", "time": "2026-01-01", "speaker": "Ann", "text": f"use {GITHUB}"}
)
PLAN = json.dumps([{"op": "ADD", "id": "a/b/p", "title": "P", "body": URL, "reason": "r"}])

PATHS = [
    ("add body", ["add", "a/b/n", "-t", "N", "--body", f"key {AWS}"], None),
    ("add title", ["add", "a/b/n", "-t", f"Key {AWS}"], None),
    ("add summary", ["add", "a/b/n", "-t", "N", "-s", f"token {GITHUB}"], None),
    ("add keyword", ["add", "a/b/n", "-t", "N", "--keyword", GITHUB], None),
    ("add source", ["add", "a/b/n", "-t", "N", "--source", f"url:{URL}"], None),
    ("add stdin", ["add", "a/b/n", "-t", "N", "--body", "-"], f"aws = {AWS}\n"),
    ("edit", ["edit", "a/b/base", "--summary", f"pw {URL}"], None),
    ("edit source", ["edit", "a/b/base", "--add-source", f"url:{URL}"], None),
    ("import transcript", ["import", "transcript", "-"], TRANSCRIPT + "\n"),
    ("apply", ["apply", "-"], PLAN),
    ("config set", ["config", "set", "actor", AWS], None),
]


@pytest.mark.parametrize(("path", "args", "stdin"), PATHS, ids=[p[0] for p in PATHS])
def test_refused_on_every_write_path(
    store: Ctx, path: str, args: list[str], stdin: str | None
) -> None:
    before = state(store)
    run = store(*args, input=stdin)
    assert run.code == 5, (path, run.stderr)
    said = run.stdout + run.stderr
    assert "refusing to store a secret" in said and "Traceback" not in said
    assert AWS not in said and GITHUB not in said and "s3cretPassw0rd" not in said
    assert state(store) == before


@pytest.mark.parametrize(
    ("path", "args", "stdin"),
    [p for p in PATHS if p[1][0] != "config"],
    ids=[p[0] for p in PATHS if p[1][0] != "config"],
)
def test_redact_masks_on_every_write_path(
    store: Ctx, path: str, args: list[str], stdin: str | None
) -> None:
    run = store(*args, "--redact", input=stdin)
    assert run.code == 0, (path, run.stderr)
    history = store.git("log", "-p", "--all")
    for secret in (AWS, GITHUB, "s3cretPassw0rd"):
        assert secret not in history


def test_merge_and_split_check_what_they_write(store: Ctx) -> None:
    # A secret committed by hand (bypassing ctx and its pre-commit hook) is refused when
    # curation would rewrite it.
    path = store.file("a/b/other")
    path.write_text(path.read_text() + f"\nkey {AWS}\n")
    store.git("commit", "--no-verify", "-qam", "hand edit")
    before = state(store)
    fails(
        store("merge", "a/b/other", "a/b/base"),
        5,
        "refusing to store a secret: aws-access-key-id on line 3 (AKIA…) in the body",
    )
    assert state(store) == before
    store.ok("merge", "a/b/other", "a/b/base", "--redact")
    assert AWS not in store.file("a/b/base").read_text()


def test_a_secret_in_a_reason_is_refused_and_never_reaches_a_commit_message(store: Ctx) -> None:
    plan = json.dumps([{"op": "ADD", "id": "a/b/r", "title": "R", "reason": f"from {URL}"}])
    run = store("apply", "-", input=plan)
    assert run.code == 5
    assert run.stdout.startswith(
        "  1. failed  ADD a/b/r: refusing to store a secret: password-in-url on line 1"
    )
    assert run.stderr.splitlines()[0] == (
        "ctx: error: plan not applied: 1 of 1 operation failed; nothing was written"
    )
    store.ok("merge", "a/b/other", "a/b/base", "--reason", f"creds {AWS}")
    assert AWS not in store.git("log", "--format=%B")


def test_hand_commit(store: Ctx) -> None:
    path = store.file("a/b/base")
    path.write_text(path.read_text() + f"\n{URL}\n")
    run = store("commit")
    assert run.code == 5
    assert "s3cretPassw0rd" not in store.git("log", "-p")


def test_editor_path(store: Ctx) -> None:
    if shutil.which("script") is None:
        pytest.skip("util-linux `script` is needed to provide a terminal")
    before = state(store)
    assert _on_a_terminal(store, f"sed -i s/first/{AWS}/", "edit", "a/b/base") == 5
    assert state(store) == before
