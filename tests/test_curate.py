"""merge, supersede, archive, restore and split through the CLI on real stores."""

from __future__ import annotations

import json

import pytest
from conftest import Ctx, add, fails

from ctxtree.curation import sections


def commits(ctx: Ctx) -> int:
    return int(ctx.git("rev-list", "--count", "HEAD"))


def search_ids(ctx: Ctx, *args: str) -> list[str]:
    run = ctx("search", *args, "--json")
    assert run.code in (0, 3), run.stderr
    return [hit["id"] for hit in json.loads(run.stdout)["hits"]]


# ---- merge ---------------------------------------------------------------------------------
@pytest.fixture
def dupes(ctx: Ctx) -> Ctx:
    add(ctx, "auth/jwt/keys", "Signing keys", "--body", "Keys rotate monthly.\n\n## Why\n\n- theft",
        "--tag", "security", "--source", "commit:aaa1111")  # fmt: skip
    add(ctx, "auth/jwt/key-rotation", "Signing key rotation", "--body",
        "Keys rotate monthly.\nOld keys stay valid 7 days.\n\n## Why\n\n- theft\n- compliance"
        "\n\n## How\n\nKMS schedules it.", "--tag", "kms", "--keyword", "kms",
        "--source", "file:infra/kms.tf", "--relate", "related:auth/jwt/keys")  # fmt: skip
    add(ctx, "auth/oauth/login", "Login", "--relate", "depends_on:auth/jwt/key-rotation")
    add(ctx, "auth/oauth/logout", "Logout", "--relate", "related:auth/jwt/key-rotation")
    add(ctx, "ops/runbook/keys", "Key runbook", "--body", "See [[auth/jwt/key-rotation]].")
    return ctx


def test_merge_unions_and_repoints_three_inbound_referrers(dupes: Ctx) -> None:
    before = commits(dupes)
    out = dupes.ok("merge", "auth/jwt/key-rotation", "auth/jwt/keys", "-r", "duplicates")
    assert out.startswith("merged auth/jwt/key-rotation into auth/jwt/keys (")
    assert "relations rewritten in: auth/oauth/login, auth/oauth/logout, ops/runbook/keys" in out
    assert commits(dupes) == before + 1
    assert not dupes.file("auth/jwt/key-rotation").exists()
    merged = json.loads(dupes.ok("show", "auth/jwt/keys", "--json"))
    assert merged["tags"] == ["security", "kms"]
    assert merged["keywords"] == ["kms"]
    assert merged["sources"] == [
        {"type": "commit", "ref": "aaa1111"},
        {"type": "file", "ref": "infra/kms.tf"},
    ]
    assert merged["relations"] == []  # its relation to the merged entry is gone, not a self-loop
    assert merged["body"] == (
        "# Signing keys\n\nKeys rotate monthly.\n\nOld keys stay valid 7 days.\n\n"
        "## Why\n\n- theft\n- compliance\n\n## How\n\nKMS schedules it.\n"
    )
    login = json.loads(dupes.ok("show", "auth/oauth/login", "--json"))
    assert login["relations"] == [{"type": "depends_on", "target": "auth/jwt/keys"}]
    assert "[[auth/jwt/keys]]" in dupes.file("ops/runbook/keys").read_text()
    backlinks = dupes.ok("related", "auth/jwt/keys")
    for referrer in ("auth/oauth/login", "auth/oauth/logout", "ops/runbook/keys"):
        assert referrer in backlinks
    message = dupes.git("log", "-1", "--format=%B")
    assert message.startswith("merge: auth/jwt/key-rotation -> auth/jwt/keys\n\nduplicates\n")
    assert "Ctx-Op: merge" in message


def test_merge_combines_lifecycle_and_lowers_trust(dupes: Ctx) -> None:
    dupes.ok("edit", "auth/jwt/key-rotation", "--importance", "80", "--maturity", "validated",
             "--trust", "external")  # fmt: skip
    dupes.ok("merge", "auth/jwt/key-rotation", "auth/jwt/keys")
    merged = json.loads(dupes.ok("show", "auth/jwt/keys", "--json"))
    assert (merged["importance"], merged["maturity"], merged["trust"]) == (
        80,
        "validated",
        "external",
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["auth/jwt/keys", "auth/jwt/keys"], 2, "into itself"),
        (["auth/jwt/nope", "auth/jwt/keys"], 3, "no entry 'auth/jwt/nope'"),
        (["../x/y", "auth/jwt/keys"], 5, "is not a slug"),
    ],
)
def test_merge_errors(dupes: Ctx, args: list[str], code: int, message: str) -> None:
    before = commits(dupes)
    run = dupes("merge", *args)
    assert run.code == code, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr
    assert commits(dupes) == before


