"""`ctx merge-driver`: two branches of one store that edited the same entry, merged by plain
`git merge` in the store (cwd = its top level, no ctx process holding the lock), merge field
by field; what cannot be merged is a normal git conflict that `ctx lint` explains."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import Ctx, add

from ctxtree.curation.merging import merge_lists, pick
from ctxtree.tree import frontmatter

BODY = "First paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n"


def git(ctx: Ctx, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=ctx.store, env={**os.environ, **ctx.env},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def branches(ctx: Ctx, theirs: list[list[str]], ours: list[list[str]]) -> None:
    """Run `theirs` commands on branch `other`, `ours` on main (one minute later)."""
    git(ctx, "checkout", "-q", "-b", "other")
    for args in theirs:
        ctx.ok(*args)
    git(ctx, "checkout", "-q", "main")
    ctx.env["CTX_NOW"] = "2026-11-20T10:01:00Z"
    for args in ours:
        ctx.ok(*args)


def merge(ctx: Ctx) -> subprocess.CompletedProcess[str]:
    return git(ctx, "merge", "--no-edit", "other")


def head(ctx: Ctx, entry_id: str) -> str:
    text = ctx.file(entry_id).read_text(encoding="utf-8")
    return frontmatter.split(text)[0]


@pytest.fixture
def entry(ctx: Ctx) -> Ctx:
    add(ctx, "auth/jwt/rotation", "Refresh tokens rotate", "--summary", "Rotates.",
        "--tag", "auth", "--body", BODY)  # fmt: skip
    return ctx


def test_init_registers_the_driver(ctx: Ctx) -> None:
    assert (ctx.store / ".gitattributes").read_text(encoding="utf-8").splitlines()[1:] == [
        "tree/**/*.md merge=ctx",
        "archive/**/*.md merge=ctx",
    ]
    assert git(ctx, "config", "--get", "merge.ctx.driver").stdout.endswith(
        "-m ctxtree merge-driver %O %A %B %P\n"
    )
    assert git(ctx, "check-attr", "merge", "tree/a/b/c.md").stdout == "tree/a/b/c.md: merge: ctx\n"


def test_different_fields_and_tags_on_both_sides_merge(entry: Ctx) -> None:
    branches(
        entry,
        [["edit", "auth/jwt/rotation", "--summary", "Each refresh rotates.", "--add-tag", "b"]],
        [["edit", "auth/jwt/rotation", "--kind", "decision", "--add-tag", "a"]],
    )
    done = merge(entry)
    assert done.returncode == 0, done.stdout + done.stderr
    assert head(entry, "auth/jwt/rotation") == (
        "schema: 1\ntitle: Refresh tokens rotate\nsummary: Each refresh rotates.\n"
        "kind: decision\ntags: [auth, a, b]\nkeywords: []\nauthor: human:tester\n"
        "trust: user\nimportance: 50\nmaturity: draft\ncreated: 2026-11-20T10:00:00Z\n"
        "updated: 2026-11-20T10:01:00Z\n"
    )
    assert "<<<<<<<" not in entry.file("auth/jwt/rotation").read_text(encoding="utf-8")
    assert git(entry, "status", "--porcelain").stdout == ""


def test_a_scalar_both_sides_changed_takes_the_later_update(entry: Ctx) -> None:
    branches(
        entry,
        [["edit", "auth/jwt/rotation", "--summary", "Theirs, earlier."]],
        [["edit", "auth/jwt/rotation", "--summary", "Ours, later."]],
    )
    assert merge(entry).returncode == 0
    assert "summary: Ours, later.\n" in head(entry, "auth/jwt/rotation")


def test_a_removal_on_one_side_is_kept(entry: Ctx) -> None:
    branches(
        entry,
        [["edit", "auth/jwt/rotation", "--rm-tag", "auth"]],
        [["edit", "auth/jwt/rotation", "--add-tag", "jwt"]],
    )
    assert merge(entry).returncode == 0
    assert "tags: [jwt]\n" in head(entry, "auth/jwt/rotation")


def test_body_edits_in_different_paragraphs_merge(entry: Ctx) -> None:
    theirs = BODY.replace("Third paragraph.", "Third paragraph, theirs.")
    ours = BODY.replace("First paragraph.", "First paragraph, ours.")
    branches(
        entry,
        [["edit", "auth/jwt/rotation", "--body", theirs, "--allow-loss"]],
        [["edit", "auth/jwt/rotation", "--body", ours, "--allow-loss"]],
    )
    assert merge(entry).returncode == 0
    shown = json.loads(entry.ok("show", "auth/jwt/rotation", "--json"))
    assert shown["body"].endswith(
        "First paragraph, ours.\n\nSecond paragraph.\n\nThird paragraph, theirs.\n"
    )


def test_the_same_paragraph_is_a_conflict_with_valid_frontmatter(entry: Ctx) -> None:
    branches(
        entry,
        [["edit", "auth/jwt/rotation", "--body", BODY.replace("Second", "Theirs"),
          "--allow-loss", "--add-tag", "b"]],
        [["edit", "auth/jwt/rotation", "--body", BODY.replace("Second", "Ours"), "--allow-loss"]],
    )  # fmt: skip
    done = merge(entry)
    assert done.returncode == 1
    assert "CONFLICT (content): Merge conflict in tree/auth/jwt/rotation.md" in done.stdout
    text = entry.file("auth/jwt/rotation").read_text(encoding="utf-8")
    parsed = frontmatter.parse(text, "auth/jwt/rotation")
    assert parsed.tags == ("auth", "b")
    assert "<<<<<<< ours\nOurs paragraph.\n=======\nTheirs paragraph.\n>>>>>>> theirs\n" in text
    lint = json.loads(entry("lint", "--json").stdout)
    conflict = [f for f in lint if f["code"] == "merge-conflict"]
    assert [(f["entry"], f["severity"]) for f in conflict] == [("auth/jwt/rotation", "error")]
    line = text.splitlines().index("<<<<<<< ours") + 1
    assert conflict[0]["message"].startswith(f"tree/auth/jwt/rotation.md:{line}: a merge left")


def test_a_supersede_and_an_edit_are_both_kept(entry: Ctx) -> None:
    add(entry, "auth/jwt/rotation-v2", "Rotation with grace period")
    branches(
        entry,
        [["supersede", "auth/jwt/rotation", "auth/jwt/rotation-v2"]],
        [["edit", "auth/jwt/rotation-v2", "--summary", "Ten seconds of grace."]],
    )
    assert merge(entry).returncode == 0
    merged = head(entry, "auth/jwt/rotation-v2")
    assert "summary: Ten seconds of grace.\n" in merged
    assert "relations:\n  - {type: supersedes, target: auth/jwt/rotation}\n" in merged
    assert git(entry, "status", "--porcelain").stdout == ""


def test_a_side_that_does_not_parse_is_a_conflict(entry: Ctx) -> None:
    git(entry, "checkout", "-q", "-b", "other")
    path = entry.file("auth/jwt/rotation")
    path.write_text("---\ntitle: [broken\n---\nbody\n", encoding="utf-8")
    git(entry, "commit", "-q", "--no-verify", "-am", "hand edit")
    git(entry, "checkout", "-q", "main")
    entry.ok("edit", "auth/jwt/rotation", "--summary", "Ours.")
    done = merge(entry)
    assert done.returncode == 1
    assert "CONFLICT" in done.stdout


def test_index_files_keep_ours(entry: Ctx, tmp_path: os.PathLike[str]) -> None:
    base, ours, theirs = (entry.cwd / name for name in ("o", "a", "b"))
    for path, text in ((base, "base\n"), (ours, "ours\n"), (theirs, "theirs\n")):
        path.write_text(text, encoding="utf-8")
    run = entry.proc("merge-driver", str(base), str(ours), str(theirs), "tree/auth/_index.md")
    assert (run.code, ours.read_text(encoding="utf-8")) == (0, "ours\n")


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "merged"),
    [
        (None, ["a", "b"], ["b", "c"], ("a", "b", "c")),  # no base: the union
        (["a"], ["a", "b"], ["a", "c"], ("a", "b", "c")),  # additions on both sides
        (["a", "b"], ["b"], ["a", "b", "c"], ("b", "c")),  # ours removed a
        (["a", "b"], ["a", "b"], ["b"], ("b",)),  # theirs removed a
        (["a"], [], [], ()),
    ],
)
def test_merge_lists(
    base: list[str] | None, ours: list[str], theirs: list[str], merged: tuple[str, ...]
) -> None:
    assert merge_lists(base, ours, theirs) == merged


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "ours_later", "merged"),
    [
        ("x", "x", "y", True, "y"),  # one side changed: that change, whichever is later
        ("x", "y", "x", False, "y"),
        ("x", "y", "z", True, "y"),  # both: the later side
        ("x", "y", "z", False, "z"),
        ("x", "y", "z", None, "z"),  # same `updated`: the greater value, either way round
        ("x", "z", "y", None, "z"),
        (None, 1, 1, None, 1),
    ],
)
def test_pick(base: object, ours: object, theirs: object, ours_later: bool | None,
              merged: object) -> None:  # fmt: skip
    assert pick(base, ours, theirs, ours_later) == merged


def test_doctor_sets_up_the_driver_in_an_older_store(ctx: Ctx) -> None:
    git(ctx, "rm", "-q", ".gitattributes")
    git(ctx, "commit", "-q", "--no-verify", "-m", "a store made before the merge driver")
    git(ctx, "config", "--unset", "merge.ctx.driver")
    run = ctx("doctor", "--json")
    found = [f for f in json.loads(run.stdout)["findings"] if f["code"] == "merge-driver"]
    assert [(f["subject"], f["repaired"]) for f in found] == [(".gitattributes", True)]
    assert git(ctx, "check-attr", "merge", "tree/a/b/c.md").stdout == "tree/a/b/c.md: merge: ctx\n"
    assert git(ctx, "config", "--get", "merge.ctx.driver").stdout.endswith("%P\n")
    assert git(ctx, "log", "-1", "--format=%s").stdout == (
        "doctor: entries merge through ctx merge-driver\n"
    )
    assert git(ctx, "status", "--porcelain").stdout == ""
    again = json.loads(ctx("doctor", "--json").stdout)["findings"]
    assert [f for f in again if f["code"] == "merge-driver"] == []
