"""Validity windows and `--as-of DATE` on search, context and show, on real dated histories.

Commits are dated by the session clock, so each write below runs with its own CTX_NOW: day N
is 2040-01-N at 10:00 UTC (after the store's `init`, which may carry the real time).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import Any

import pytest
from conftest import Ctx, Run, Templates

from ctxtree.errors import UsageError
from ctxtree.service.asof import KEEP, parse_date
from ctxtree.tree import validity

A = "auth/session/length-24h"
B = "auth/session/length-8h"
QUERY = "how long do sessions last"


def day(n: int) -> str:
    return f"2040-01-{n:02d}T10:00:00Z"


def on(ctx: Ctx, n: int, *args: str) -> Run:
    """Run `ctx ARGS` with the clock at day `n`."""
    ctx.env["CTX_NOW"] = day(n)
    return ctx(*args)


def ok_on(ctx: Ctx, n: int, *args: str) -> str:
    run = on(ctx, n, *args)
    assert run.code == 0, f"ctx {' '.join(args)} -> {run.code}\n{run.stderr}"
    return run.stdout


def found(ctx: Ctx, n: int, *args: str) -> tuple[list[str], dict[str, Any]]:
    """(hit ids, JSON) of `ctx search QUERY ARGS --json` on day `n`."""
    run = on(ctx, n, "search", QUERY, *args, "--json")
    assert run.code in (0, 3), run.stderr
    data = json.loads(run.stdout)
    return [h["id"] for h in data["hits"]], data


def build_history(ctx: Ctx) -> None:
    """Day 1: A says 24 hours. Day 4: A is edited. Day 5: B says 8 hours, superseding A."""
    ok_on(ctx, 1, "add", A, "--title", "Sessions last 24 hours",
          "--body", "Sessions last 24 hours before users log in again.")  # fmt: skip
    ok_on(ctx, 4, "edit", A, "--allow-loss",
          "--body", "Sessions last 24 hours; idle ones close after 2.")  # fmt: skip
    ok_on(ctx, 5, "add", B, "--title", "Sessions last 8 hours",
          "--body", "Sessions last 8 hours since the security audit.",
          "--relate", f"supersedes:{A}")  # fmt: skip


@pytest.fixture
def history(ctx: Ctx, templates: Templates) -> Ctx:
    return templates.copy(ctx, build_history)


# ---- DATE ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2040-01-03", "2040-01-03T23:59:59Z"),  # a day means its end, UTC
        (" 2040-02-29 ", "2040-02-29T23:59:59Z"),
        ("2040-01-03T10:00:00Z", "2040-01-03T10:00:00Z"),
        ("2040-01-03T10:00Z", "2040-01-03T10:00:00Z"),
        ("2040-01-03T10:00:00+02:00", "2040-01-03T08:00:00Z"),
        ("2040-01-03T01:00:00-0500", "2040-01-03T06:00:00Z"),
        ("2040-01-03 10:00:00.250Z", "2040-01-03T10:00:00Z"),
        ("2999-12-31", "2999-12-31T23:59:59Z"),  # the future is allowed
    ],
)
def test_as_of_dates(raw: str, expected: str) -> None:
    assert validity.iso(parse_date(raw)) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "yesterday", "2040-1-3", "2040-13-01", "2041-02-29", "2040-01-03T10:00:00",
     "2040-01-03T25:00:00Z", "03/01/2040", "2040-01-03Z", "1700000000"],
)  # fmt: skip
def test_bad_as_of_dates_are_usage_errors(raw: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_date(raw)
    assert "e.g. --as-of 2026-11-20" in caught.value.hint


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "when", "expected"),
    [
        (None, None, "2040-01-05T00:00:00Z", "current"),
        (None, "2040-01-10", "2040-01-10T23:59:59Z", "current"),  # a day bound is inclusive
        (None, "2040-01-10", "2040-01-11T00:00:00Z", "expired"),
        ("2040-01-10", None, "2040-01-09T23:59:59Z", "not_yet_valid"),
        ("2040-01-10", None, "2040-01-10T00:00:00Z", "current"),
        (None, "2040-01-10T12:00:00Z", "2040-01-10T12:00:01Z", "expired"),
        (None, "2040-01-10T14:00:00+02:00", "2040-01-10T12:00:01Z", "expired"),
        ("2040-01-10T12:00:00", None, "2040-01-10T11:59:59Z", "not_yet_valid"),  # naive: UTC
        ("soon", "later", "2040-01-10T00:00:00Z", "current"),  # unreadable bounds are ignored
        ("2040-01-01", "2040-01-31", "2040-02-01T00:00:00Z", "expired"),
    ],
)
def test_validity_windows(
    valid_from: str | None, valid_until: str | None, when: str, expected: str
) -> None:
    assert validity.state(valid_from, valid_until, when) == expected


def test_window_epochs_change_exactly_when_a_state_does() -> None:
    windows = [("2040-01-05", "2040-01-10"), (None, "2040-01-03T12:00:00Z"), ("bad", None)]
    starts, ends = validity.boundaries(windows)
    assert starts == ["2040-01-05T00:00:00Z"]
    assert ends == ["2040-01-03T12:00:00Z", "2040-01-10T23:59:59Z"]
    instants = [f"2040-01-{d:02d}T{h:02d}:00:00Z" for d in range(1, 13) for h in range(0, 24, 6)]
    for first in instants:
        for second in instants:
            same_states = all(
                validity.state(f, u, first) == validity.state(f, u, second) for f, u in windows
            )
            same_epoch = validity.epoch(starts, ends, first) == validity.epoch(starts, ends, second)
            assert same_states == same_epoch, (first, second)


# ---- supersede and history -------------------------------------------------------------------
def test_as_of_answers_what_we_believed_before_a_supersede(history: Ctx) -> None:
    assert found(history, 12)[0] == [B]
    before, data = found(history, 12, "--as-of", "2040-01-03")
    assert before == [A]
    first = history.git("rev-parse", "HEAD~2").strip()  # the day-1 add (then edit, add B)
    assert (data["as_of"], data["commit"]) == ("2040-01-03T23:59:59Z", first)
    assert data["committed"] == "2040-01-01T10:00:00+00:00"
    assert data["hits"][0]["snippet"] == "Sessions last 24 hours before users log in again."
    assert found(history, 12, "--as-of", "2040-01-04T11:00:00+01:00")[0] == [A]
    assert found(history, 12, "--as-of", "2040-01-06")[0] == [B]
    with_old = found(history, 12, "--as-of", "2040-01-06", "--superseded")[1]["hits"]
    assert [(h["id"], h["status"]) for h in with_old] == [(B, "current"), (A, "superseded")]


def test_human_search_as_of_names_the_commit_on_stderr(history: Ctx) -> None:
    run = on(history, 12, "search", QUERY, "--as-of", "2040-01-03")
    sha = history.git("rev-list", "-1", "--before=2040-01-03T23:59:59Z", "HEAD").strip()
    assert run.stdout.splitlines()[0].startswith(f" 1. {A}  ")
    assert run.stderr.splitlines()[0] == (
        f"as of 2040-01-03T23:59:59Z: the store at commit {sha[:10]} (2040-01-01T10:00:00+00:00)"
    )


def test_show_as_of_reads_the_file_then(history: Ctx) -> None:
    run = on(history, 12, "show", A, "--as-of", "2040-01-03")
    assert run.code == 0
    assert run.stdout.endswith("\nSessions last 24 hours before users log in again.\n")
    assert "status:" not in run.stdout  # nothing superseded it yet
    assert run.stderr.startswith("as of 2040-01-03T23:59:59Z: the store at commit ")
    data = json.loads(on(history, 12, "show", A, "--as-of", "2040-01-04", "--json").stdout)
    assert data["body"].endswith("idle ones close after 2.\n")
    assert (data["status"], data["as_of"]) == ("current", "2040-01-04T23:59:59Z")
    data = json.loads(on(history, 12, "show", A, "--as-of", "2040-01-05", "--json").stdout)
    assert (data["status"], data["superseded_by"]) == ("superseded", [B])
    raw = on(history, 12, "show", A, "--raw", "--as-of", "2040-01-02")
    sha = history.git("rev-list", "-1", "--before=2040-01-02T23:59:59Z", "HEAD").strip()
    assert raw.stdout == history.git("show", f"{sha}:tree/{A}.md")


def test_show_as_of_before_an_entry_existed_exits_3(history: Ctx) -> None:
    run = on(history, 12, "show", B, "--as-of", "2040-01-03")
    assert run.code == 3
    assert run.stderr.splitlines()[0] == (
        f"ctx: error: '{B}' did not exist on 2040-01-03T23:59:59Z (store at commit "
        f"{history.git('rev-parse', 'HEAD~2').strip()[:10]}, 2040-01-01T10:00:00+00:00)"
    )


def test_show_as_of_follows_later_moves(history: Ctx) -> None:
    ok_on(history, 7, "mv", A, "auth/session/old-length")
    data = json.loads(
        on(history, 12, "show", "auth/session/old-length", "--as-of", "2040-01-03", "--json").stdout
    )
    assert (data["id"], data["path"]) == (A, f"tree/{A}.md")
    run = on(history, 12, "show", A, "--as-of", "2040-01-08")
    assert (run.code, run.stdout) == (3, "")
    assert run.stderr.startswith(
        f"ctx: error: '{A}' did not exist on 2040-01-08T23:59:59Z (store at commit "
    )


def test_show_marks_superseded_entries(history: Ctx) -> None:
    out = ok_on(history, 12, "show", A)
    assert out.splitlines()[:2] == [f"{A}  [note]", f"  status: superseded by {B}"]
    data = json.loads(ok_on(history, 12, "show", A, "--json"))
    assert (data["status"], data["superseded_by"]) == ("superseded", [B])
    assert data["path"] == f"tree/{A}.md"
    assert "as_of" not in data
    assert "status:" not in ok_on(history, 12, "show", B)


def test_context_and_core_as_of(history: Ctx) -> None:
    def ids(*args: str) -> list[str]:
        run = on(history, 12, "context", *args, "--budget", "400", "--json")
        return [e["id"] for e in json.loads(run.stdout)["entries"]]

    assert ids(QUERY) == [B]
    assert ids(QUERY, "--as-of", "2040-01-03") == [A]
    assert ids("--core") == [B]  # a superseded entry is not core knowledge any more
    assert ids("--core", "--as-of", "2040-01-03") == [A]
    run = on(history, 12, "context", QUERY, "--as-of", "2040-01-03", "--explain")
    assert "explain: as-of: answered from commit " in run.stderr
    assert "through a snapshot reused from cache/asof/" in run.stderr


# ---- validity windows ------------------------------------------------------------------------
def test_valid_until_ends_a_fact(ctx: Ctx) -> None:
    ok_on(ctx, 2, "add", "ops/deploy/freeze", "--title", "Deploy freeze",
          "--body", "No deploys while the migration runs.")  # fmt: skip
    ok_on(ctx, 2, "edit", "ops/deploy/freeze", "--valid-until", "2040-01-10")

    def ids(n: int, *args: str) -> list[str]:
        run = on(ctx, n, "search", "deploy freeze", *args, "--json")
        return [h["id"] for h in json.loads(run.stdout)["hits"]]

    assert ids(12, "--as-of", "2040-01-09") == ["ops/deploy/freeze"]
    assert ids(12, "--as-of", "2040-01-10") == ["ops/deploy/freeze"]
    assert ids(12, "--as-of", "2040-01-11") == []
    assert ids(9) == ["ops/deploy/freeze"]  # default results on day 9, then cached...
    assert ids(12) == []  # ...and not served from that cache once the window has closed
    hits = json.loads(on(ctx, 12, "search", "deploy freeze", "--superseded", "--json").stdout)
    assert [(h["id"], h["status"]) for h in hits["hits"]] == [("ops/deploy/freeze", "expired")]
    out = ok_on(ctx, 12, "show", "ops/deploy/freeze")
    assert out.splitlines()[1] == "  status: expired: valid until 2040-01-10"
    assert "status:" not in ok_on(ctx, 9, "show", "ops/deploy/freeze")


def test_valid_from_in_the_future(ctx: Ctx) -> None:
    ok_on(ctx, 2, "add", "ops/deploy/new-region", "--title", "Deploys go to eu-west-2",
          "--body", "The new region takes all deploys.")  # fmt: skip
    ok_on(ctx, 2, "edit", "ops/deploy/new-region", "--valid-from", "2040-01-20")

    def search(n: int, *args: str) -> dict[str, Any]:
        run = on(ctx, n, "search", "region deploys", *args, "--json")
        result: dict[str, Any] = json.loads(run.stdout)
        return result

    assert search(12)["hits"] == []
    later = search(12, "--as-of", "2040-01-21")  # a future DATE: today's store, that day's windows
    assert [h["id"] for h in later["hits"]] == ["ops/deploy/new-region"]
    assert later["snapshot"] == "live"
    assert later["commit"] == ctx.git("rev-parse", "HEAD").strip()
    assert search(12, "--as-of", "2040-01-19")["hits"] == []
    status = [h["status"] for h in search(12, "--superseded")["hits"]]
    assert status == ["not_yet_valid"]
    out = ok_on(ctx, 12, "show", "ops/deploy/new-region")
    assert out.splitlines()[1] == "  status: not yet valid: valid from 2040-01-20"
    assert [h["id"] for h in search(21)["hits"]] == ["ops/deploy/new-region"]


# ---- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["search", QUERY], ["context", QUERY], ["show", A]])
def test_bad_date_exits_2(history: Ctx, command: list[str]) -> None:
    run = on(history, 12, *command, "--as-of", "last tuesday")
    assert run.code == 2
    assert run.stderr.splitlines() == [
        "ctx: error: --as-of 'last tuesday' is not a date",
        "  hint: e.g. --as-of 2026-11-20 (the end of that day, UTC) or --as-of "
        "2026-11-20T09:30:00Z",
    ]


@pytest.mark.parametrize("command", [["search", QUERY], ["context", "--core"], ["show", A]])
def test_a_date_before_the_first_commit_exits_3(history: Ctx, command: list[str]) -> None:
    run = on(history, 12, *command, "--as-of", "2001-01-01")
    first = history.git("log", "--max-parents=0", "--format=%cI", "HEAD").strip()
    assert run.code == 3
    assert run.stderr.splitlines()[0] == (
        f"ctx: error: the store has no history before 2001-01-01T23:59:59Z (first commit: {first})"
    )


# ---- the snapshot cache ----------------------------------------------------------------------
def test_snapshots_are_built_once_and_stay_in_cache(history: Ctx) -> None:
    first = found(history, 12, "--as-of", "2040-01-03")[1]
    again = found(history, 12, "--as-of", "2040-01-03T20:00:00Z")[1]
    other_query = on(history, 12, "search", "sessions", "--as-of", "2040-01-02", "--json")
    assert (first["snapshot"], again["snapshot"]) == ("built", "reused")
    assert json.loads(other_query.stdout)["snapshot"] == "reused"
    assert again["commit"] == first["commit"]
    folder = history.store / "cache" / "asof" / first["commit"]
    assert (folder / "tree" / f"{A}.md").read_text() == history.git(
        "show", f"{first['commit']}:tree/{A}.md"
    )
    assert (folder / "cache" / "index.sqlite").is_file()
    assert history.git("status", "--porcelain", "--untracked-files=all", "--ignored=no") == ""
    explain = on(history, 12, "search", QUERY, "--as-of", "2040-01-03", "--explain").stderr
    assert "through a snapshot reused from cache/asof/" in explain


def test_a_snapshot_whose_index_was_lost_is_reindexed(history: Ctx) -> None:
    sha = found(history, 12, "--as-of", "2040-01-03")[1]["commit"]
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (history.store / "cache" / "asof" / sha / "cache" / name).unlink(missing_ok=True)
    ids, data = found(history, 12, "--as-of", "2040-01-03")
    assert (ids, data["snapshot"]) == ([A], "reused")


def test_head_uses_the_live_index_unless_files_are_uncommitted(history: Ctx) -> None:
    assert found(history, 12, "--as-of", "2040-01-06")[1]["snapshot"] == "live"
    path = history.file(B)
    path.write_text(path.read_text().replace("8 hours since", "8 hours (12 for admins) since"))
    data = found(history, 12, "--as-of", "2040-01-06")[1]
    assert data["snapshot"] == "built"  # HEAD as committed, not the hand edit
    assert "12 for admins" not in data["hits"][0]["snippet"]
    assert "12 for admins" in found(history, 12)[1]["hits"][0]["snippet"]


def test_old_snapshots_are_pruned(ctx: Ctx) -> None:
    for n in range(1, KEEP + 3):
        ok_on(ctx, n, "add", f"a/b/note-{n}", "--title", f"Note {n} about caching")
    for n in range(1, KEEP + 3):
        run = on(ctx, 20, "search", "caching", "--as-of", f"2040-01-{n:02d}", "--json")
        assert json.loads(run.stdout)["snapshot"] in ("built", "live")
    kept = sorted(p.name for p in (ctx.store / "cache" / "asof").iterdir())
    newest = ctx.git("log", "--format=%H", f"-{KEEP}", "HEAD~1").split()  # HEAD itself is live
    assert kept == sorted(newest)


def test_as_of_does_not_count_as_use(history: Ctx) -> None:
    on(history, 12, "search", QUERY, "--as-of", "2040-01-03")
    on(history, 12, "search", QUERY)
    with closing(sqlite3.connect(history.store / "cache" / "index.sqlite")) as db:
        used = [row[0] for row in db.execute("SELECT id FROM usage ORDER BY id")]
    assert used == [B]  # A was returned only by the look into the past
