"""Entry files as editors leave them: duplicate keys are refused with path, line and key; a
UTF-8 BOM is read transparently and never written; CRLF files stay CRLF when rewritten."""

from __future__ import annotations

import json

import pytest
from conftest import Ctx, add

DUPLICATE = "---\nschema: 1\ntitle: First\nkind: fact\ntitle: Second\n---\nBody.\n"


def test_duplicate_keys_in_an_entry_are_refused(ctx: Ctx) -> None:
    add(ctx, "a/b/good", "Good")
    ctx.file("a/b/dup").write_text(DUPLICATE)
    run = ctx("show", "a/b/dup")
    assert run.code == 5
    assert run.stderr == (
        "ctx: error: tree/a/b/dup.md:5: duplicate key 'title' (first on line 3)\n"
        "  hint: keep one 'title' line; YAML would silently use the last\n"
    )
    error = json.loads(ctx("show", "a/b/dup", "--json").stderr)["error"]
    assert (error["exit"], error["message"]) == (
        5,
        "tree/a/b/dup.md:5: duplicate key 'title' (first on line 3)",
    )
    # Skipped by reads, reported by status, never fatal to the store.
    assert ctx.ok("ls", "a") == "a/b/good  Good\n"
    assert "invalid:  tree/a/b/dup.md:5: duplicate key 'title'" in ctx.ok("status")


def test_duplicate_keys_inside_a_relation_are_refused(ctx: Ctx) -> None:
    text = "---\ntitle: T\nrelations:\n  - {type: related, target: a/b/x, target: a/b/y}\n---\n"
    ctx.file("a/b/dup").parent.mkdir(parents=True)
    ctx.file("a/b/dup").write_text(text)
    run = ctx("show", "a/b/dup")
    assert run.code == 5
    assert run.stderr.startswith(
        "ctx: error: tree/a/b/dup.md:4: duplicate key 'target' (first on line 4)\n"
    )


def test_duplicate_keys_in_config_are_refused(ctx: Ctx) -> None:
    config = ctx.store / "config.yaml"
    config.write_text(config.read_text() + "limits:\n  max_entry_bytes: 10\n")
    run = ctx("config", "get", "limits.max_entry_bytes")
    assert run.code == 5
    line = config.read_text().count("\n") - 1
    first = config.read_text().splitlines().index("limits:") + 1
    assert run.stderr.splitlines()[0] == (
        f"ctx: error: config.yaml:{line}: duplicate key 'limits' (first on line {first})"
    )


BOM = "\ufeff"


def test_a_bom_is_read_transparently_and_not_written_back(ctx: Ctx) -> None:
    add(ctx, "a/b/win", "Windows", "--body", "Saved by Notepad.")
    path = ctx.file("a/b/win")
    path.write_bytes(BOM.encode() + path.read_bytes())
    assert ctx.ok("show", "a/b/win", "--json")
    assert json.loads(ctx.ok("show", "a/b/win", "--json"))["title"] == "Windows"
    assert ctx.ok("ls", "a") == "a/b/win  Windows\n"
    assert ctx.ok("search", "Notepad").startswith(" 1. a/b/win")
    ctx.ok("edit", "a/b/win", "--summary", "x")
    data = path.read_bytes()
    assert not data.startswith(BOM.encode())
    assert data.startswith(b"---\nschema: 1\n")
    assert b"summary: x\n" in data


def test_a_bom_in_config_is_read_transparently(ctx: Ctx) -> None:
    config = ctx.store / "config.yaml"
    config.write_bytes(BOM.encode() + config.read_bytes())
    assert ctx.ok("config", "get", "limits.max_entry_bytes") != ""


@pytest.mark.parametrize(
    "args",
    [["--summary", "x"], ["--body", "New body.\nSecond line.", "--allow-loss"], ["--add-tag", "t"]],
    ids=["frontmatter", "body", "list"],
)
def test_a_crlf_file_stays_crlf_when_rewritten(ctx: Ctx, args: list[str]) -> None:
    add(ctx, "a/b/crlf", "CRLF", "--body", "Line one.\nLine two.")
    path = ctx.file("a/b/crlf")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    ctx.ok("commit", "-m", "windows editor")
    ctx.ok("edit", "a/b/crlf", *args)
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") > 10, data
    assert ctx.ok("show", "a/b/crlf", "--json")


def test_an_lf_file_stays_lf_when_given_a_crlf_body(ctx: Ctx) -> None:
    add(ctx, "a/b/lf", "LF", "--body", "Line one.")
    ctx.ok("edit", "a/b/lf", "--allow-loss", "--body", "-", input=b"One.\r\nTwo.\r\n")
    data = ctx.file("a/b/lf").read_bytes()
    assert b"\r" not in data
    assert data.endswith(b"One.\nTwo.\n")