def test_merge_dry_run_changes_nothing(dupes: Ctx) -> None:
    before = commits(dupes)
    run = dupes("merge", "auth/jwt/key-rotation", "auth/jwt/keys", "--dry-run")
    assert run.code == 0
    assert "deleted file" in run.stdout and "+- compliance" in run.stdout
    assert commits(dupes) == before and dupes.file("auth/jwt/key-rotation").exists()


# ---- supersede -----------------------------------------------------------------------------
def test_supersede_chain_a_b_c(ctx: Ctx) -> None:
    add(ctx, "auth/session/ttl-a", "Session lifetime is 24 hours")
    add(ctx, "auth/session/ttl-b", "Session lifetime is 12 hours")
    add(ctx, "auth/session/ttl-c", "Session lifetime is 8 hours")
    ctx.ok("supersede", "auth/session/ttl-a", "auth/session/ttl-b", "-r", "tightened")
    ctx.ok("supersede", "auth/session/ttl-b", "auth/session/ttl-c", "-r", "tightened again")
    assert search_ids(ctx, "session lifetime hours") == ["auth/session/ttl-c"]
    both = search_ids(ctx, "session lifetime hours", "--superseded")
    assert set(both) == {"auth/session/ttl-a", "auth/session/ttl-b", "auth/session/ttl-c"}
    # history stays: the old entries are files and show works
    assert "24 hours" in ctx.ok("show", "auth/session/ttl-a")
    # a cycle would hide every entry of it: refused
    run = ctx("supersede", "auth/session/ttl-c", "auth/session/ttl-a")
    assert run.code == 4 and "already supersedes" in run.stderr
    # again: nothing changes, exit 0
    run = ctx("supersede", "auth/session/ttl-b", "auth/session/ttl-c")
    assert run.code == 0 and "no commit" in run.stderr
    assert "Ctx-Op: supersede" in ctx.git("log", "-1", "--format=%B", "HEAD~0")


# ---- archive / restore ---------------------------------------------------------------------
def test_archive_and_restore(ctx: Ctx) -> None:
    add(ctx, "infra/cdn/purge", "CDN purge procedure")
    add(ctx, "infra/cdn/setup", "CDN setup", "--relate", "related:infra/cdn/purge")
    ctx.ok("archive", "infra/cdn/purge", "-r", "CDN replaced")
    assert not ctx.file("infra/cdn/purge").exists()
    assert (ctx.store / "archive/infra/cdn/purge.md").is_file()
    assert search_ids(ctx, "CDN purge procedure") == ["infra/cdn/setup"]
    assert "infra/cdn/purge" in search_ids(ctx, "CDN purge procedure", "--archived")
    fails(ctx("archive", "infra/cdn/purge"), 4, "'infra/cdn/purge' is already archived")
    run = ctx("edit", "infra/cdn/purge", "--summary", "x")  # as a plan's UPDATE says it
    assert run.code == 4 and "'infra/cdn/purge' is archived" in run.stderr
    ctx.ok("restore", "infra/cdn/purge")
    assert ctx.file("infra/cdn/purge").is_file()
    assert not (ctx.store / "archive/infra/cdn").exists()
    fails(ctx("restore", "infra/cdn/purge"), 4, "'infra/cdn/purge' is not archived")
    fails(ctx("restore", "infra/cdn/none"), 3, "no archived entry 'infra/cdn/none'")
    log = ctx.git("log", "--format=%s", "-2")
    assert log.splitlines() == ["restore: infra/cdn/purge", "archive: infra/cdn/purge"]


# ---- split ---------------------------------------------------------------------------------
RUNBOOK = """Deploys go out on Tuesdays; see [[ops/team/oncall]].

## Rollback

Run `deploy --undo`. Ask [[ops/team/dba]] first.

### When

- error rate over 2%

## Release notes

Written by the release owner.
"""


@pytest.fixture
def runbook(ctx: Ctx) -> Ctx:
    add(ctx, "ops/team/oncall", "On-call rota")
    add(ctx, "ops/team/dba", "DBA contacts")
    add(ctx, "ops/deploy/runbook", "Deploy runbook", "--body", RUNBOOK, "--keyword", "rollback",
        "--keyword", "tuesday", "--relate", "related:ops/team/oncall",
        "--relate", "depends_on:ops/team/dba", "--tag", "ops")  # fmt: skip
    add(ctx, "ops/deploy/ci", "CI", "--relate", "part_of:ops/deploy/runbook")
    return ctx


