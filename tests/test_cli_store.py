"""Store commands: init, status, config, commit, discovery, demo."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Ctx, add, fails


def test_init_creates_a_store_with_its_own_repository(bare: Ctx) -> None:
    out = bare.ok("init")
    assert out == f"initialised a ctx store at {bare.store}\n"
    assert (bare.store / "config.yaml").is_file()
    assert (bare.store / ".gitignore").read_text() == "cache/\n"
    assert bare.git("log", "--format=%s") == "init: new ctx store\n"
    run = bare("init")
    assert run.code == 0 and "already exists" in run.stderr
    assert bare.git("rev-list", "--count", "HEAD") == "1\n"


def test_init_global_uses_xdg_data_home(bare: Ctx) -> None:
    data = json.loads(bare.ok("init", "--global", "--json"))
    root = Path(bare.env["XDG_DATA_HOME"]) / "ctxtree"
    assert data == {
        "root": str(root),
        "created": True,
        "commit": data["commit"],
        "project_repository": None,
        "ignored_by_project": False,
        "gitignore_added": None,
    }
    # with no project store, commands fall back to the global one
    add(bare, "a/b/c", "In the global store")
    assert (root / "tree" / "a" / "b" / "c.md").is_file()
    fails(bare("init", "--global", "--tree", "x"), 2, "--global and --tree are exclusive")


def test_commands_without_a_store_say_how_to_make_one(bare: Ctx) -> None:
    run = bare("ls")
    assert run.code == 6
    assert run.stderr.startswith("ctx: error: no ctx store found in ")
    assert "hint: run `ctx init` here" in run.stderr


def test_store_is_found_from_a_subdirectory_and_by_flag(ctx: Ctx, tmp_path: Path) -> None:
    add(ctx, "a/b/c", "C")
    sub = ctx.cwd / "src" / "deep"
    sub.mkdir(parents=True)
    inner = Ctx(sub, ctx.env)
    assert inner.ok("ls") == "a/b/c  C\n"
    elsewhere = Ctx(tmp_path, ctx.env)
    assert elsewhere.ok("ls", "--tree", str(ctx.cwd)) == "a/b/c  C\n"
    assert elsewhere.ok("ls", "--tree", str(ctx.store)) == "a/b/c  C\n"
    env = {**ctx.env, "CTX_TREE": str(ctx.store)}
    assert Ctx(tmp_path, env).ok("ls") == "a/b/c  C\n"


def test_status_reports_counts_dirty_and_malformed_files(ctx: Ctx) -> None:
    add(ctx, "auth/jwt/a", "A")
    add(ctx, "auth/jwt/b", "B")
    add(ctx, "infra/k8s/c", "C")
    bad = ctx.file("auth/jwt/b")
    bad.write_text("---\ntitle: B\ntags: [unclosed\n---\nbody\n")
    data = json.loads(ctx.ok("status", "--json"))
    assert data["entries"] == 3
    assert data["domains"] == {"auth": 2, "infra": 1}
    assert data["dirty"] == [{"status": "M", "path": "tree/auth/jwt/b.md"}]
    assert data["last_commit"]["op"] == "add"
    assert data["last_commit"]["actor"] == "human:tester"
    [invalid] = data["invalid"]
    assert invalid["path"] == "tree/auth/jwt/b.md"
    assert invalid["line"] == 4
    text = ctx.ok("status")
    assert "invalid:  tree/auth/jwt/b.md:4: malformed YAML frontmatter" in text
    # other commands keep working and skip the bad file, naming it
    run = ctx("ls")
    assert run.code == 0
    assert run.stdout == "auth/jwt/a   A\ninfra/k8s/c  C\n"
    assert "skipped tree/auth/jwt/b.md:4: malformed YAML" in run.stderr
    assert ctx("ls", "infra").stderr == ""
    fails(
        ctx("show", "auth/jwt/b"),
        5,
        "tree/auth/jwt/b.md:4: malformed YAML frontmatter: did not find expected ',' or ']'",
    )
    assert ctx.ok("show", "auth/jwt/a").startswith("auth/jwt/a")


def test_config_get_set(ctx: Ctx) -> None:
    assert ctx.ok("config", "get", "limits.max_entry_bytes") == "1048576\n"
    assert ctx.ok("config", "set", "limits.max_entry_bytes", "5000").startswith(
        "set limits.max_entry_bytes ("
    )
    assert ctx.ok("config", "get", "limits.max_entry_bytes") == "5000\n"
    assert "Ctx-Op: config" in ctx.git("log", "-1", "--format=%B")
    assert json.loads(ctx.ok("config", "get", "--json"))["lifecycle.recency_tau_days"] == 30
    run = ctx("config", "set", "limits.max_entry_bytes", "lots")
    assert run.code == 2 and "takes a int" in run.stderr
    run = ctx("config", "set", "colour", "blue")
    assert run.code == 2 and "unknown config key 'colour'" in run.stderr
    fails(ctx("config", "frobnicate"), 2, "unknown config action 'frobnicate'")
    fails(ctx("config", "set", "actor"), 2, "`config set` needs KEY and VALUE")


def test_config_actor_is_used_for_commits(ctx: Ctx) -> None:
    env = {k: v for k, v in ctx.env.items() if k != "CTX_ACTOR"}
    runner = Ctx(ctx.cwd, env)
    runner.ok("config", "set", "actor", "codex")
    add(runner, "a/b/c", "C")
    assert "Ctx-Actor: codex" in ctx.git("log", "-1", "--format=%B")


def test_commit_records_hand_edits_after_validating_them(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    path = ctx.file("a/b/c")
    path.write_text(path.read_text() + "More.\n")
    new = ctx.store / "tree" / "a" / "b" / "d.md"
    new.write_text("---\ntitle: D\n---\n# D\n")
    out = ctx.ok("commit", "-m", "notes from review")
    assert out.startswith("committed 2 files (")
    assert ctx.git("status", "--porcelain") == ""
    assert ctx.git("log", "-1", "--format=%s") == "commit: notes from review\n"
    path.write_text("---\ntitle: [\n---\n")
    run = ctx("commit")
    assert run.code == 5 and "tree/a/b/c.md:3: malformed YAML" in run.stderr
    assert "M tree/a/b/c.md" in ctx.git("status", "--porcelain")
    run = Ctx(ctx.cwd, ctx.env)("commit", "--json")
    assert run.code == 5 and json.loads(run.stderr)["error"]["exit"] == 5


def test_missing_git_repository_is_a_store_error(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    import shutil

    shutil.rmtree(ctx.store / ".git")
    run = ctx("add", "a/b/d", "--title", "D")
    assert run.code == 6
    assert "has no git repository (.git is missing)" in run.stderr
    assert not ctx.file("a/b/d").exists()
    assert ctx.ok("show", "a/b/c").startswith("a/b/c")  # reads still work
    run = ctx("status")
    assert run.code == 6 and "entries:  1" in run.stdout
    fails(ctx("log"), 6, f"the store at {ctx.store} has no git repository (.git is missing)")


def test_corrupt_git_repository_is_a_store_error(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    (ctx.store / ".git" / "HEAD").write_text("garbage\n")
    run = ctx("add", "a/b/d", "--title", "D")
    assert run.code == 6
    assert "git repository at" in run.stderr and "is corrupt" in run.stderr
    assert "Traceback" not in run.stderr
    assert not ctx.file("a/b/d").exists()
    corrupt = f"the store's git repository at {ctx.store}/.git is corrupt (HEAD is unreadable)"
    fails(ctx("undo"), 6, corrupt)
    fails(ctx("diff"), 6, corrupt)


def test_malformed_config_is_reported(ctx: Ctx) -> None:
    (ctx.store / "config.yaml").write_text("limits: [\n")
    run = ctx("add", "a/b/c", "--title", "C")
    assert run.code == 6 and "config.yaml is not valid YAML" in run.stderr


def test_commit_of_many_hand_written_files(ctx: Ctx) -> None:
    folder = ctx.store / "tree" / "bulk" / "notes"
    folder.mkdir(parents=True)
    for i in range(250):  # past the point where paths go to git through a file
        (folder / f"n{i:03}.md").write_text(f"---\ntitle: Note {i}\n---\n# Note {i}\n")
    out = ctx.ok("commit", "-m", "bulk notes")
    assert out.startswith("committed 250 files (")
    assert ctx.git("status", "--porcelain") == ""
    assert len(ctx.git("show", "--name-only", "--format=", "HEAD").split()) == 250
