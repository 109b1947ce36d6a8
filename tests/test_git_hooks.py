"""Git integration: the project's post-commit hook records commits and flags anchored entries
stale; the stale flag (frontmatter, ranking, `ctx review`); the store's pre-commit hook; and
`ctx hooks install|uninstall|status` round trips on real repositories and settings files."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import Ctx

from ctxtree.curation.anchors import matches
from ctxtree.retrieval import scoring
from ctxtree.tree import frontmatter
from ctxtree.tree.model import Stale


def git(cwd: Path, ctx: Ctx, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **ctx.env}, capture_output=True,
        text=True, check=check, timeout=120,
    )  # fmt: skip


def project_repo(ctx: Ctx) -> Path:
    """The `ctx` fixture's project made a git repository with one commit of src/auth.py."""
    root = ctx.cwd
    git(root, ctx, "init", "-q")
    git(root, ctx, "config", "user.name", "Ann Dev")
    git(root, ctx, "config", "user.email", "ann@example.com")
    (root / ".gitignore").write_text(".ctx/\n")
    (root / "src").mkdir()
    (root / "src" / "auth.py").write_text("def refresh():\n    pass\n")
    (root / "README").write_text("hello\n")
    git(root, ctx, "add", ".")
    git(root, ctx, "commit", "-q", "-m", "init")
    return root


def anchored(ctx: Ctx, entry_id: str, anchors: list[str], title: str = "Refresh rotates") -> None:
    plan = {"operations": [{"op": "ADD", "id": entry_id, "title": title, "anchors": anchors,
                            "body": "Tokens rotate on refresh.", "reason": "test"}]}  # fmt: skip
    ctx.ok("apply", "-", input=json.dumps(plan))


