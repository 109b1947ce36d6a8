"""Entry commands through the CLI on a real store: exact output, files and commits."""

from __future__ import annotations

import json

from conftest import NOW, Ctx, add, fails


def test_add_writes_the_canonical_file_and_one_commit(ctx: Ctx) -> None:
    out = ctx.ok(
        "add", "auth/jwt/refresh-rotation",
        "--title", "Refresh tokens rotate on every use",
        "--summary", "Each refresh issues a new refresh token.",
        "--kind", "decision", "--tag", "auth", "--tag", "security", "--tag", "auth",
        "--keyword", "refresh token", "--source", "commit:3f2a1c9",
        "--source", "file:src/auth/refresh.py#L40-88",
        "--body", "Reuse of a revoked token revokes the family.",
    )  # fmt: skip
    assert out.startswith("added auth/jwt/refresh-rotation (")
    assert ctx.file("auth/jwt/refresh-rotation").read_text() == (
        "---\n"
        "schema: 1\n"
        "title: Refresh tokens rotate on every use\n"
        "summary: Each refresh issues a new refresh token.\n"
        "kind: decision\n"
        "tags: [auth, security]\n"
        "keywords: [refresh token]\n"
        "sources:\n"
        "  - {type: commit, ref: 3f2a1c9}\n"
        "  - {type: file, ref: src/auth/refresh.py#L40-88}\n"
        "author: human:tester\n"
        "trust: user\n"
        "importance: 50\n"
        "maturity: draft\n"
        f"created: {NOW}\n"
        f"updated: {NOW}\n"
        "---\n"
        "# Refresh tokens rotate on every use\n"
        "\n"
        "Reuse of a revoked token revokes the family.\n"
    )
    message = ctx.git("log", "-1", "--format=%B")
    assert message == (
        "add: auth/jwt/refresh-rotation\n\nRefresh tokens rotate on every use\n\n"
        "Ctx-Op: add\nCtx-Actor: human:tester\n"
        "Ctx-Source: commit:3f2a1c9\nCtx-Source: file:src/auth/refresh.py#L40-88\n\n"
    )
    assert ctx.git("status", "--porcelain") == ""


def test_agent_author_defaults_to_agent_trust(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "T", "--author", "claude-code")
    data = json.loads(ctx.ok("show", "a/b/c", "--json"))
    assert (data["author"], data["trust"]) == ("claude-code", "agent")
    assert "Ctx-Actor: claude-code" in ctx.git("log", "-1", "--format=%B")


def test_body_from_stdin_keeps_a_given_heading(ctx: Ctx) -> None:
    ctx.ok("add", "a/b/c", "--title", "T", "--body", "-", input="# Own heading\n\ntext\n")
    assert ctx.file("a/b/c").read_text().endswith("---\n# Own heading\n\ntext\n")


def test_show_formats_the_entry(ctx: Ctx) -> None:
    add(ctx, "a/b/target", "Target")
    ctx.ok(
        "add", "a/b/c", "--title", "Title", "--summary", "Sum.", "--tag", "x",
        "--relate", "depends_on:a/b/target", "--source", "issue:LARK-1", "--body", "Body.",
    )  # fmt: skip
    assert ctx.ok("show", "a/b/c") == (
        "a/b/c  [note]\n"
        f"  importance 50 · draft · trust user · by human:tester · updated {NOW}\n"
        "  summary: Sum.\n"
        "  tags: x\n"
        "  → depends_on a/b/target\n"
        "  sources: issue:LARK-1\n"
        "\n"
        "# Title\n\nBody.\n"
    )
    raw = ctx.ok("show", "a/b/c", "--raw")
    assert raw == ctx.file("a/b/c").read_text()
    data = json.loads(ctx.ok("show", "a/b/c", "--json"))
    assert data["relations"] == [{"type": "depends_on", "target": "a/b/target"}]
    assert data["sources"] == [{"type": "issue", "ref": "LARK-1"}]


def test_show_missing_entry_is_not_found(ctx: Ctx) -> None:
    run = ctx("show", "a/b/none")
    assert run.code == 3
    assert run.stdout == ""
    assert run.stderr == (
        "ctx: error: no entry 'a/b/none'\n  hint: list entries with `ctx ls [PREFIX]`\n"
    )
    run = ctx("show", "a/b/none", "--json")
    assert json.loads(run.stderr)["error"]["code"] == "not_found"


