"""`ctx maintain`: the lifecycle pass, through the CLI on real stores (git, files, SQLite)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import Ctx, add, missed

from ctxtree.tree.model import round_importance

START = datetime.fromisoformat("2026-11-20T10:00:00+00:00")


def day(n: float) -> str:
    return (START + timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def at(ctx: Ctx, n: float) -> None:
    """Move the session clock (CTX_NOW) to `n` days after the fixture's start."""
    ctx.env["CTX_NOW"] = day(n)


def maintain(ctx: Ctx, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ctx.ok("maintain", "--json", *args))
    return data


def front(ctx: Ctx, entry_id: str, key: str) -> str:
    for line in ctx.file(entry_id).read_text().splitlines():
        if line.startswith(f"{key}: "):
            return line.split(": ", 1)[1]
    raise AssertionError(f"{entry_id} has no {key}")


def hand_entry(
    ctx: Ctx, entry_id: str, importance: float, maturity: str, created: str, extra: str = ""
) -> None:
    """An entry written by hand and committed with `ctx commit` (creation is no update)."""
    path = ctx.file(entry_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"---\ntitle: {entry_id.rsplit('/', 1)[-1]}\nimportance: {importance}\n"
        f"maturity: {maturity}\ncreated: {created}\nupdated: {created}\n{extra}---\nBody.\n"
    )
    ctx.ok("commit")


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "index.sqlite" not in p.name and p.name != "usage.lock"
    }


def test_a_pass_reports_commits_once_and_writes_summaries(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "Cee", "--summary", "About c.", "--body", "Line one.\n\n  indented  \n")
    add(ctx, "a/b/d", "Dee", "--relate", "depends_on:a/b/c")
    body = ctx.file("a/b/c").read_text().split("---\n", 2)[2]
    for _ in range(5):
        ctx.ok("show", "a/b/c")
    at(ctx, 1)
    run = ctx("maintain")
    assert run.code == 0, run.stderr
    assert run.stdout == (
        "checked 2 entries (first pass; decay through 2026-11-21T10:00:00Z)\n"
        "changed 2: 0 promoted, 0 demoted, 1 by decay alone\n"
        "  a/b/c  50 -> 64.75  draft  decay 1.0 d: -0.25; used 5x: +15\n"
        "summaries: 2\n"
        "  tree/a/_index.md    missing\n"
        "  tree/a/b/_index.md  missing\n"
    )
    head = ctx.git("rev-parse", "HEAD").strip()
    assert run.stderr == f"committed {head[:10]}\n"
    message = ctx.git("log", "-1", "--format=%B")
    assert message.startswith("maintain: lifecycle pass: 2 changed, 0 promoted, 0 demoted, ")
    assert "Ctx-Op: maintain\n" in message and "Ctx-Actor: human:tester\n" in message
    assert "Checked 2 entries; decay through 2026-11-21T10:00:00Z." in message
    assert ctx.git("log", "-1", "--format=%aI").startswith("2026-11-21T10:00:00")
    assert sorted(ctx.git("show", "--name-only", "--format=", "HEAD").split()) == [
        "tree/a/_index.md", "tree/a/b/_index.md", "tree/a/b/c.md", "tree/a/b/d.md",
    ]  # fmt: skip
    text = ctx.file("a/b/c").read_text()
    assert "\nimportance: 64.75\n" in text and "\nmaturity: draft\n" in text
    assert "\nupdated: 2026-11-20T10:00:00Z\n" in text  # content did not change
    assert text.split("---\n", 2)[2] == body  # the body is byte for byte the same
    assert "[[a/b/c]] **Cee**: About c." in (ctx.store / "tree/a/b/_index.md").read_text()
    assert ctx.git("status", "--porcelain") == ""
    assert ctx.ok("ls") == ctx.ok("ls")  # _index.md files are not entries
    assert "_index" not in ctx.ok("ls")


def test_a_pass_changes_only_the_lifecycle_lines_of_a_hand_formatted_entry(ctx: Ctx) -> None:
    hand = (
        "---\ntitle:   Hand   # spaced\nimportance: 62   # set by hand\ntags: [a,   b]\n"
        "maturity: validated\ncreated: 2026-11-20\n---\nBody\n\n\n  kept  \n"
    )
    bare = "---\ntitle: Bare\ncreated: 2026-11-20\n---\nNo lifecycle keys.\n"
    for entry_id, text in (("a/b/hand", hand), ("a/b/bare", bare)):
        ctx.file(entry_id).parent.mkdir(parents=True, exist_ok=True)
        ctx.file(entry_id).write_text(text)
    ctx.ok("commit")
    at(ctx, 1)
    maintain(ctx)
    assert ctx.file("a/b/hand").read_text() == hand.replace("62   #", "61.69   #")
    # without the keys, the entry is written canonically (the body still as it was)
    assert ctx.file("a/b/bare").read_text() == (
        "---\nschema: 1\ntitle: Bare\nkind: note\ntags: []\nkeywords: []\nauthor: ''\n"
        "trust: user\nimportance: 49.75\nmaturity: draft\ncreated: 2026-11-20\nupdated: ''\n"
        "---\nNo lifecycle keys.\n"
    )


