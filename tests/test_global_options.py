"""--tree, --json and -q work before the subcommand exactly as after it (SPEC §5)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import Ctx, add


def _other_store(bare: Ctx) -> str:
    """A second store, in another directory: the only way to reach it is --tree."""
    bare.ok("init")
    bare.ok("add", "x/y/z", "--title", "Only in the other store")
    return str(bare.store)


@pytest.mark.parametrize(
    "before, after",
    [
        (["--tree", "{other}", "status"], ["status", "--tree", "{other}"]),
        (["--tree={other}", "ls"], ["ls", "--tree={other}"]),
        (["--json", "--tree", "{other}", "search", "other store"],
         ["search", "other store", "--json", "--tree", "{other}"]),
        (["-q", "--tree", "{other}", "search", "other store"],
         ["search", "other store", "-q", "--tree", "{other}"]),
        (["--tree", "{other}", "--json", "show", "x/y/z"],
         ["show", "x/y/z", "--tree", "{other}", "--json"]),
    ],
)  # fmt: skip
def test_before_and_after_the_subcommand_are_the_same(
    ctx: Ctx, bare: Ctx, before: list[str], after: list[str]
) -> None:
    other = _other_store(bare)
    first = ctx(*[a.format(other=other) for a in before])
    second = ctx(*[a.format(other=other) for a in after])
    assert first.code == second.code == 0, first.stderr
    assert _same(first.stdout) == _same(second.stdout) and first.stderr == second.stderr
    assert "x/y/z" in first.stdout or str(bare.store) in first.stdout


def _same(stdout: str) -> object:
    """Output with what differs between two identical runs left out: a search's timing and
    tier (the second run is answered by the query cache)."""
    if stdout.startswith("{") and '"hits"' in stdout:
        return [hit["id"] for hit in json.loads(stdout)["hits"]]
    return stdout


def test_global_options_before_a_write_and_a_nested_command(
    ctx: Ctx, bare: Ctx, tmp_path: Path
) -> None:
    other = _other_store(bare)
    run = ctx("-q", "--tree", other, "add", "x/y/w", "--title", "W")
    assert (run.code, run.stdout, run.stderr) == (0, "", "")
    assert bare.file("x/y/w").is_file() and not ctx.file("x/y/w").exists()
    chat = tmp_path / "chat.jsonl"
    turn = {"id": "t1", "session": "s1", "time": "2026-11-20T10:00:00Z", "speaker": "ann"}
    chat.write_text(json.dumps({**turn, "text": "We pin the Stripe API version."}) + "\n")
    run = ctx(f"--tree={other}", "--json", "import", "transcript", str(chat))
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["turns"] == 1
    assert "conversations" in bare.ok("ls", "--json")


def test_quiet_prints_data_and_errors_only(ctx: Ctx) -> None:
    assert ctx.ok("-q", "add", "a/b/c", "--title", "Caching layers") == ""
    assert ctx.ok("add", "a/b/d", "--title", "D", "-q") == ""
    assert ctx.ok("add", "a/b/e", "--title", "E").startswith("added a/b/e (")
    run = ctx("-q", "search", "caching layers")
    assert run.code == 0 and run.stdout.startswith(" 1. a/b/c") and run.stderr == ""
    loud = ctx("search", "caching layers")
    assert loud.stdout == run.stdout and "hit" in loud.stderr
    missing = ctx("-q", "show", "a/b/nope")
    assert missing.code == 3 and missing.stderr.startswith("ctx: error: no entry 'a/b/nope'")


def test_an_option_given_twice_is_a_usage_error(ctx: Ctx) -> None:
    run = ctx("--tree", str(ctx.store), "status", "--tree", str(ctx.store))
    assert run.code == 2
    assert (
        run.stderr
        == "ctx: error: --tree given both before and after `status`\n  hint: give it once\n"
    )
    run = ctx("--json", "ls", "--json")
    assert run.code == 2 and run.stdout == ""
    error = json.loads(run.stderr)["error"]
    assert (
        error["code"] == "usage" and error["message"] == "--json given both before and after `ls`"
    )
    assert ctx("-q", "ls", "-q").code == 2


def test_a_global_option_the_command_does_not_take(ctx: Ctx) -> None:
    run = ctx("--tree", str(ctx.store), "demo")
    assert run.code == 2
    assert run.stderr.startswith("ctx: error: `ctx demo` does not take --tree\n")
    run = ctx("--json", "--tree", str(ctx.store), "demo")
    assert run.code == 2 and json.loads(run.stderr)["error"]["exit"] == 2


def test_parser_errors_after_a_global_json_are_json(ctx: Ctx) -> None:
    run = ctx("--json", "search", "wal", "--limt", "3")
    assert run.code == 2 and json.loads(run.stderr)["error"]["code"] == "usage"
    run = ctx("--json", "import", "transcript", "--windw", "3", "f.jsonl")
    assert run.code == 2 and json.loads(run.stderr)["error"]["code"] == "usage"


def test_as_a_real_process_the_subcommand_is_found_after_a_tree_value(ctx: Ctx) -> None:
    # main() converts only the invoked command: it must skip --tree's value to find it
    add(ctx, "a/b/c", "Caching layers")
    run = ctx.proc("--tree", str(ctx.store), "--json", "ls")
    assert run.code == 0, run.stderr
    assert [e["id"] for e in json.loads(run.stdout)] == ["a/b/c"]
    run = ctx.proc("--tree", "status", "ls")  # a store path that happens to be a command name
    assert run.code == 6 and run.stderr.startswith("ctx: error: no ctx store at ")
    assert run.stderr.splitlines()[0].endswith("/status")


def test_the_demo_hint_works_as_printed(ctx: Ctx, tmp_path: Path) -> None:
    printed = ctx.proc("demo", str(tmp_path / "demo")).stdout.splitlines()[-1]
    hint = re.search(r"try `ctx (.+?)`", printed)
    assert hint is not None, printed
    args = hint.group(1).split(" ")
    assert args[0] == "--tree" and args[2] == "tree"
    run = ctx.proc(*args)
    assert run.code == 0, run.stderr
    assert run.stdout.startswith(". (44 entries)\n├── auth/ (12)\n│   ├── jwt/ (6)\n")