def test_ls_and_tree(ctx: Ctx) -> None:
    add(ctx, "auth/jwt/keys", "Signing keys")
    add(ctx, "auth/jwt/refresh", "Refresh")
    add(ctx, "infra/k8s/probes/liveness", "Liveness")
    assert ctx.ok("ls") == (
        "auth/jwt/keys              Signing keys\n"
        "auth/jwt/refresh           Refresh\n"
        "infra/k8s/probes/liveness  Liveness\n"
    )
    assert ctx.ok("ls", "infra") == "infra/k8s/probes/liveness  Liveness\n"
    assert json.loads(ctx.ok("ls", "auth/jwt", "--json")) == [
        {"id": "auth/jwt/keys", "title": "Signing keys", "path": "tree/auth/jwt/keys.md"},
        {"id": "auth/jwt/refresh", "title": "Refresh", "path": "tree/auth/jwt/refresh.md"},
    ]
    # a prefix naming nothing is a mistake, like lint's: exit 3 (tests/test_not_found.py)
    assert ctx("ls", "nothing").code == ctx("ls", "nothing", "--json").code == 3
    tree = ctx.ok("tree")
    assert "auth/ (2)" in tree and "probes/ (1)" in tree and "liveness — Liveness" in tree
    shallow = ctx.ok("tree", "--depth", "1")
    assert "jwt" not in shallow and "auth/ (2)" in shallow
    nested = json.loads(ctx.ok("tree", "auth", "--json"))
    assert nested == {
        "jwt": {
            "_entries": [
                {"id": "auth/jwt/keys", "title": "Signing keys"},
                {"id": "auth/jwt/refresh", "title": "Refresh"},
            ]
        }
    }


def test_edit_fields_and_title_heading(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "Old title", "--tag", "keep", "--tag", "drop", "--body", "Text.")
    out = ctx.ok(
        "edit", "a/b/c", "--title", "New title", "--add-tag", "new", "--rm-tag", "drop",
        "--importance", "70", "--maturity", "validated", "--add-source", "url:https://x.org",
    )  # fmt: skip
    assert out.startswith("edited a/b/c (")
    data = json.loads(ctx.ok("show", "a/b/c", "--json"))
    assert data["title"] == "New title"
    assert data["body"] == "# New title\n\nText.\n"
    assert data["tags"] == ["keep", "new"]
    assert (data["importance"], data["maturity"]) == (70, "validated")
    assert data["sources"] == [{"type": "url", "ref": "https://x.org"}]
    run = ctx("edit", "a/b/c", "--importance", "70")
    assert run.code == 0 and "nothing changed" in run.stderr
    fails(
        ctx("edit", "a/b/c", "--maturity", "gold"),
        2,
        "--maturity 'gold' is not one of draft, validated, core",
    )
    fails(ctx("edit", "a/b/c"), 2, "no changes given")  # no flags and no terminal: usage error


def test_edit_preserves_hand_formatting_of_untouched_frontmatter(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "T")
    path = ctx.file("a/b/c")
    text = path.read_text().replace(
        "kind: note\n", "kind: note   # hand comment\nowner: {team: x}\n"
    )
    path.write_text(text)
    ctx.ok("commit", "-m", "hand edit")
    ctx.ok("edit", "a/b/c", "--body", "New body")
    new = path.read_text()
    assert "owner: {team: x}" in new  # unknown key survives
    assert new.endswith("# T\n\nNew body\n")


def test_mv_rewrites_relations_and_inline_links_in_one_commit(ctx: Ctx) -> None:
    add(ctx, "a/b/old", "Old")
    add(ctx, "a/b/one", "One", "--relate", "depends_on:a/b/old")
    add(ctx, "a/b/two", "Two", "--body", "See [[a/b/old]] and [[a/b/old|the old one]].")
    add(ctx, "a/b/three", "Three")
    before = ctx.git("rev-list", "--count", "HEAD")
    out = ctx.ok("mv", "a/b/old", "c/d/new")
    assert "relations rewritten in: a/b/one, a/b/two" in out
    assert int(ctx.git("rev-list", "--count", "HEAD")) == int(before) + 1
    assert not ctx.file("a/b/old").exists() and ctx.file("c/d/new").exists()
    assert "{type: depends_on, target: c/d/new}" in ctx.file("a/b/one").read_text()
    assert "See [[c/d/new]] and [[c/d/new|the old one]]." in ctx.file("a/b/two").read_text()
    assert ctx.git("show", "--stat", "--format=", "HEAD").count("|") == 3
    assert json.loads(ctx.ok("related", "c/d/new", "--json")) == [
        {"direction": "in", "type": "depends_on", "id": "a/b/one", "title": "One",
         "exists": True},
        {"direction": "in", "type": "related", "id": "a/b/two", "title": "Two", "exists": True},
    ]  # fmt: skip