def wait_for(predicate, what: str):  # type: ignore[no-untyped-def]
    """Poll until the detached worker has written (bounded: a hang fails, not a slow run)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# ---- pure rules ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("anchor", "path", "expected"),
    [
        ("src/auth.py", "src/auth.py", True),
        ("src/auth.py", "src/auth.pyc", False),
        ("./src/auth.py", "src/auth.py", True),
        ("src/auth", "src/auth/jwt.py", True),
        ("src/auth/", "src/auth/jwt.py", True),
        ("src/auth", "src/authz.py", False),
        ("src/*.py", "src/auth.py", True),
        ("src/**/*.py", "src/auth/jwt.py", True),
        ("src/**/*.py", "src/auth.py", True),
        ("*.sql", "db/schema.sql", True),
        ("docs/*.md", "src/auth.py", False),
        ("", "src/auth.py", False),
    ],
)
def test_anchor_matching(anchor: str, path: str, expected: bool) -> None:
    assert matches(anchor, path) is expected


@pytest.mark.parametrize(
    ("importance", "maturity", "fresh", "stale", "expected"),
    [
        (100, "core", 1.0, False, 1.0),
        (100, "core", 1.0, True, 0.5),
        (50, "draft", 1.0, False, 0.55),
        (50, "draft", 1.0, True, 0.275),
        (0, "draft", 0.0, True, 0.0),
    ],
)
def test_a_stale_entry_keeps_half_its_lifecycle_prior(
    importance: float, maturity: str, fresh: float, stale: bool, expected: float
) -> None:
    assert scoring.prior(importance, maturity, fresh, stale) == pytest.approx(expected)


def test_the_stale_flag_round_trips_through_frontmatter() -> None:
    text = (
        "---\ntitle: T\nanchors: [src/a.py]\n"
        "stale: {since: 'commit:abc1234', paths: [src/a.py]}\n---\nBody\n"
    )
    entry = frontmatter.parse(text, "a/b/c")
    assert entry.stale == Stale("commit:abc1234", ("src/a.py",))
    assert frontmatter.serialize(entry) == text  # unchanged: byte for byte
    assert frontmatter.parse("---\ntitle: T\nstale: true\n---\n", "a/b/c").stale == Stale("")
    with pytest.raises(Exception, match="'stale' must be a mapping"):
        frontmatter.parse("---\ntitle: T\nstale: [x]\n---\n", "a/b/c")


# ---- post-commit --------------------------------------------------------------------------
def test_a_real_commit_records_an_episode_and_flags_the_anchored_entry(ctx: Ctx) -> None:
    root = project_repo(ctx)
    anchored(ctx, "auth/jwt/refresh", ["src/auth.py"])
    anchored(ctx, "docs/readme/intro", ["docs/*.md"], title="Intro")
    installed = ctx.ok("hooks", "install", "--git")
    assert ".git/hooks/post-commit: installed" in installed
    (root / "src" / "auth.py").write_text("def refresh():\n    rotate()\n    return 1\n")
    done = git(root, ctx, "commit", "-q", "-a", "-m", "Rotate refresh tokens",
               "-m", "The old token is revoked.")  # fmt: skip
    assert done.stderr == ""
    sha = git(root, ctx, "rev-parse", "HEAD").stdout.strip()

    def episodes() -> list[str]:
        listed = ctx("ls", "episodes", "--json")  # exit 3 until the worker has written
        return [e["id"] for e in json.loads(listed.stdout)] if listed.code == 0 else []

    (episode_id,) = wait_for(episodes, "the episode")
    episode = json.loads(ctx.ok("show", episode_id, "--json"))
    assert episode["kind"] == "episode"
    assert episode["title"] == "Rotate refresh tokens"
    assert episode["sources"] == [{"type": "commit", "ref": sha[:12]}]
    assert episode["trust"] == "user" and episode["author"] == "human:Ann Dev"
    assert episode["relations"] == [{"type": "related", "target": "auth/jwt/refresh"}]
    assert "The old token is revoked." in episode["body"]
    assert "- src/auth.py (+2 -1)" in episode["body"]

    flagged = json.loads(ctx.ok("show", "auth/jwt/refresh", "--json"))
    assert flagged["stale"] == {"since": f"commit:{sha[:12]}", "paths": ["src/auth.py"]}
    assert json.loads(ctx.ok("show", "docs/readme/intro", "--json"))["stale"] is None
    shown = ctx.ok("show", "auth/jwt/refresh")
    assert f"stale: src/auth.py changed since commit:{sha[:12]}" in shown
    # One store commit for the episode and the flag, saying where it came from.
    message = ctx.git("log", "-1", "--format=%B")
    assert f"Ctx-Source: commit:{sha[:12]}" in message
    assert not (ctx.store / "cache" / "hooks.log").exists()


def test_review_lists_and_clears_stale_entries(ctx: Ctx) -> None:
    anchored(ctx, "auth/jwt/refresh", ["src/auth.py"])
    path = ctx.file("auth/jwt/refresh")
    text = path.read_text().replace(
        "anchors:", "stale: {since: 'commit:abc', paths: [src/auth.py]}\nanchors:"
    )
    path.write_text(text)
    ctx.git("commit", "-qam", "flag by hand")
    assert ctx.ok("review", "stale") == "auth/jwt/refresh  commit:abc  src/auth.py\n"
    listed = json.loads(ctx.ok("review", "stale", "--json"))
    assert listed == [{"id": "auth/jwt/refresh", "title": "Refresh rotates",
                       "since": "commit:abc", "paths": ["src/auth.py"]}]  # fmt: skip
    commits = ctx.git("rev-list", "--count", "HEAD")
    cleared = ctx("review", "ok", "auth/jwt/refresh")
    assert cleared.code == 0 and cleared.stdout.startswith("reviewed auth/jwt/refresh (")
    assert int(ctx.git("rev-list", "--count", "HEAD")) == int(commits) + 1
    assert "stale" not in ctx.file("auth/jwt/refresh").read_text()
    assert ctx.ok("review", "stale", "--json") == "[]\n"
    again = ctx("review", "ok", "auth/jwt/refresh")
    assert again.code == 0 and "not flagged stale" in again.stderr


def ranked(ctx: Ctx, query: str) -> list[dict[str, object]]:
    """The hits, confident or not (two twins split the confidence: exit 3)."""
    run = ctx("search", query, "--json")
    assert run.code in (0, 3), run.stderr
    hits: list[dict[str, object]] = json.loads(run.stdout)["hits"]
    return hits


def test_search_marks_and_down_ranks_a_stale_entry(ctx: Ctx) -> None:
    for entry_id in ("auth/jwt/a-rotation", "auth/jwt/b-rotation"):
        anchored(ctx, entry_id, ["src/auth.py"], title="Token rotation rule")
    hits = ranked(ctx, "token rotation")
    assert [h["id"] for h in hits] == ["auth/jwt/a-rotation", "auth/jwt/b-rotation"]
    path = ctx.file("auth/jwt/a-rotation")
    path.write_text(path.read_text().replace("anchors:", "stale: {since: 'commit:1'}\nanchors:"))
    hits = ranked(ctx, "token rotation")
    assert [(h["id"], h["stale"]) for h in hits] == [
        ("auth/jwt/b-rotation", False), ("auth/jwt/a-rotation", True)
    ]  # fmt: skip
    assert "Token rotation rule [stale]" in ctx("search", "token rotation").stdout


# ---- the store's pre-commit ---------------------------------------------------------------
def test_the_store_pre_commit_refuses_secrets_and_invalid_entries(ctx: Ctx) -> None:
    # `ctx init` installed it (the fixture's store was made by `ctx init`).
    assert "hooks check" in (ctx.store / ".git" / "hooks" / "pre-commit").read_text()
    bad = ctx.store / "tree" / "auth" / "jwt" / "leak.md"
    bad.parent.mkdir(parents=True)
    bad.write_text("---\ntitle: Leak\n---\nkey ghp_abcdefghijklmnopqrstuvwxyz0123456789\n")
    git(ctx.store, ctx, "add", ".")
    refused = git(ctx.store, ctx, "commit", "-q", "-m", "by hand", check=False)
    assert refused.returncode != 0
    assert "tree/auth/jwt/leak.md: looks like a credential: github-token" in refused.stderr
    bad.write_text("---\ntitle: [unclosed\n---\n")
    git(ctx.store, ctx, "add", ".")
    refused = git(ctx.store, ctx, "commit", "-q", "-m", "by hand", check=False)
    assert refused.returncode != 0 and "malformed YAML" in refused.stderr
    bad.write_text("---\ntitle: Fine\n---\nNothing secret.\n")
    git(ctx.store, ctx, "add", ".")
    assert git(ctx.store, ctx, "commit", "-q", "-m", "by hand", check=False).returncode == 0
    # ctx's own commits do not run it (they validated already) and still work.
    ctx.ok("add", "auth/jwt/other", "--title", "Other")


# ---- install / uninstall ------------------------------------------------------------------
SETTINGS = {
    "model": "opus",
    "permissions": {"allow": ["Bash(ls)"]},
    "hooks": {
        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "guard"}]}],
    },
}
OLD_HOOK = '#!/bin/sh\necho "$0" >> "$(git rev-parse --git-dir)/old-hook-ran"\n'


def test_install_and_uninstall_round_trip_keeping_what_was_there(ctx: Ctx) -> None:
    root = project_repo(ctx)
    (root / ".claude").mkdir()
    settings = root / ".claude" / "settings.json"
    settings.write_text(json.dumps(SETTINGS))
    old = root / ".git" / "hooks" / "post-commit"
    old.write_text(OLD_HOOK)
    old.chmod(0o755)

    first = ctx("hooks", "install", "--git", "--claude")
    assert first.code == 0
    assert f"{ctx.store}/.git/hooks/pre-commit: already installed" in first.stderr  # by init
    assert first.stdout.splitlines() == [
        f"{old}: existing hook kept as post-commit.pre-ctx, run first",
        f"{old}: updated",
        f"{settings}: hooks for SessionStart, UserPromptSubmit, PreCompact, Stop",
    ]
    data = json.loads(settings.read_text())
    assert data["model"] == "opus" and data["permissions"] == SETTINGS["permissions"]
    assert data["hooks"]["PreToolUse"] == SETTINGS["hooks"]["PreToolUse"]
    stop = data["hooks"]["Stop"]
    assert stop[0] == SETTINGS["hooks"]["Stop"][0]
    (ours,) = stop[1]["hooks"]
    assert ours["command"].endswith("-m ctxtree hook Stop") and ours["async"] is True
    (start,) = data["hooks"]["SessionStart"][0]["hooks"]
    assert start["timeout"] == 10 and "async" not in start

    again = ctx("hooks", "install", "--git", "--claude", "--json")
    assert json.loads(again.stdout)["changed"] == []

    status = json.loads(ctx.ok("hooks", "status", "--json"))
    assert status["claude"] == ["PreCompact", "SessionStart", "Stop", "UserPromptSubmit"]
    assert status["git"] == {
        "pre-commit (store)": "installed",
        "post-commit (project)": "installed (runs post-commit.pre-ctx first)",
    }
    assert status["injections"] == {"injections": 0, "silent": 0, "tokens": 0, "sessions": 0}

    # The chained hook still runs on a real commit.
    (root / "README").write_text("changed\n")
    git(root, ctx, "commit", "-q", "-a", "-m", "docs")
    assert (root / ".git" / "old-hook-ran").read_text().strip().endswith("post-commit.pre-ctx")

    removed = ctx("hooks", "uninstall")
    assert removed.code == 0 and len(removed.stdout.splitlines()) == 3
    assert json.loads(settings.read_text()) == SETTINGS
    assert old.read_text() == OLD_HOOK
    assert not (ctx.store / ".git" / "hooks" / "pre-commit").exists()
    assert not (root / ".git" / "hooks" / "post-commit.pre-ctx").exists()
    assert json.loads(ctx.ok("hooks", "uninstall", "--json"))["changed"] == []


def test_doctor_installs_a_missing_store_pre_commit(ctx: Ctx) -> None:
    hook = ctx.store / ".git" / "hooks" / "pre-commit"
    hook.unlink()
    found = json.loads(ctx("doctor", "--json").stdout)["findings"]
    assert [(p["code"], p["repaired"]) for p in found] == [("pre-commit-hook", True)]
    assert "hooks check" in hook.read_text()
    assert json.loads(ctx("doctor", "--json").stdout)["findings"] == []


def test_uninstall_deletes_a_settings_file_that_held_only_ctx_hooks(ctx: Ctx) -> None:
    root = project_repo(ctx)
    ctx.ok("hooks", "install", "--claude")
    settings = root / ".claude" / "settings.json"
    assert settings.exists()
    assert "(file was only ours)" in ctx.ok("hooks", "uninstall", "--claude")
    assert not settings.exists()
    assert not (root / ".git" / "hooks" / "post-commit").exists()