def test_used_entries_rise_and_are_promoted_pass_by_pass(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    seen = []
    for n in range(1, 5):
        for _ in range(5):
            ctx.ok("show", "a/b/c")
        at(ctx, n)
        data = maintain(ctx)
        seen.append((front(ctx, "a/b/c", "importance"), front(ctx, "a/b/c", "maturity")))
        assert data["changes"][0]["used"] == 5
    assert seen == [("64.75", "draft"), ("79.43", "validated"), ("94.03", "core"), ("100", "core")]
    assert ctx.ok("show", "a/b/c").splitlines()[1].startswith("  importance 100 · core")


def test_returned_but_never_used_does_not_rise(ctx: Ctx) -> None:
    """The popularity-contest test: search hits alone never raise importance."""
    add(ctx, "a/b/popular", "Redis cache layout", "--body", "Redis keys and cache layout.")
    add(ctx, "a/b/read", "Redis cache eviction", "--body", "Redis eviction of cache keys.")
    for _ in range(12):  # returned 24 times, read once
        ctx.ok("search", "redis cache layout")
        ctx.ok("context", "redis cache keys", "--budget", "300")
    ctx.ok("show", "a/b/read")
    at(ctx, 2)
    changes = {c["id"]: c for c in maintain(ctx)["changes"]}
    popular, read = changes["a/b/popular"], changes["a/b/read"]
    assert popular["returned"] >= 12 and popular["used"] == 0
    assert popular["importance"] == [50, 49.5]  # decay only: 50 x 0.995^2
    assert read["used"] == 1 and read["importance"] == [50, 52.5]
    assert "used" not in " ".join(popular["reasons"])
    # the returned counters were folded too: the next pass reports none
    at(ctx, 3)
    changes = {c["id"]: c for c in maintain(ctx)["changes"]}
    assert changes["a/b/popular"]["returned"] == 0


def test_daily_passes_decay_an_unused_entry_as_one_pass_would(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    expected: float = 50
    for n in range(1, 31):
        at(ctx, n)
        ctx.ok("maintain")
        expected = round_importance(expected * 0.995)
        assert front(ctx, "a/b/c", "importance") == f"{expected:g}"
    assert front(ctx, "a/b/c", "importance") == "43.02"  # as one pass: 50 x 0.995^30 = 43.0248
    assert len(ctx.git("log", "--grep=^Ctx-Op: maintain$", "--format=%H").split()) == 30


def test_passes_every_few_hours_decay_by_whole_days(ctx: Ctx) -> None:
    """The decay clock carries the part of a day a pass leaves, so frequent passes decay
    exactly like daily ones instead of rounding every step away."""
    add(ctx, "a/b/c", "C")
    for step in range(1, 13):  # every 6 hours for 3 days; a new entry makes each pass commit
        at(ctx, step / 4)
        add(ctx, f"a/b/n{step}", f"N{step}")
        data = maintain(ctx)
        assert data["commit"] is not None
    # 0.25 day on the first pass, then a whole day whenever one has passed; 0.75 carries over
    assert data["decayed_to"] == day(2.25)
    assert front(ctx, "a/b/c", "importance") == "49.44"  # 49.97, 49.69, 49.44
    at(ctx, 3.25)
    maintain(ctx)
    assert front(ctx, "a/b/c", "importance") == "49.19"  # one pass: 50 x 0.995^3.25 = 49.19


def test_hysteresis_keeps_a_core_entry_at_62_core(ctx: Ctx) -> None:
    hand_entry(ctx, "a/b/core", 62, "core", day(0))
    at(ctx, 1)
    maintain(ctx)
    assert (front(ctx, "a/b/core", "importance"), front(ctx, "a/b/core", "maturity")) == (
        "61.69",
        "core",
    )
    at(ctx, 7)  # 61.69 x 0.995^6 = 59.86
    run = ctx("maintain")
    assert "  a/b/core  61.69 -> 59.86  core -> validated  decay 6.0 d: -1.83; demoted core -> " \
        "validated: 59.86 < 60\n" in run.stdout  # fmt: skip
    assert front(ctx, "a/b/core", "maturity") == "validated"
    assert "demoted a/b/core: core -> validated" in ctx.git("log", "-1", "--format=%b")


def test_archive_candidates_are_listed_then_archived_with_apply(ctx: Ctx) -> None:
    at(ctx, -200)  # these entered the store 200 days ago
    hand_entry(ctx, "a/b/stale", 10, "draft", day(-200))
    hand_entry(ctx, "a/b/target", 10, "draft", day(-200))  # a current entry depends on it
    hand_entry(ctx, "a/b/kept", 90, "core", day(-200))  # decays below 15, but core: demoted first
    at(ctx, -10)
    hand_entry(ctx, "a/b/fresh", 10, "draft", day(-10))  # entered 11 days ago
    at(ctx, 0)
    hand_entry(ctx, "a/b/imported", 10, "draft", "2024-01-01T00:00:00Z")  # an older `created`
    add(ctx, "a/b/user", "User", "--relate", "depends_on:a/b/target")
    at(ctx, 1)
    run = ctx("maintain")  # the first pass decays from arrival: 10 x 0.995^201 = 3.65
    assert run.code == 0
    assert (
        "archive candidates: 1 (`ctx maintain --apply` archives them)\n"
        "  a/b/stale  importance 3.65 < 15, draft, idle for 201 days, nothing points at it\n"
    ) in run.stdout
    # decay starts when an entry entered the store, not at an older `created`
    assert front(ctx, "a/b/imported", "importance") == "9.95"
    assert ctx.file("a/b/stale").exists()
    at(ctx, 2)
    preview = maintain(ctx, "--apply", "--dry-run")
    assert [c["archived"] for c in preview["archive_candidates"]] == [True]
    assert "diff --git a/archive/a/b/stale.md b/archive/a/b/stale.md\nnew file\n" in preview["diff"]
    assert ctx.file("a/b/stale").exists()
    data = maintain(ctx, "--apply")
    assert data["archive_candidates"] == [
        {
            "id": "a/b/stale",
            "importance": 3.63,
            "reason": "importance 3.63 < 15, draft, idle for 202 days, nothing points at it",
            "archived": True,
        }
    ]
    assert not ctx.file("a/b/stale").exists()
    archived = (ctx.store / "archive/a/b/stale.md").read_text()
    assert "\nimportance: 3.63\n" in archived and archived.endswith("---\nBody.\n")
    for kept in ("a/b/target", "a/b/kept", "a/b/fresh", "a/b/imported"):
        assert ctx.file(kept).exists()
    # core -> validated -> draft, one tier per pass; a candidate only once it starts a draft
    assert front(ctx, "a/b/kept", "maturity") == "draft"
    moved = ctx.git("show", "--no-renames", "--name-status", "--format=", "HEAD").splitlines()
    assert "A\tarchive/a/b/stale.md" in moved and "D\ttree/a/b/stale.md" in moved
    assert "archived a/b/stale: importance 3.63" in ctx.git("log", "-1", "--format=%b")
    assert missed(ctx, "stale") == []  # not in memory: archived entries are hidden
    assert "a/b/stale" in ctx.ok("search", "stale", "--archived")
    assert "a/b/stale" not in (ctx.store / "tree/a/b/_index.md").read_text()


def test_a_second_pass_without_new_usage_only_decays(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    add(ctx, "a/b/d", "D")
    ctx.ok("edit", "a/b/d", "--summary", "changed")  # one content update
    for _ in range(2):
        ctx.ok("show", "a/b/c", "--raw")
    at(ctx, 1)
    changes = {c["id"]: c for c in maintain(ctx)["changes"]}
    assert (changes["a/b/c"]["used"], changes["a/b/c"]["importance"]) == (2, [50, 55.75])
    assert (changes["a/b/d"]["updates"], changes["a/b/d"]["importance"]) == (1, [50, 54.75])
    assert (ctx.store / "cache/used.log").read_text() == ""
    at(ctx, 2)
    data = maintain(ctx)
    assert [(c["id"], c["used"], c["updates"], c["importance"]) for c in data["changes"]] == [
        ("a/b/c", 0, 0, [55.75, 55.47]),
        ("a/b/d", 0, 0, [54.75, 54.48]),
    ]
    assert data["indexes"] == []  # summaries are current
    at(ctx, 2.5)  # under a day since: nothing to decay, nothing to commit
    run = ctx("maintain")
    assert (run.code, run.stderr) == (0, "nothing changed\n")


def test_dry_run_writes_nothing_and_prints_the_diff(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    ctx.ok("show", "a/b/c")
    at(ctx, 1)
    head = ctx.git("rev-parse", "HEAD")
    before = snapshot(ctx.store)
    run = ctx("maintain", "--dry-run")
    assert run.code == 0
    assert "diff --git a/tree/a/b/c.md b/tree/a/b/c.md\n" in run.stdout
    assert "-importance: 50\n+importance: 52.75\n" in run.stdout
    assert "diff --git a/tree/a/b/_index.md b/tree/a/b/_index.md\nnew file\n" in run.stdout
    assert run.stderr.startswith("checked 1 entry (first pass; decay through ")
    assert run.stderr.endswith("dry run: nothing changed; no commit\n")
    data = maintain(ctx, "--dry-run")
    assert (data["dry_run"], data["commit"]) == (True, None)
    assert "+importance: 52.75" in data["diff"]
    assert ctx.git("rev-parse", "HEAD") == head
    assert snapshot(ctx.store) == before
    assert maintain(ctx)["changes"][0]["used"] == 1  # the counters survived the dry runs


def test_a_failed_commit_leaves_the_counters_intact(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    for _ in range(3):
        ctx.ok("show", "a/b/c")
    at(ctx, 1)
    blocker = ctx.store / ".git" / "refs" / "heads" / "main.lock"
    blocker.mkdir()  # not a lock file git or ctx could remove: the ref update fails
    run = ctx("maintain")
    assert run.code == 6 and run.stderr.startswith("ctx: error: git commit failed")
    blocker.rmdir()
    assert front(ctx, "a/b/c", "importance") == "50"
    assert len((ctx.store / "cache/used.log").read_text().splitlines()) == 3
    assert maintain(ctx)["changes"][0]["used"] == 3
    assert front(ctx, "a/b/c", "importance") == "58.75"


def test_uses_after_a_pass_count_in_the_next_one(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    ctx.ok("show", "a/b/c")
    at(ctx, 1)
    maintain(ctx)
    ctx.ok("show", "a/b/c")
    ctx.ok("show", "a/b/c")
    at(ctx, 2)
    assert maintain(ctx)["changes"][0]["used"] == 2


def test_entries_with_uncommitted_edits_are_skipped(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    add(ctx, "a/b/d", "D")
    ctx.ok("show", "a/b/c")
    path = ctx.file("a/b/c")
    path.write_text(path.read_text() + "Hand edit.\n")
    at(ctx, 1)
    data = maintain(ctx)
    assert data["skipped"] == [
        {"id": "a/b/c", "reason": "uncommitted changes: run `ctx commit` first"}
    ]
    assert [c["id"] for c in data["changes"]] == ["a/b/d"]
    assert ctx.git("status", "--porcelain") == " M tree/a/b/c.md\n"
    ctx.ok("commit")
    at(ctx, 2)
    changes = {c["id"]: c for c in maintain(ctx)["changes"]}
    assert changes["a/b/c"]["used"] == 1  # its use waited for it


def test_maintain_on_an_empty_store_changes_nothing(ctx: Ctx) -> None:
    run = ctx("maintain")
    assert (run.code, run.stdout, run.stderr) == (
        0,
        "checked 0 entries (first pass; decay through 2026-11-20T10:00:00Z)\n"
        "changed 0: 0 promoted, 0 demoted, 0 by decay alone\n",
        "nothing changed\n",
    )


def test_the_index_takes_the_new_values_without_parsing_the_files_again(ctx: Ctx) -> None:
    from ctxtree.retrieval.index import Index
    from ctxtree.tree.store import Store

    add(ctx, "a/b/c", "C")
    add(ctx, "a/b/d", "D")
    ctx.ok("show", "a/b/c")
    ctx.ok("ls")  # the index is current
    at(ctx, 1)
    maintain(ctx)
    index = Index.open(Store(ctx.store), refresh=False)
    try:
        doc = index.doc_by_id("a/b/c")
        assert doc is not None and (doc.importance, doc.maturity) == (52.75, "draft")
        assert index.refresh().updated == 0  # the stamps match the files maintain wrote
    finally:
        index.close()
    assert "importance 52.75 · draft" in ctx.ok("show", "a/b/c")


def test_undoing_a_pass_is_no_content_update(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    ctx.ok("show", "a/b/c")
    at(ctx, 1)
    maintain(ctx)
    ctx.ok("undo")
    assert front(ctx, "a/b/c", "importance") == "50"
    at(ctx, 2)
    change = maintain(ctx)["changes"][0]
    assert (change["updates"], change["importance"]) == (0, [50, 49.75])
    ctx.ok("edit", "a/b/c", "--summary", "new")  # a content change counts
    at(ctx, 3)
    assert maintain(ctx)["changes"][0]["updates"] == 1