def test_split_every_section_redistributes_relations(runbook: Ctx) -> None:
    before = commits(runbook)
    out = runbook.ok("split", "ops/deploy/runbook")
    assert out.startswith(
        "split ops/deploy/runbook into ops/deploy/rollback, ops/deploy/release-notes ("
    )
    assert commits(runbook) == before + 1
    rollback = json.loads(runbook.ok("show", "ops/deploy/rollback", "--json"))
    assert rollback["title"] == "Rollback"
    assert rollback["body"] == (
        "# Rollback\n\nRun `deploy --undo`. Ask [[ops/team/dba]] first.\n\n### When\n\n"
        "- error rate over 2%\n"
    )
    assert rollback["relations"] == [
        {"type": "part_of", "target": "ops/deploy/runbook"},
        {"type": "depends_on", "target": "ops/team/dba"},
    ]
    assert rollback["keywords"] == ["rollback"] and rollback["tags"] == ["ops"]
    original = json.loads(runbook.ok("show", "ops/deploy/runbook", "--json"))
    assert original["relations"] == [{"type": "related", "target": "ops/team/oncall"}]
    assert original["body"] == (
        "# Deploy runbook\n\nDeploys go out on Tuesdays; see [[ops/team/oncall]].\n\n## Parts\n\n"
        "- [[ops/deploy/rollback]] Rollback\n- [[ops/deploy/release-notes]] Release notes\n"
    )
    # inbound relations keep pointing at the original, which still exists
    ci = json.loads(runbook.ok("show", "ops/deploy/ci", "--json"))
    assert ci["relations"] == [{"type": "part_of", "target": "ops/deploy/runbook"}]


def test_split_one_section_into_a_chosen_id(runbook: Ctx) -> None:
    runbook.ok("split", "ops/deploy/runbook", "--section", "rollback", "--into",
               "ops/deploy/undo")  # fmt: skip
    assert runbook.file("ops/deploy/undo").is_file()
    body = json.loads(runbook.ok("show", "ops/deploy/runbook", "--json"))["body"]
    assert "## Release notes" in body and "## Rollback" not in body


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--section", "Nope"], 3, "has no '## nope' section"),
        (["--into", "ops/deploy/a"], 2, "--into names 1 id for 2 sections"),
        (["--section", "rollback", "--into", "ops/team/oncall"], 4, "exists already"),
    ],
)
def test_split_errors(runbook: Ctx, args: list[str], code: int, message: str) -> None:
    before = commits(runbook)
    run = runbook("split", "ops/deploy/runbook", *args)
    assert run.code == code, run.stderr
    assert message in run.stderr
    assert commits(runbook) == before


def test_split_without_sections_is_a_usage_error(ctx: Ctx) -> None:
    add(ctx, "a/b/plain", "Plain", "--body", "One paragraph.")
    run = ctx("split", "a/b/plain")
    assert run.code == 2 and "no '## ' sections" in run.stderr


# ---- pure helpers --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dst", "src", "expected"),
    [
        ("# A\n", "# B\n\nText.\n", "# A\n\nText.\n"),
        ("# A\n\nSame.\n", "# B\n\nSame.\n", "# A\n\nSame.\n"),
        ("# A\n\n## X\n\n- 1\n", "# B\n\n## x\n\n- 1\n- 2\n", "# A\n\n## X\n\n- 1\n- 2\n"),
        ("# A\n\n## X\n\none\n", "## Y\n\ntwo\n", "# A\n\n## X\n\none\n\n## Y\n\ntwo\n"),
        ("No heading.\n", "# B\n\nMore.\n", "No heading.\n\nMore.\n"),
    ],
)
def test_merge_bodies(dst: str, src: str, expected: str) -> None:
    assert sections.merge_bodies(dst, src) == expected


@pytest.mark.parametrize(
    ("old", "new", "lost"),
    [
        ("a\nb\n", "b\na\n", []),
        ("- a\n- b\n", "- a\n", ["- b"]),
        ("  x  \n", "x\n", []),
        ("# T\n\n```\n# not a heading\n```\n", "# T\n", ["```", "# not a heading"]),
    ],
)
def test_lost_facts(old: str, new: str, lost: list[str]) -> None:
    assert sections.lost_facts(old, new) == lost


@pytest.mark.parametrize(
    ("text", "slug"),
    [("Release notes", "release-notes"), ("Über Café!", "uber-cafe"), ("日本", "part")],
)
def test_slug(text: str, slug: str) -> None:
    assert sections.slug(text) == slug
