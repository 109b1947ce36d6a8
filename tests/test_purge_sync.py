"""A purge does not come back through `ctx sync`: real clones of a file:// bare repository.

A adds an entry, syncs; B syncs it; A purges it: A's plain sync refuses (the remote still holds
it), `--push-purge` replaces the remote's branch (B's newer work re-applied on top); B's old
history is refused and never pushed; a fresh clone is clean."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import Ctx, add, isolated_env

SECRET = "The vault passphrase is correct-horse-battery-staple"


def git(where: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=where, capture_output=True, text=True, check=True
    ).stdout


def clone(tmp_path: Path, name: str, url: str) -> Ctx:
    (tmp_path / name / "home").mkdir(parents=True)
    other = Ctx(tmp_path / name, isolated_env(tmp_path / name / "home"))
    other.ok("clone", url)
    return other


def bare_history(bare: Path) -> str:
    """Everything the bare repository still holds, once git drops what no ref reaches."""
    git(bare, "reflog", "expire", "--expire=now", "--all")
    git(bare, "gc", "--prune=now", "--quiet")
    objects = git(bare, "cat-file", "--batch-all-objects", "--batch-check").split("\n")
    shas = [line.split()[0] for line in objects if " blob " in line]
    return git(bare, "log", "--all", "-p") + "".join(
        git(bare, "cat-file", "-p", sha) for sha in shas
    )


def test_a_purge_never_comes_back_through_sync(ctx: Ctx, tmp_path: Path) -> None:
    bare = tmp_path / "team.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    url = bare.as_uri()
    a = ctx
    add(a, "ops/db/keep", "Keep", "--body", "Redis sits in front of Postgres.")
    add(a, "ops/db/vault", "Vault", "--body", SECRET)
    a.ok("remote", "add", "origin", url)
    a.ok("sync")
    b = clone(tmp_path, "b", url)
    assert (b.store / "tree/ops/db/vault.md").is_file()
    old_tip = git(bare, "rev-parse", "main").strip()

    a.ok("forget", "ops/db/vault", "--purge", "--yes")
    record = (a.store / ".ctx-purged").read_text(encoding="utf-8")
    assert old_tip in record.split()
    assert "vault" not in record and a.git("status", "--porcelain") == ""

    # B works on the old history meanwhile and pushes first.
    add(b, "ops/db/ttl", "Cache", "--body", "The cache keeps an hour.")
    b.ok("sync")
    b_work = b.git("rev-parse", "HEAD").strip()

    head = a.git("rev-parse", "HEAD").strip()
    run = a("sync")
    assert run.code == 4, run.stderr
    assert "still holds 1 commit that a purge removed here" in run.stderr
    assert "ctx sync origin --push-purge" in run.stderr
    assert a.git("rev-parse", "HEAD").strip() == head
    assert not (a.store / "tree/ops/db/vault.md").exists()
    assert git(bare, "rev-parse", "main").strip() == b_work  # nothing pushed

    data = json.loads(a.ok("sync", "--push-purge", "--json"))
    assert (data["merge"], data["received"]) == ("purge-pushed", 1)
    assert data["changed"]["added"] == ["ops/db/ttl"]
    assert git(bare, "rev-parse", "main").strip() == a.git("rev-parse", "HEAD").strip()
    assert "correct-horse" not in bare_history(bare)
    assert "correct-horse" not in a.git("log", "--all", "-p")
    assert a.ok("show", "ops/db/ttl").count("The cache keeps an hour.") == 1

    # B still holds the purged history: refused, named, nothing pushed.
    add(b, "ops/db/later", "Later", "--body", "Written after the purge, before re-cloning.")
    run = b("sync")
    assert run.code == 4, run.stderr
    assert "origin/main had its history purged" in run.stderr
    assert f"ctx clone {url} NEW_DIR" in run.stderr
    assert "then re-apply by hand the 1 commit listed below" in run.stderr
    assert "(ops/db/later)" in run.stderr
    assert "(ops/db/ttl)" not in run.stderr  # it reached the remote through A
    assert git(bare, "rev-parse", "main").strip() == a.git("rev-parse", "HEAD").strip()
    assert "correct-horse" not in bare_history(bare)
    assert (b.store / "tree/ops/db/vault.md").is_file()  # B's store is left as it was

    fresh = clone(tmp_path, "c", url)
    assert "correct-horse" not in fresh.git("log", "--all", "-p")
    assert sorted(h["id"] for h in json.loads(fresh.ok("ls", "--json"))) == [
        "ops/db/keep",
        "ops/db/ttl",
    ]
    assert json.loads(fresh.ok("sync", "--json"))["merge"] == "up-to-date"
    assert json.loads(a.ok("sync", "--json"))["merge"] == "up-to-date"
    assert os.path.isfile(fresh.store / ".ctx-purged")


def test_push_purge_refuses_a_teammate_commit_that_does_not_apply(ctx: Ctx, tmp_path: Path) -> None:
    bare = tmp_path / "team.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    url = bare.as_uri()
    a = ctx
    add(a, "ops/db/vault", "Vault", "--body", SECRET)
    a.ok("remote", "add", "origin", url)
    a.ok("sync")
    b = clone(tmp_path, "b", url)
    a.ok("forget", "ops/db/vault", "--purge", "--yes")
    b.ok("edit", "ops/db/vault", "--append-body", "Rotated monthly.")  # edits the purged entry
    b.ok("sync")
    head = a.git("rev-parse", "HEAD").strip()

    run = a("sync", "--push-purge")
    assert run.code == 4, run.stderr
    assert "does not apply to it; nothing was pushed, the store is as it was" in run.stderr
    assert "not applied: " in run.stderr and "(ops/db/vault)" in run.stderr
    assert a.git("rev-parse", "HEAD").strip() == head
    assert a.git("status", "--porcelain") == ""
    assert not (a.store / "tree/ops/db/vault.md").exists()


def test_the_record_lists_shas_only_and_accumulates() -> None:
    from ctxtree.tree import purged

    one, two = "a" * 40, "b" * 40
    cases = [
        (b"", frozenset()),
        (purged.render([two, one, one]), frozenset({one, two})),
        (b"# note\n" + one.encode() + b"\nnot-a-sha\n" + b"c" * 39 + b"\n", frozenset({one})),
    ]
    for data, expected in cases:
        assert purged.parse(data) == expected
    assert purged.render([two, one]).endswith(f"{one}\n{two}\n".encode())
    assert purged.parse(purged.render(purged.parse(purged.render([one])) | {two})) == {one, two}


def test_a_second_purge_keeps_the_first_ones_record(ctx: Ctx) -> None:
    add(ctx, "ops/db/one", "One", "--body", SECRET)
    add(ctx, "ops/db/two", "Two", "--body", "Another secret-looking line, long enough.")
    ctx.ok("forget", "ops/db/one", "--purge", "--yes")
    first = set((ctx.store / ".ctx-purged").read_text(encoding="utf-8").split())
    ctx.ok("forget", "ops/db/two", "--purge", "--yes")
    second = set((ctx.store / ".ctx-purged").read_text(encoding="utf-8").split())
    assert first < second
    assert ctx.git("status", "--porcelain") == ""
