"""`ctx hook EVENT` and the injection log: the parts every hook shares.

A hook must never block what called it: any failure exits 0 with no output and leaves one line
in the store's cache/hooks.log; and it must not load the CLI framework."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Ctx

from ctxtree.tree import injections
from ctxtree.tree.injections import Injection


def hook(ctx: Ctx, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctxtree", "hook", *args],
        cwd=ctx.cwd,
        env={**os.environ, **ctx.env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unknown_event_fails_open_and_is_logged(ctx: Ctx) -> None:
    done = hook(ctx, "NoSuchEvent", stdin='{"session_id": "s1"}')
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    log = (ctx.store / "cache" / "hooks.log").read_text(encoding="utf-8")
    assert log.count("\n") == 1
    assert "NoSuchEvent: LookupError: no hook handler for event 'NoSuchEvent'" in log


def test_a_payload_that_is_not_json_fails_open(ctx: Ctx) -> None:
    done = hook(ctx, "NoSuchEvent", stdin="{not json")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert "JSONDecodeError" in (ctx.store / "cache" / "hooks.log").read_text(encoding="utf-8")


def test_without_a_store_a_hook_says_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    env.pop("CTX_TREE", None)
    done = subprocess.run(
        [sys.executable, "-m", "ctxtree", "hook", "SessionStart"],
        cwd=tmp_path,
        env=env,
        input=json.dumps({"cwd": str(tmp_path)}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_hook_help_lists_the_events(ctx: Ctx) -> None:
    done = hook(ctx, "--help")
    assert done.returncode == 0 and done.stdout.startswith("Usage: ctx hook [--agent NAME] EVENT")


def test_a_hook_loads_no_cli_framework(ctx: Ctx) -> None:
    probe = (
        "import sys; sys.argv = ['ctx', 'hook', 'NoSuchEvent']\n"
        "from ctxtree.cli.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'typer', 'click', 'rich', 'git', 'tiktoken', 'rapidfuzz', 'yaml'}), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ctx.cwd,
        env={**os.environ, **ctx.env},
        input="{}",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_the_injection_log_records_lists_and_totals(ctx: Ctx) -> None:
    root = ctx.store
    injections.record(root, Injection("SessionStart", "s1", "claude", ("a/b/c", "a/b/d"),
                                      "abc123", 120, 480, why="core knowledge"))  # fmt: skip
    injections.record(root, Injection("UserPromptSubmit", "s1", "claude", silent=True,
                                      why="confidence 0.12 for 'lunch'"))  # fmt: skip
    injections.record(root, Injection("UserPromptSubmit", "s2", "claude", ("a/b/e",),
                                      "abc123", 40, 160, why="confidence 0.91"))  # fmt: skip
    with (root / injections.LOG).open("a", encoding="utf-8") as log:
        log.write('{"event": "half a line\n')  # a crash mid-write: skipped, never fatal
    records = injections.read(root)
    assert [r.event for r in records] == ["SessionStart", "UserPromptSubmit", "UserPromptSubmit"]
    assert injections.already_injected(records, "s1") == {"a/b/c", "a/b/d"}
    assert injections.already_injected(records, "") == set()
    assert injections.totals(records).to_json() == {
        "injections": 2, "silent": 1, "tokens": 160, "sessions": 2
    }  # fmt: skip

    listed = json.loads(ctx.ok("log", "--injections", "--session", "s1", "--json"))
    assert [(r["event"], r["ids"], r["silent"]) for r in listed] == [
        ("SessionStart", ["a/b/c", "a/b/d"], False),
        ("UserPromptSubmit", [], True),
    ]
    lines = ctx.ok("log", "--injections").splitlines()
    assert len(lines) == 3 and "silent" in lines[1] and "a/b/e" in lines[2]
    run = ctx("log", "--session", "s1")
    assert run.code == 2 and "--session goes with --injections" in run.stderr


@pytest.mark.parametrize("sid", ["s1", 's"1', "sé 1", "s1\\n", ""])
def test_one_sessions_records_among_others(ctx: Ctx, sid: str) -> None:
    """read(root, session) skips other sessions' lines unparsed: ids that JSON escapes, a
    session whose id is part of another's, and the empty id still get exactly their own."""
    root = ctx.store
    for other in ("s10", "xs1", 's"10', "sé 10"):
        injections.record(root, Injection("UserPromptSubmit", other, why=f"why {sid}"))
    injections.record(root, Injection("SessionStart", sid, ids=("a/b/c",), why="mine"))
    injections.record(root, Injection("UserPromptSubmit", "s2", ids=(sid or "x",), why=sid))
    mine = injections.read(root, sid)
    assert [(r.event, r.session, r.why) for r in mine] == [("SessionStart", sid, "mine")]


def test_no_injections_yet_says_so(ctx: Ctx) -> None:
    run = ctx("log", "--injections")
    assert (run.code, run.stdout) == (0, "")
    assert "no injections recorded" in run.stderr


def test_the_log_is_trimmed_to_its_newest_half(ctx: Ctx, monkeypatch: object) -> None:
    root = ctx.store
    import ctxtree.tree.injections as module

    old = module.MAX_BYTES
    module.MAX_BYTES = 2000
    try:
        for n in range(40):
            injections.record(root, Injection("UserPromptSubmit", f"s{n}", why="x" * 20))
    finally:
        module.MAX_BYTES = old
    records = injections.read(root)
    assert 0 < len(records) < 40 and records[-1].session == "s39"
    assert (root / injections.LOG).stat().st_size <= 2000 + 400
