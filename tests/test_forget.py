"""ctx forget: deliberate removal, and --purge from the store's git history."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import NOW, Ctx, add, fails, missed

SECRET = "The vault passphrase is correct-horse-battery-staple"


def commits(ctx: Ctx) -> int:
    return int(ctx.git("rev-list", "--count", "--all"))


def blobs_of(ctx: Ctx, *paths: str) -> set[str]:
    """Every blob sha any commit had at `paths`."""
    out = ctx.git("log", "--all", "--format=", "--raw", "--no-abbrev", "--", *paths)
    return {sha for line in out.splitlines() for sha in line.split()[2:4] if sha.strip("0")}


def has_object(ctx: Ctx, sha: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(ctx.store), "cat-file", "-e", sha], capture_output=True, check=False
    )
    return done.returncode == 0


def test_forget_drops_every_reference_in_one_commit(ctx: Ctx) -> None:
    add(ctx, "a/b/target", "Target", "--body", "Only here.")
    add(ctx, "x/y/one", "One", "--relate", "depends_on:a/b/target")
    add(ctx, "x/y/two", "Two", "--relate", "supersedes:a/b/target", "--relate", "related:x/y/one")
    add(ctx, "x/y/three", "Three", "--body", "See [[a/b/target]] and [[a/b/target|that one]].")
    before = commits(ctx)
    out = ctx.ok("forget", "a/b/target")
    head = ctx.git("rev-parse", "HEAD")[:10]
    assert out == (
        f"forgot a/b/target ({head})\n  links to it removed in: x/y/one, x/y/three, x/y/two\n"
    )
    assert commits(ctx) == before + 1
    message = ctx.git("log", "-1", "--format=%B")
    assert message.startswith("forget: a/b/target\n\nLinks to it removed in: x/y/one, x/y/three")
    assert "Ctx-Op: forget" in message
    assert not ctx.file("a/b/target").exists()
    assert ctx.git("status", "--porcelain") == ""
    related = {i: json.loads(ctx.ok("related", i, "--json")) for i in ("x/y/one", "x/y/two")}
    assert [r["id"] for r in related["x/y/one"]] == ["x/y/two"]  # the link between them stays
    assert [r["id"] for r in related["x/y/two"]] == ["x/y/one"]
    assert json.loads(ctx.ok("related", "x/y/three", "--json")) == []
    assert "See a/b/target and that one.\n" in ctx.file("x/y/three").read_text()
    assert missed(ctx, "only here") == []
    ctx.ok("undo")  # not a purge: the history still has it
    assert ctx.file("a/b/target").exists()
    assert "[[a/b/target]]" in ctx.file("x/y/three").read_text()


def test_forget_an_archived_entry(ctx: Ctx) -> None:
    add(ctx, "a/b/old", "Old")
    add(ctx, "a/b/new", "New", "--relate", "related:a/b/old")
    (ctx.store / "archive" / "a" / "b").mkdir(parents=True)
    ctx.git("mv", "tree/a/b/old.md", "archive/a/b/old.md")
    ctx.git("commit", "-qm", "archive: a/b/old")
    data = json.loads(ctx.ok("forget", "a/b/old", "--json"))
    assert data["ids"] == ["a/b/old"] and data["changed"] == ["a/b/new"]
    assert not (ctx.store / "archive" / "a").exists()
    assert "related" not in ctx.file("a/b/new").read_text()


def test_forget_a_missing_entry(ctx: Ctx) -> None:
    run = ctx("forget", "a/b/nope")
    assert run.code == 3
    assert run.stderr.startswith("ctx: error: no entry 'a/b/nope' (current or archived)")
    run = ctx("forget", "a/b/nope", "--purge", "--yes")
    assert run.code == 3 and "nor in the history" in run.stderr
    fails(ctx("forget", "../etc"), 5, "invalid id '../etc': segment '..' is not a slug")


def test_forget_dry_run_changes_nothing(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C", "--body", SECRET)
    add(ctx, "a/b/d", "D", "--relate", "related:a/b/c")
    head = ctx.git("rev-parse", "HEAD")
    out = ctx.ok("forget", "a/b/c", "--dry-run")
    assert "deleted file" in out and f"-{SECRET}" in out
    assert "-  - {type: related, target: a/b/c}" in out
    run = ctx("forget", "a/b/c", "--purge", "--dry-run")
    assert run.code == 0
    assert "would rewrite: " in run.stdout and "add: a/b/d" in run.stdout
    assert "dry run: the purge would rewrite 2 of 3 commits (1 left empty" in run.stderr
    assert ctx.git("rev-parse", "HEAD") == head
    assert ctx.file("a/b/c").exists()
    assert ctx.git("status", "--porcelain") == ""
    assert SECRET in ctx.git("log", "-p", "--all")


def test_purge_leaves_no_trace(ctx: Ctx) -> None:
    add(ctx, "a/b/keep", "Keep", "--body", "Redis sits in front of Postgres.")
    add(ctx, "a/b/secret", "Vault access", "--body", SECRET)
    ctx.ok("edit", "a/b/secret", "--add-tag", "ops", "--summary", "How to open the vault")
    add(ctx, "a/b/user", "User", "--body", "Uses [[a/b/secret|the vault notes]].")
    ctx.ok("link", "a/b/keep", "a/b/secret")
    ctx.ok("edit", "a/b/keep", "--add-tag", "cache")
    ctx.ok("search", "redis")  # usage and the query cache know the entries
    ctx("search", "vault")
    old_blobs = blobs_of(ctx, "tree/a/b/secret.md")
    assert len(old_blobs) == 2 and all(has_object(ctx, sha) for sha in old_blobs)
    total = commits(ctx)

    run = ctx("forget", "a/b/secret", "--purge", "--yes")
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("forgot a/b/secret (")
    assert lines[1] == "  links to it removed in: a/b/keep, a/b/user"
    assert lines[2].startswith("purged a/b/secret from the history: ")
    assert "every clone, remote and backup of this store still has the old history" in run.stderr

    history = ctx.git("log", "-p", "--all")
    assert "correct-horse" not in history and "a/b/secret" not in history
    assert "Vault access" not in history and "How to open the vault" not in history
    assert ctx.git("log", "-1", "--format=%s") == "forget: [forgotten]\n"
    assert not any(has_object(ctx, sha) for sha in old_blobs)
    objects = ctx.git("rev-list", "--all", "--objects").split()
    assert "tree/a/b/secret.md" not in objects and not old_blobs & set(objects)
    assert "secret" not in ctx.git("reflog", "--all")
    assert ctx.git("fsck", "--full", "--unreachable", "--no-progress").strip() == ""
    assert not list(ctx.store.glob(".git/refs/original/**/*"))
    # The other entries keep their history, minus what only concerned the forgotten one:
    # the link commit changed nothing else, and the forget commit nothing at all now.
    assert ctx.git("log", "--format=%s", "--", "tree/a/b/keep.md").splitlines() == [
        "edit: a/b/keep",
        "add: a/b/keep",
    ]
    assert ctx.git("log", "--format=%s", "--", "tree/a/b/user.md") == "add: a/b/user\n"
    assert commits(ctx) == total + 1 - 3  # + forget; - add, edit of it, and the link
    assert "Uses the vault notes." in ctx.file("a/b/user").read_text()
    assert "tags: [cache]" in ctx.file("a/b/keep").read_text()
    assert ctx.git("status", "--porcelain") == ""
    # nothing derived keeps it, and the store still works
    for name in ("index.sqlite", "index.sqlite-wal"):
        path = ctx.store / "cache" / name
        if path.exists():
            assert b"correct-horse" not in path.read_bytes()
    assert missed(ctx, "correct horse battery") == []
    assert "a/b/keep" in ctx.ok("search", "redis postgres")
    assert "entries:  2" in ctx.ok("status")
    add(ctx, "a/b/after", "After")
    assert ctx.ok("log", "-n", "1").split()[3] == "add"


def test_purge_follows_a_move_and_spares_a_reused_path(ctx: Ctx) -> None:
    add(ctx, "a/b/old", "Old name", "--body", SECRET)
    ctx.ok("edit", "a/b/old", "--summary", "Edited before the move")
    ctx.ok("mv", "a/b/old", "a/b/new")
    add(ctx, "a/b/old", "A different entry", "--body", "Unrelated text at the old path.")
    ctx.ok("forget", "a/b/new", "--purge", "--yes")
    paths = ctx.git("log", "--all", "--format=", "--name-only")
    assert "tree/a/b/new.md" not in paths
    history = ctx.git("log", "-p", "--all")
    assert "correct-horse" not in history and "Edited before the move" not in history
    assert "a/b/new" not in history
    # the entry now at the old path keeps its one commit and its text
    assert ctx.git("log", "--format=%s", "--", "tree/a/b/old.md") == "add: a/b/old\n"
    assert "Unrelated text at the old path." in ctx.file("a/b/old").read_text()


def test_purge_needs_yes_when_it_cannot_ask(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C", "--body", SECRET)
    head = ctx.git("rev-parse", "HEAD")
    run = ctx("forget", "a/b/c", "--purge")
    assert run.code == 2
    assert "stdin is not a terminal" in run.stderr and "pass --yes" in run.stderr
    run = ctx.proc("forget", "a/b/c", "--purge", input=b"y\n")  # piped: still not a terminal
    fails(
        run,
        2,
        "--purge rewrites the store's history and cannot be undone; stdin is not a terminal, "
        "so it cannot ask",
    )
    assert ctx.git("rev-parse", "HEAD") == head and ctx.file("a/b/c").exists()


def test_purge_refuses_a_dirty_store(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C", "--body", SECRET)
    add(ctx, "a/b/d", "D")
    path = ctx.file("a/b/d")
    path.write_text(path.read_text() + "Unsaved.\n")
    head = ctx.git("rev-parse", "HEAD")
    run = ctx("forget", "a/b/c", "--purge", "--yes")
    assert run.code == 4
    assert "uncommitted changes in tree/a/b/d.md" in run.stderr
    assert ctx.git("rev-parse", "HEAD") == head and ctx.file("a/b/c").exists()
    assert path.read_text().endswith("Unsaved.\n")


def test_purge_warns_about_copies_and_names_remotes(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C", "--body", SECRET)
    add(ctx, "a/b/copy", "Copy", "--body", f"Pasted: {SECRET}")
    ctx.git("remote", "add", "origin", "https://example.invalid/store.git")
    run = ctx("forget", "a/b/c", "--purge", "--yes")
    assert run.code == 0, run.stderr
    assert "its text or id still appears in tree/a/b/copy.md" in run.stderr
    assert "(remotes: origin)" in run.stderr


def test_purge_an_entry_only_the_history_holds(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C", "--body", SECRET)
    ctx.ok("rm", "a/b/c")
    before = commits(ctx)
    data = json.loads(ctx.ok("forget", "a/b/c", "--purge", "--yes", "--json"))
    assert data["commit"] is None and data["purge"]["dropped"]
    assert "correct-horse" not in ctx.git("log", "-p", "--all")
    # its add and its rm, both left empty, go; a commit carrying the purge record comes
    assert commits(ctx) == before - 2 + 1
    assert ctx.git("log", "--format=%s") == (
        "[forgotten] record of the purged commits\ninit: new ctx store\n"
    )
    assert ctx.git("status", "--porcelain") == ""


def test_forget_regenerates_folder_summaries_and_purge_cleans_their_history(ctx: Ctx) -> None:
    from ctxtree.curation.summaries import render_index
    from ctxtree.service.session import open_session

    add(ctx, "a/b/c", "Where the vault code lives", "--summary", SECRET)
    add(ctx, "a/b/d", "Deploys", "--summary", "Blue-green deploys on Fridays")
    session = open_session(str(ctx.store), env=ctx.env)
    entries, _bad = session.store.entries("a")
    for folder, children, subfolders in (
        ("a", [], [("a/b", 2)]),
        ("a/b", entries, []),
    ):
        (ctx.store / "tree" / folder / "_index.md").write_text(
            render_index(folder, children, subfolders)
        )
    ctx.ok("commit")
    assert SECRET in (ctx.store / "tree" / "a" / "b" / "_index.md").read_text()
    out = ctx.ok("forget", "a/b/c", "--dry-run")
    assert f"-- [[a/b/c]] **Where the vault code lives**: {SECRET}" in out
    ctx.ok("forget", "a/b/c", "--purge", "--yes")
    summary = (ctx.store / "tree" / "a" / "b" / "_index.md").read_text()
    assert "a/b/c" not in summary and "Blue-green deploys on Fridays" in summary
    assert "(1 entry)" in (ctx.store / "tree" / "a" / "_index.md").read_text()
    history = ctx.git("log", "-p", "--all")
    assert "correct-horse" not in history and "Where the vault code lives" not in history
    assert ctx.git("status", "--porcelain") == ""


def grep_cache(ctx: Ctx, *needles: bytes) -> list[str]:
    """Files under cache/ holding any of `needles` (what `grep -r` would find)."""
    cache = ctx.store / "cache"
    return sorted(
        str(path.relative_to(cache))
        for path in cache.rglob("*")
        if path.is_file() and any(n in path.read_bytes() for n in needles)
    )


def test_purge_scrubs_every_cache_file(ctx: Ctx) -> None:
    add(ctx, "a/b/keep", "Keep", "--body", "Redis sits in front of Postgres.")
    add(ctx, "a/b/secret", "Vault access", "--body", SECRET)
    ctx.ok("edit", "a/b/keep", "--add-tag", "cache")
    ctx.ok("show", "a/b/secret")  # the used signal: cache/used.log
    ctx.ok("show", "a/b/keep")
    ctx("search", "vault")  # usage counts and the query cache
    ctx.ok("search", "redis")
    # An as-of snapshot of a commit that held it (cache/asof/<sha>/, files and index).
    ctx.env["CTX_NOW"] = "2026-11-21T10:00:00Z"
    ctx.ok("edit", "a/b/keep", "--summary", "Caching")
    ctx.ok("search", "vault", "--as-of", "2026-11-20")
    (ctx.store / "cache" / "notes.log").write_text("injected a/b/secret\n")  # any other log
    needles = (b"a/b/secret", b"correct-horse", b"Vault access")
    assert {"used.log", "index.sqlite", "notes.log"} <= set(grep_cache(ctx, *needles))
    assert any(p.startswith("asof/") for p in grep_cache(ctx, *needles))

    ctx.ok("forget", "a/b/secret", "--purge", "--yes")
    assert grep_cache(ctx, *needles) == []
    # Each owner scrubbed its own file; only the unknown log had to go whole.
    left = {p.name for p in (ctx.store / "cache").iterdir()}
    assert {"index.sqlite", "used.log"} <= left and not {"notes.log", "asof"} & left
    used = (ctx.store / "cache" / "used.log").read_text()
    assert used == f"{NOW}\ta/b/keep\n"  # other entries' signals stay
    assert "a/b/keep" in ctx.ok("search", "redis postgres")
    assert ctx.ok("search", "redis", "--as-of", "2026-11-20").startswith(" 1. a/b/keep")
    assert grep_cache(ctx, *needles) == []


def test_forget_and_purge_take_a_models_abstract_of_the_folders_above(
    ctx: Ctx, tmp_path: Path
) -> None:
    """An abstract retells its folder's entries in its own words, so no search for the
    entry's lines finds what it repeated: forgetting an entry removes the abstracts above it
    (context packs them as the folder's overview), and a purge takes their history too."""
    add(ctx, "people/bob/ids", "Bob identifiers", "--summary", "SSN 123-45-6789 for tax forms.")
    add(ctx, "people/bob/cat", "Bob's cat", "--body", "Bob has a cat named Miso.")
    add(ctx, "people/carol/tea", "Carol likes tea")
    (ctx.store / "tree" / "people" / "carol" / "context.md").write_text(
        "# Carol\n\nWritten by hand: Carol runs the tea club.\n"
    )
    ctx.ok("commit")
    said = {"title": "Bob", "summary": "Bob's details.", "abstract": "Bob (SSN 123 45 6789)."}
    other = {"title": "Folder", "summary": "Some notes.", "abstract": "Notes on tea."}
    script = tmp_path / "model.py"  # retells the SSN of any folder it was shown
    script.write_text(
        f"import sys\nseen = '6789' in sys.stdin.read()\n"
        f"print({json.dumps(said)!r} if seen else {json.dumps(other)!r})\n"
    )
    ctx.ok("config", "set", "llm.command", f"{sys.executable} {script}")
    for scope in ("people/bob", "people"):
        ctx.ok("curate", "--abstracts", "--scope", scope)
    assert "123 45 6789" in ctx.ok("context", "Bob", "--budget", "2000")
    ctx.ok("forget", "people/bob/ids")
    assert "45 6789" not in ctx.ok("context", "Bob", "--budget", "2000")
    for folder in ("people", "people/bob"):
        assert not (ctx.store / "tree" / folder / "context.md").exists()
        assert "45 6789" not in (ctx.store / "tree" / folder / "_index.md").read_text()
    hand = ctx.store / "tree" / "people" / "carol" / "context.md"
    assert "tea club" in hand.read_text()  # a person's overview, and not above the entry
    ctx.ok("undo")
    ctx.ok("forget", "people/bob/ids", "--purge", "--yes")
    history = ctx.git("log", "-p", "--all")  # (blob shas are hex: no '-' or ' ')
    assert "45 6789" not in history and "45-6789" not in history
    assert "Miso" in ctx.ok("show", "people/bob/cat") and "tea club" in hand.read_text()
    assert ctx.git("status", "--porcelain") == ""


def test_a_plan_forget_takes_the_abstracts_above_too(ctx: Ctx, tmp_path: Path) -> None:
    add(ctx, "people/bob/ids", "Bob identifiers", "--summary", "SSN 123-45-6789.")
    add(ctx, "people/bob/cat", "Bob's cat", "--body", "Miso.")
    said = {"title": "Bob", "summary": "Bob's details.", "abstract": "Bob (SSN 123 45 6789)."}
    script = tmp_path / "model.py"
    script.write_text(f"import sys\nsys.stdin.read()\nprint({json.dumps(said)!r})\n")
    ctx.ok("config", "set", "llm.command", f"{sys.executable} {script}")
    ctx.ok("curate", "--abstracts", "--scope", "people")
    plan = {"reason": "asked", "operations": [
        {"op": "FORGET", "matching": "123456789", "reason": "asked"}]}  # fmt: skip
    ctx.ok("apply", "-", input=json.dumps(plan))
    assert "45 6789" not in ctx.ok("context", "Bob", "--budget", "2000")
    assert not (ctx.store / "tree" / "people" / "bob" / "context.md").exists()
