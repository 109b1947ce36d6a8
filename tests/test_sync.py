"""`ctx remote`, `ctx sync`, `ctx clone`: two real clones of one bare repository (a file://
remote under tmp_path) curate concurrently and converge, every change kept."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import Ctx, add, fails, isolated_env

BODY = "First paragraph.\n\nSecond paragraph.\n"


def git(where: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=where, env={**os.environ, **(env or {})},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


@pytest.fixture
def team(ctx: Ctx, tmp_path: Path) -> tuple[Ctx, Ctx, str]:
    """A (the `ctx` store, with one entry, pushed) and B (cloned from the bare remote)."""
    remote = tmp_path / "team.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    url = remote.as_uri()
    add(ctx, "auth/jwt/rotation", "Refresh tokens rotate", "--summary", "Rotates.",
        "--tag", "auth", "--body", BODY)  # fmt: skip
    ctx.ok("remote", "add", "origin", url)
    ctx.ok("sync")
    (tmp_path / "b" / "home").mkdir(parents=True)
    b = Ctx(tmp_path / "b", isolated_env(tmp_path / "b" / "home"))
    cloned = json.loads(b.ok("clone", url, "--json"))
    assert cloned == {"root": str(b.store), "url": url, "entries": 1}
    return ctx, b, url


def tree_sha(ctx: Ctx) -> str:
    return ctx.git("rev-parse", "HEAD^{tree}").strip()


def files(ctx: Ctx) -> dict[str, str]:
    listed = ctx.git("ls-files").split()
    return {p: (ctx.store / p).read_text(encoding="utf-8") for p in listed}


def test_two_clones_converge_with_every_change_kept(team: tuple[Ctx, Ctx, str]) -> None:
    a, b, _url = team
    a.env["CTX_NOW"] = "2026-11-20T11:00:00Z"
    a.ok("edit", "auth/jwt/rotation", "--summary", "Each refresh rotates.", "--add-tag", "a")
    add(a, "auth/jwt/signing-keys", "Signing keys")
    b.env["CTX_NOW"] = "2026-11-20T12:00:00Z"
    b.ok("edit", "auth/jwt/rotation", "--kind", "decision", "--add-tag", "b")
    b.ok("edit", "auth/jwt/rotation", "--append-body", "Third paragraph, from B.")
    add(b, "ops/ci/build-cache", "CI cache")

    first = json.loads(a.ok("sync", "--json"))
    assert (first["merge"], first["received"], first["sent"]) == ("up-to-date", 0, 2)
    second = json.loads(b.ok("sync", "--json"))
    assert second["merge"] == "merged"
    assert second["changed"] == {
        "added": ["auth/jwt/signing-keys"], "modified": ["auth/jwt/rotation"], "deleted": [],
    }  # fmt: skip
    third = json.loads(a.ok("sync", "--json"))
    assert (third["merge"], third["sent"]) == ("fast-forward", 0)
    assert third["changed"] == {"added": ["ops/ci/build-cache"], "modified": ["auth/jwt/rotation"],
                                "deleted": []}  # fmt: skip

    assert tree_sha(a) == tree_sha(b)
    assert files(a) == files(b)
    rotation = json.loads(a.ok("show", "auth/jwt/rotation", "--json"))
    assert (rotation["summary"], rotation["kind"], rotation["tags"]) == (
        "Each refresh rotates.", "decision", ["auth", "b", "a"],
    )  # fmt: skip
    assert rotation["body"].endswith("Second paragraph.\n\nThird paragraph, from B.\n")
    assert rotation["updated"] == "2026-11-20T12:00:00Z"
    assert [h["id"] for h in json.loads(a.ok("ls", "--json"))] == [
        "auth/jwt/rotation", "auth/jwt/signing-keys", "ops/ci/build-cache",
    ]  # fmt: skip
    message = b.git("log", "-1", "--format=%B")
    assert message.startswith("sync: merge origin/main\n")
    assert "Ctx-Op: sync\nCtx-Actor: human:tester\nCtx-Source: remote:origin\n" in message
    # The merged entry is found by search at once: sync refreshed the index.
    assert "ops/ci/build-cache" in a.ok("search", "CI cache", "--json")


def test_a_real_conflict_stops_and_leaves_the_store_as_it_was(
    team: tuple[Ctx, Ctx, str],
) -> None:
    a, b, _url = team
    a.ok("edit", "auth/jwt/rotation", "--body", BODY.replace("Second", "A's"), "--allow-loss")
    a.ok("sync")
    b.ok("edit", "auth/jwt/rotation", "--body", BODY.replace("Second", "B's"), "--allow-loss")
    before = b.git("rev-parse", "HEAD")
    run = b("sync")
    fails(
        run,
        4,
        "sync stopped: 1 file changed on both sides and could not be merged: "
        "tree/auth/jwt/rotation.md; the merge was aborted, the store is as it was",
    )
    assert "git merge origin/main" in run.stderr
    assert b.git("rev-parse", "HEAD") == before
    assert b.git("status", "--porcelain") == ""
    assert not (b.store / ".git" / "MERGE_HEAD").exists()


def test_a_rejected_push_fetches_and_merges_once_more(team: tuple[Ctx, Ctx, str]) -> None:
    """B's pre-push hook lets A push first (once): B's push is rejected as it would be when
    a teammate pushes between B's fetch and B's push."""
    a, b, _url = team
    a.ok("edit", "auth/jwt/rotation", "--add-tag", "a")
    b.ok("edit", "auth/jwt/rotation", "--add-tag", "b")
    flag = b.cwd / "raced"
    hook = b.store / ".git" / "hooks" / "pre-push"
    env = " ".join(f"{k}='{v}'" for k, v in a.env.items())
    hook.write_text(
        f"#!/bin/sh\n[ -e '{flag}' ] && exit 0\ntouch '{flag}'\n"
        f"cd '{a.cwd}' && env {env} '{os.sys.executable}' -m ctxtree sync -q >/dev/null 2>&1\n"
        "exit 0\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    result = json.loads(b.ok("sync", "--json"))
    assert result["retried"] is True
    a.ok("sync")
    assert tree_sha(a) == tree_sha(b)
    assert json.loads(a.ok("show", "auth/jwt/rotation", "--json"))["tags"] == ["auth", "b", "a"]


def test_offline_remote_changes_nothing(ctx: Ctx, tmp_path: Path) -> None:
    add(ctx, "a/b/c", "C")
    ctx.ok("remote", "add", "origin", (tmp_path / "gone.git").as_uri())
    before = ctx.git("rev-parse", "HEAD")
    run = ctx("sync")
    assert run.code == 6
    assert run.stderr.startswith("ctx: error: cannot reach remote 'origin' (file://")
    assert "run `ctx sync` again later" in run.stderr
    assert ctx.git("rev-parse", "HEAD") == before


def test_no_remote_configured(ctx: Ctx) -> None:
    fails(ctx("sync"), 3, "no remote configured for this store")
    fails(ctx("sync", "upstream"), 3, "no remote named 'upstream'")


def test_remote_add_list_remove(ctx: Ctx) -> None:
    assert json.loads(ctx.ok("remote", "--json")) == []
    ctx.ok("remote", "add", "origin", "git@example.com:team/memory.git")
    assert json.loads(ctx.ok("remote", "--json")) == [
        {"name": "origin", "url": "git@example.com:team/memory.git"}
    ]
    assert ctx.ok("remote") == "origin  git@example.com:team/memory.git\n"
    fails(ctx("remote", "add", "origin", "x"), 4, "remote 'origin' already exists")
    fails(ctx("remote", "add", "../x", "x"), 2, "'../x' is not a remote name")
    ctx.ok("remote", "remove", "origin")
    fails(ctx("remote", "remove", "origin"), 3, "no remote named 'origin'")


def test_global_options_after_the_remote_group(ctx: Ctx) -> None:
    url = "git@example.com:team/memory.git"
    added = json.loads(ctx.ok("remote", "--json", "add", "origin", url))
    assert added == {"name": "origin", "url": url}
    listed = ctx.ok("remote", "--tree", str(ctx.store), "--json", "remove", "origin")
    assert json.loads(listed) == {"name": "origin", "url": url}
    run = ctx("remote", "--json", "add", "origin", url, "--json")
    assert run.code == 2 and "--json given both before and after `remote add`" in run.stderr


def test_clone_refuses_what_is_not_a_store(bare: Ctx, tmp_path: Path) -> None:
    other = tmp_path / "plain"
    other.mkdir()
    git(other, "init", "-q")
    (other / "README").write_text("hi\n", encoding="utf-8")
    git(other, "add", "README")
    git(other, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    run = bare("clone", other.as_uri())
    fails(run, 6, f"{other.as_uri()} is not a ctx store (no config.yaml at its top level)")
    assert not bare.store.exists()


def test_clone_sets_up_the_store_as_init_does(team: tuple[Ctx, Ctx, str]) -> None:
    _a, b, _url = team
    assert b.git("config", "--get", "merge.ctx.driver").endswith("merge-driver %O %A %B %P\n")
    assert "ctxtree hook" in (b.store / ".git" / "hooks" / "pre-commit").read_text() or \
        "hooks check" in (b.store / ".git" / "hooks" / "pre-commit").read_text()  # fmt: skip
    assert (b.store / "cache").is_dir()
    fails(b("clone", "file:///nowhere"), 4, f"{b.store} already exists and is not empty")


def test_a_plain_git_pull_merges_through_the_driver_and_reads_see_it(
    team: tuple[Ctx, Ctx, str],
) -> None:
    """No post-merge hook is needed: reads refresh the index from file stamps."""
    a, b, _url = team
    a.ok("edit", "auth/jwt/rotation", "--add-tag", "a")
    add(a, "ops/ci/zebra-policy", "Zebra crossing policy")
    a.ok("sync")
    b.ok("edit", "auth/jwt/rotation", "--add-tag", "b")
    b.ok("search", "rotate")  # the index exists before the pull
    pulled = subprocess.run(
        ["git", "pull", "-q", "--no-rebase", "--no-edit", "origin", "main"], cwd=b.store,
        env={**os.environ, **b.env}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(b.ok("show", "auth/jwt/rotation", "--json"))["tags"] == ["auth", "b", "a"]
    hits = json.loads(b.ok("search", "zebra crossing", "--json"))["hits"]
    assert [h["id"] for h in hits][:1] == ["ops/ci/zebra-policy"]


def test_dry_run_fetches_and_says_what_would_change(team: tuple[Ctx, Ctx, str]) -> None:
    a, b, _url = team
    a.ok("edit", "auth/jwt/rotation", "--add-tag", "a")
    add(a, "auth/jwt/signing-keys", "Signing keys")
    a.ok("sync")
    add(b, "ops/ci/build-cache", "CI cache")
    before = b.git("rev-parse", "HEAD")
    preview = json.loads(b.ok("sync", "--dry-run", "--json"))
    assert (preview["merge"], preview["received"], preview["sent"], preview["dry_run"]) == (
        "merge", 2, 1, True,
    )  # fmt: skip
    assert preview["changed"] == {"added": ["auth/jwt/signing-keys"],
                                  "modified": ["auth/jwt/rotation"], "deleted": []}  # fmt: skip
    assert b.git("rev-parse", "HEAD") == before
    assert b.ok("sync", "--dry-run") == (
        "would sync with origin/main: merge; would receive 2 commits, send 1 commit; "
        "entries 1 added, 1 changed, 0 removed here (nothing changed)\n"
    )
    assert b.git("rev-parse", "HEAD") == before
