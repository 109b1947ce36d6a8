"""ctx blame: who, what and when for each part of an entry."""

from __future__ import annotations

import json
from typing import Any

from conftest import NOW, Ctx, add

LATER = "2026-11-22T08:30:00Z"
LATEST = "2026-11-23T12:00:00Z"


def as_agent(ctx: Ctx, actor: str, now: str, *args: str) -> str:
    saved = dict(ctx.env)
    ctx.env.update({"CTX_ACTOR": actor, "CTX_NOW": now})
    try:
        return ctx.ok(*args)
    finally:
        ctx.env.clear()
        ctx.env.update(saved)


def parts(ctx: Ctx, entry_id: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(ctx.ok("blame", entry_id, "--json"))
    return data


def who(data: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    return {(p["part"], p["text"]): (p["actor"], p["op"]) for p in data}


def sha_of(ctx: Ctx, rev: str = "HEAD") -> str:
    return ctx.git("rev-parse", rev).strip()


def test_blame_credits_each_part_to_the_commit_that_introduced_it(ctx: Ctx) -> None:
    add(
        ctx, "a/b/c", "Refresh tokens rotate", "--summary", "Each refresh issues a new token.",
        "--tag", "auth", "--keyword", "rotation", "--source", "commit:3f2a1c9",
        "--body", "Old tokens are revoked.\n\n## Why\n- replay attacks",
    )  # fmt: skip
    added = sha_of(ctx)
    add(ctx, "a/b/keys", "Signing keys")
    as_agent(
        ctx, "agent:reviewer", LATER,
        "edit", "a/b/c", "--add-tag", "security", "--add-keyword", "revoke",
        "--body", "Old tokens are revoked.\n\n## Why\n- replay attacks\n- stolen devices",
    )  # fmt: skip
    edited = sha_of(ctx)
    as_agent(ctx, "claude-code", LATEST, "link", "a/b/c", "a/b/keys", "--type", "depends_on")
    linked = sha_of(ctx)

    data = parts(ctx, "a/b/c")
    assert who(data) == {
        ("title", "Refresh tokens rotate"): ("human:tester", "add"),
        ("summary", "Each refresh issues a new token."): ("human:tester", "add"),
        ("tag", "auth"): ("human:tester", "add"),
        ("tag", "security"): ("agent:reviewer", "edit"),
        ("keyword", "rotation"): ("human:tester", "add"),
        ("keyword", "revoke"): ("agent:reviewer", "edit"),
        ("relation", "depends_on:a/b/keys"): ("claude-code", "link"),
        ("source", "commit:3f2a1c9"): ("human:tester", "add"),
        ("section", "# Refresh tokens rotate"): ("human:tester", "add"),
        ("fact", "Old tokens are revoked."): ("human:tester", "add"),
        ("section", "## Why"): ("human:tester", "add"),
        ("fact", "- replay attacks"): ("human:tester", "add"),
        ("fact", "- stolen devices"): ("agent:reviewer", "edit"),
    }
    by = {(p["part"], p["text"]): p for p in data}
    assert by[("tag", "auth")]["commit"] == added
    assert by[("tag", "security")]["commit"] == edited
    assert by[("tag", "security")]["time"].startswith("2026-11-22T08:30:00")
    assert by[("relation", "depends_on:a/b/keys")]["commit"] == linked
    assert by[("relation", "depends_on:a/b/keys")]["time"].startswith("2026-11-23T12:00:00")
    assert by[("source", "commit:3f2a1c9")]["sources"] == ["commit:3f2a1c9"]
    assert by[("tag", "auth")]["time"].startswith(NOW[:19])
    text = ctx.file("a/b/c").read_text().splitlines()
    for part in data:  # line numbers point at the part in the file
        assert part["text"].split(":")[-1] in text[part["line"] - 1]
    why = by[("section", "## Why")]
    assert (why["line"], why["end_line"]) == (text.index("## Why") + 1, len(text))
    assert by[("fact", "- stolen devices")]["section"] == "## Why"

    out = ctx.ok("blame", "a/b/c").splitlines()
    assert any(
        line.split()[1:3] == ["tag", "security"] and f"{edited[:10]}  agent:reviewer" in line
        for line in out
    )
    assert any("- stolen devices" in line and "2026-11-22 08:30  edit" in line for line in out)


def test_blame_follows_a_move_and_an_archive_move(ctx: Ctx) -> None:
    add(ctx, "a/b/old", "Moved entry", "--tag", "first", "--body", "A fact from before.")
    added = sha_of(ctx)
    as_agent(ctx, "agent:b", LATER, "mv", "a/b/old", "a/b/new")
    as_agent(ctx, "agent:c", LATEST, "edit", "a/b/new", "--add-tag", "second")
    data = {(p["part"], p["text"]): p for p in parts(ctx, "a/b/new")}
    assert data[("title", "Moved entry")]["commit"] == added
    assert data[("tag", "first")]["commit"] == added
    assert data[("fact", "A fact from before.")]["commit"] == added
    assert data[("tag", "second")]["actor"] == "agent:c"
    (ctx.store / "archive" / "a" / "b").mkdir(parents=True)
    ctx.git("mv", "tree/a/b/new.md", "archive/a/b/new.md")
    ctx.git("commit", "-qm", "archive: a/b/new")
    data = {(p["part"], p["text"]): p for p in parts(ctx, "a/b/new")}
    assert data[("fact", "A fact from before.")]["commit"] == added
    assert data[("tag", "first")]["commit"] == added


def test_blame_shows_uncommitted_parts(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C", "--tag", "kept", "--body", "Committed fact.")
    path = ctx.file("a/b/c")
    text = path.read_text().replace("tags: [kept]", "tags: [kept, fresh]")
    path.write_text(text + "A hand-written fact.\n")
    data = {(p["part"], p["text"]): p for p in parts(ctx, "a/b/c")}
    assert data[("fact", "A hand-written fact.")]["uncommitted"] is True
    assert data[("fact", "A hand-written fact.")]["commit"] is None
    assert data[("tag", "fresh")]["uncommitted"] is True
    assert data[("tag", "kept")]["op"] == "add"
    assert data[("fact", "Committed fact.")]["op"] == "add"
    lines = ctx.ok("blame", "a/b/c").splitlines()
    assert [line.split()[-1] for line in lines if "A hand-written fact." in line] == ["uncommitted"]
    add(ctx, "a/b/d", "D")
    ctx.file("a/b/d").unlink()
    new = ctx.store / "tree" / "a" / "b" / "e.md"
    new.write_text(path.read_text())
    assert all(p["uncommitted"] for p in parts(ctx, "a/b/e"))


def test_blame_of_a_missing_entry(ctx: Ctx) -> None:
    run = ctx("blame", "a/b/nope")
    assert run.code == 3
    assert run.stderr.startswith("ctx: error: no entry 'a/b/nope'")
    assert json.loads(ctx("blame", "a/b/nope", "--json").stderr)["error"]["exit"] == 3
