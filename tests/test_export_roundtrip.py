"""`ctx export json|markdown|obsidian` and `ctx import json`: a store exported and imported
into a fresh store gives identical entry files; the vault export links as Obsidian does."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pytest
from conftest import Ctx, fails

from ctxtree.curation.importers.markdown import WIKILINK_RE


def seed(ctx: Ctx) -> None:
    """Entries with relations, sources, lifecycle fields, a validity window and a supersede."""
    ctx.ok("add", "auth/jwt/signing-keys", "-t", "Signing keys", "-b", "RS256, 90 days.",
           "--tag", "auth", "--tag", "key management", "--keyword", "jwks")  # fmt: skip
    ctx.ok("add", "auth/jwt/refresh", "-t", "Refresh rotates", "--kind", "decision",
           "-b", "Each refresh revokes the last token; keys: [[auth/jwt/signing-keys]].",
           "--relate", "depends_on:auth/jwt/signing-keys", "--source", "commit:3f2a1c9",
           "--source", "file:src/auth.py#L1-9", "--trust", "external")  # fmt: skip
    ctx.ok("edit", "auth/jwt/refresh", "--importance", "72", "--maturity", "validated",
           "--valid-from", "2026-01-01", "--valid-until", "2027-06-30")  # fmt: skip
    ctx.ok("add", "auth/jwt/long-lived", "-t", "Long-lived refresh tokens", "-b", "Old way.")
    ctx.ok("supersede", "auth/jwt/long-lived", "auth/jwt/refresh")
    ctx.ok("add", "ops/deploy/steps", "-t", "Deploy steps", "--kind", "procedure",
           "-b", "1. make release\n2. make deploy\n", "--relate", "related:auth/jwt")  # fmt: skip


def other_store(ctx: Ctx, empty_store: Path) -> Ctx:
    home = ctx.cwd / "other"
    shutil.copytree(empty_store, home / ".ctx")
    return Ctx(home, ctx.env)


def tree_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*.md"))
        if p.name not in ("_index.md",)
    }


def test_json_round_trip_is_exact(ctx: Ctx, empty_store: Path) -> None:
    seed(ctx)
    out = ctx.ok("export", "json", "--out", "team.json")
    assert out == "exported 4 entries to team.json\n"
    document = json.loads((ctx.cwd / "team.json").read_text(encoding="utf-8"))
    assert (document["format"], document["version"]) == ("ctxtree-export", 1)
    refresh = next(e for e in document["entries"] if e["id"] == "auth/jwt/refresh")
    assert refresh["importance"] == 72 and refresh["valid_until"] == "2027-06-30"
    assert refresh["relations"] == [
        {"type": "depends_on", "target": "auth/jwt/signing-keys"},
        {"type": "supersedes", "target": "auth/jwt/long-lived"},
    ]
    other = other_store(ctx, empty_store)
    shutil.copy(ctx.cwd / "team.json", other.cwd / "team.json")
    out = other.ok("import", "json", "team.json")
    assert out.startswith("json import of team.json: 4 added (")
    assert tree_files(other.store / "tree") == tree_files(ctx.store / "tree")
    before = other.git("rev-list", "--count", "HEAD")
    assert other.ok("import", "json", "team.json") == (
        "json import of team.json: 4 unchanged; nothing written\n"
    )
    assert other.git("rev-list", "--count", "HEAD") == before


def test_json_to_stdout_with_scope(ctx: Ctx) -> None:
    seed(ctx)
    document = json.loads(ctx.ok("export", "json", "--scope", "ops"))
    assert [e["id"] for e in document["entries"]] == ["ops/deploy/steps"]
    assert document["scope"] == "ops"


def test_markdown_export_is_the_tree(ctx: Ctx) -> None:
    seed(ctx)
    run = ctx("export", "markdown", "--out", "md", "--json")
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["entries"] == 4
    assert "auth/jwt/refresh.md" in report["files"]
    for name in report["files"]:
        assert filecmp.cmp(ctx.cwd / "md" / name, ctx.store / "tree" / name, shallow=False)


def test_obsidian_vault_links(ctx: Ctx) -> None:
    seed(ctx)
    ctx.ok("export", "obsidian", "--out", "vault")
    note = (ctx.cwd / "vault/auth/jwt/refresh.md").read_text(encoding="utf-8")
    assert note.startswith("---\ntitle: Refresh rotates\naliases:\n- Refresh rotates\n")
    assert "depends_on:\n- '[[auth/jwt/signing-keys|Signing keys]]'\n" in note
    assert "supersedes:\n- '[[auth/jwt/long-lived|Long-lived refresh tokens]]'\n" in note
    assert note.endswith(
        "\n## Relations\n\n- depends_on: [[auth/jwt/signing-keys|Signing keys]]\n"
        "- supersedes: [[auth/jwt/long-lived|Long-lived refresh tokens]]\n"
    )
    keys = (ctx.cwd / "vault/auth/jwt/signing-keys.md").read_text(encoding="utf-8")
    assert "tags:\n- auth\n- key-management\n" in keys
    deploy = (ctx.cwd / "vault/ops/deploy/steps.md").read_text(encoding="utf-8")
    assert "- related: [[auth/jwt/context|auth/jwt]]" in deploy
    # Every wikilink resolves to a file of the vault by its path, as Obsidian resolves it.
    vault = ctx.cwd / "vault"
    for path in vault.rglob("*.md"):
        for match in WIKILINK_RE.finditer(path.read_text(encoding="utf-8")):
            target = match.group(2)
            if target != "auth/jwt/context":  # a folder without an overview of its own
                assert (vault / f"{target}.md").is_file(), (path, target)


def test_obsidian_export_imports_back_as_relations(ctx: Ctx, empty_store: Path) -> None:
    seed(ctx)
    ctx.ok("export", "obsidian", "--out", "vault")
    other = other_store(ctx, empty_store)
    shutil.move(ctx.cwd / "vault", other.cwd / "vault")
    run = other("import", "markdown", "vault", "--json")
    assert run.code == 0, run.stderr
    shown = json.loads(other.ok("show", "auth/jwt/refresh", "--json"))
    assert {"type": "related", "target": "auth/jwt/signing-keys"} in shown["relations"]


def test_import_json_refuses_what_is_not_an_export(ctx: Ctx) -> None:
    (ctx.cwd / "x.json").write_text('{"entries": []}')
    fails(ctx("import", "json", "x.json"), 5, 'x.json is not a ctx export (no "format": '
          '"ctxtree-export")')  # fmt: skip
    (ctx.cwd / "y.json").write_text('{"format": "ctxtree-export", "version": 9}')
    fails(ctx("import", "json", "y.json"), 5, "y.json is export version 9; this ctx reads 1")
    (ctx.cwd / "z.json").write_text(
        '{"format": "ctxtree-export", "version": 1, "entries": [{"id": "a/b/c", "title": 3}]}'
    )
    run = ctx("import", "json", "z.json")
    assert run.code == 0
    assert "skipped z.json#1: title is not a string\n" in run.stderr


@pytest.mark.parametrize("fmt", ["markdown", "obsidian"])
def test_dry_run_writes_nothing(ctx: Ctx, fmt: str) -> None:
    seed(ctx)
    out = ctx.ok("export", fmt, "--out", "dest", "--dry-run")
    assert "auth/jwt/refresh.md\n" in out
    assert not (ctx.cwd / "dest").exists()