def test_mv_onto_an_existing_id_is_a_conflict_and_changes_nothing(ctx: Ctx) -> None:
    add(ctx, "a/b/one", "One")
    add(ctx, "a/b/two", "Two")
    head = ctx.git("rev-parse", "HEAD")
    run = ctx("mv", "a/b/one", "a/b/two")
    assert run.code == 4
    assert "cannot move 'a/b/one' onto 'a/b/two': that entry exists" in run.stderr
    assert ctx.git("rev-parse", "HEAD") == head
    assert ctx.file("a/b/one").exists()


def test_link_unlink_related(ctx: Ctx) -> None:
    add(ctx, "a/b/src", "Source")
    add(ctx, "a/b/dst", "Dest")
    assert ctx.ok("link", "a/b/src", "a/b/dst", "--type", "depends_on").startswith(
        "linked a/b/src -depends_on-> a/b/dst ("
    )
    run = ctx("link", "a/b/src", "a/b/dst", "--type", "depends_on")
    assert run.code == 0 and "already depends_on a/b/dst" in run.stderr
    fails(ctx("link", "a/b/src", "a/b/missing"), 3, "relation target 'a/b/missing' does not exist")
    fails(ctx("link", "a/b/src", "a/b/src"), 2, "an entry cannot relate to itself")
    fails(
        ctx("link", "a/b/src", "a/b/dst", "--type", "likes"),
        2,
        "--type 'likes' is not one of related, depends_on, part_of, supersedes, contradicts, "
        "derived_from, example_of",
    )
    assert ctx.ok("related", "a/b/src") == "→ depends_on a/b/dst Dest\n"
    assert ctx.ok("related", "a/b/dst") == "← depends_on a/b/src Source\n"
    ctx.ok("unlink", "a/b/src", "a/b/dst")
    assert ctx.ok("related", "a/b/src") == ""
    fails(ctx("unlink", "a/b/src", "a/b/dst"), 3, "'a/b/src' has no relation to 'a/b/dst'")


def test_rm_refuses_while_referenced_then_forces(ctx: Ctx) -> None:
    add(ctx, "a/b/target", "Target")
    add(ctx, "a/b/user", "User", "--relate", "related:a/b/target")
    run = ctx("rm", "a/b/target")
    assert run.code == 4
    assert "1 entry points at 'a/b/target': a/b/user" in run.stderr
    assert ctx.file("a/b/target").exists()
    ctx.ok("rm", "a/b/target", "--force")
    assert not ctx.file("a/b/target").exists()
    assert "relations" not in ctx.file("a/b/user").read_text()
    assert not (ctx.store / "tree" / "a" / "b" / "target.md").exists()


def test_rm_prunes_empty_folders(ctx: Ctx) -> None:
    add(ctx, "x/y/z", "Z")
    ctx.ok("rm", "x/y/z")
    assert not (ctx.store / "tree" / "x").exists()
    fails(ctx("show", "x/y/z"), 3, "no entry 'x/y/z'")


def _on_a_terminal(ctx: Ctx, editor: str, *args: str) -> int:
    """Run `ctx` under a pseudo-terminal (util-linux `script`), as a person at a shell would."""
    import os
    import shlex
    import subprocess
    import sys

    command = shlex.join([sys.executable, "-m", "ctxtree", *args])
    env = {**os.environ, **ctx.env, "EDITOR": editor}
    done = subprocess.run(
        ["script", "-qec", command, "/dev/null"], cwd=ctx.cwd, env=env, capture_output=True,
        stdin=subprocess.DEVNULL, timeout=60,
    )  # fmt: skip
    return done.returncode


def test_edit_without_flags_opens_the_editor_on_a_terminal(ctx: Ctx) -> None:
    import shutil

    import pytest

    if shutil.which("script") is None:
        pytest.skip("util-linux `script` is needed to provide a terminal")
    add(ctx, "a/b/c", "Title", "--body", "Old text.")
    assert _on_a_terminal(ctx, "sed -i s/Old/New/", "edit", "a/b/c") == 0
    assert ctx.file("a/b/c").read_text().endswith("# Title\n\nNew text.\n")
    assert ctx.git("log", "-1", "--format=%s") == "edit: a/b/c\n"
    # an edit that breaks the frontmatter is refused and nothing is written
    before = ctx.file("a/b/c").read_text()
    assert _on_a_terminal(ctx, "sed -i s/^title:.*/title:[/", "edit", "a/b/c") == 5
    assert ctx.file("a/b/c").read_text() == before
