"""`ctx import byterover|memory-bank|serena|basic-memory|mcp-memory` through the CLI on
each format's fixture: the entries land, relations survive as typed relations, re-import adds
nothing, and a project folder is followed down to where the tool keeps its memory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import Ctx, fails

DATA = Path(__file__).parent / "data" / "import"


def copied(ctx: Ctx, fixture: str) -> str:
    """The fixture copied into the test's folder (so labels and paths are short)."""
    source = DATA / fixture
    if source.is_dir():
        shutil.copytree(source, ctx.cwd / fixture)
    else:
        shutil.copy(source, ctx.cwd / source.name)
        return source.name
    return fixture


def imported(ctx: Ctx, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ctx.ok("import", *args, "--json"))
    return data


def relations(ctx: Ctx, entry_id: str) -> list[str]:
    shown = json.loads(ctx.ok("show", entry_id, "--json"))
    return [f"{r['type']}:{r['target']}" for r in shown["relations"]]


def commits(ctx: Ctx) -> int:
    return int(ctx.git("rev-list", "--count", "HEAD"))


# (command, fixture, what to pass, entries added, an entry and its relations)
CASES = [
    (
        "byterover",
        "byterover",
        "byterover",
        [
            "authentication/jwt/refresh-token-rotation",
            "authentication/jwt/rotation/reuse-detection",
            "authentication/jwt/signing-keys",
            "database/postgres/connection-pooling",
        ],
        (
            "authentication/jwt/refresh-token-rotation",
            [
                "related:authentication/jwt/signing-keys",
                "related:database/postgres/connection-pooling",
            ],
        ),
    ),
    (
        "memory-bank",
        "memory-bank",
        "memory-bank",
        [
            "memory-bank/core/active-context",
            "memory-bank/features/csv-import",
            "memory-bank/core/product-context",
            "memory-bank/core/progress",
            "memory-bank/core/project-brief",
            "memory-bank/core/system-patterns",
            "memory-bank/core/tech-context",
        ],
        (
            "memory-bank/core/active-context",
            [
                "depends_on:memory-bank/core/product-context",
                "depends_on:memory-bank/core/system-patterns",
                "depends_on:memory-bank/core/tech-context",
            ],
        ),
    ),
    (
        "serena",
        "serena",
        "serena",
        [
            "serena/architecture/storage-layer",
            "serena/memories/project-overview",
            "serena/memories/style-and-conventions",
            "serena/memories/suggested-commands",
            "serena/memories/task-completion-checklist",
        ],
        ("serena/memories/suggested-commands", []),
    ),
    (
        "basic-memory",
        "basic-memory",
        "basic-memory",
        [
            "basic-memory/notes/brewing-ratio-decision",
            "basic-memory/coffee/beans/coffee-bean-origins",
            "basic-memory/coffee/coffee-brewing-methods",
            "basic-memory/coffee/grinder-settings",
            "basic-memory/coffee/proper-grinding-technique",
            "basic-memory/people/james-hoffmann",
        ],
        (
            "basic-memory/coffee/coffee-brewing-methods",
            [
                "related:basic-memory/coffee/grinder-settings",
                "related:basic-memory/coffee/beans/coffee-bean-origins",
                "depends_on:basic-memory/coffee/proper-grinding-technique",
                "example_of:basic-memory/notes/brewing-ratio-decision",
            ],
        ),
    ),
    (
        "mcp-memory",
        "mcp-memory/memory.jsonl",
        "memory.jsonl",
        [
            "mcp-memory/person/john-smith",
            "mcp-memory/organization/anthropic",
            "mcp-memory/project/project-atlas",
            "mcp-memory/component/search-backend",
            "mcp-memory/person/jane-doe",
        ],
        (
            "mcp-memory/project/project-atlas",
            ["depends_on:mcp-memory/component/search-backend"],
        ),
    ),
]


@pytest.mark.parametrize(
    ("command", "fixture", "given", "added", "related"), CASES, ids=[c[0] for c in CASES]
)
def test_import_then_reimport(
    ctx: Ctx,
    command: str,
    fixture: str,
    given: str,
    added: list[str],
    related: tuple[str, list[str]],
) -> None:
    assert copied(ctx, fixture) == given
    before = commits(ctx)
    first = imported(ctx, command, given)
    assert (first["format"], first["source"], first["added"]) == (command, given, added)
    assert commits(ctx) == before + 1
    entry_id, expected = related
    assert relations(ctx, entry_id) == expected
    shown = json.loads(ctx.ok("show", entry_id, "--json"))
    assert shown["trust"] == "agent"
    assert shown["sources"][0]["type"] == command
    again = imported(ctx, command, given)
    assert (again["added"], again["updated"], again["commit"]) == ([], [], None)
    assert sorted(again["unchanged"]) == sorted(added)
    assert commits(ctx) == before + 1


def test_byterover_from_the_project_folder(ctx: Ctx) -> None:
    copied(ctx, "byterover")
    out = ctx.ok("import", "byterover", "byterover")
    assert out.startswith("byterover import of byterover: 4 added, 9 skipped (")
    overview = (ctx.store / "tree/authentication/jwt/context.md").read_text(encoding="utf-8")
    assert "Access tokens are short-lived JWTs; refresh tokens rotate on every use." in overview
    entry = ctx.file("authentication/jwt/refresh-token-rotation").read_text(encoding="utf-8")
    assert "importance: 72\n" in entry and "maturity: validated\n" in entry
    assert "  - {type: file, ref: src/auth/refresh.ts}\n" in entry
    assert "author: dana\n" in entry
    run = ctx("import", "byterover", "byterover", "--json")
    skipped = {s["path"]: s["reason"] for s in json.loads(run.stdout)["skipped"]}
    assert skipped["_manifest.json"] == "not a .md file"
    assert skipped["notes.md"] == "not inside a domain/topic folder"


def test_serena_and_memory_bank_from_the_project(ctx: Ctx) -> None:
    copied(ctx, "serena")
    shutil.copytree(DATA / "memory-bank" / "memory-bank", ctx.cwd / "serena" / "memory-bank")
    assert imported(ctx, "serena", "serena", "--domain", "project")["added"][:1] == [
        "project/architecture/storage-layer"
    ]
    bank = imported(ctx, "memory-bank", "serena", "--domain", "project")
    assert "project/core/project-brief" in bank["added"]


def test_dry_run_writes_nothing(ctx: Ctx) -> None:
    copied(ctx, "mcp-memory/memory.jsonl")
    before = commits(ctx)
    run = ctx("import", "mcp-memory", "memory.jsonl", "--dry-run")
    assert run.code == 0
    assert "dry run: mcp-memory import of memory.jsonl would be 5 added, 3 skipped" in run.stderr
    assert commits(ctx) == before
    assert not ctx.file("mcp-memory/person/john-smith").exists()


def test_bad_arguments(ctx: Ctx) -> None:
    fails(ctx("import", "serena", "nowhere"), 3, "no folder nowhere")
    copied(ctx, "serena")
    run = ctx("import", "serena", "serena", "--domain", "Bad Domain")
    assert run.code == 5
    assert "is not a slug" in run.stderr
    fails(ctx("import", "mcp-memory", "missing.jsonl"), 3, "no file missing.jsonl")
