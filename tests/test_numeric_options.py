"""Every numeric option has a documented range, enforced by the parser as a usage error (exit 2)
that names the option and the range, in our one-line format (JSON with --json)."""

from __future__ import annotations

import json

import pytest
from conftest import Ctx, add

# (command, its arguments up to the value, option as named in the error, low, high)
BOUNDED = [
    (["search"], ["x", "--limit"], "--limit", 1, 1000),
    (["search"], ["x", "-n"], "--limit", 1, 1000),
    (["context"], ["x", "--budget"], "--budget", 1, 1_000_000),
    (["log"], ["-n"], "-n", 1, 100_000),
    (["undo"], ["--dry-run", "--"], "N", 1, 1000),
    (["tree"], ["--depth"], "--depth", 1, 3),
    (["edit"], ["a/b/c", "--importance"], "--importance", 0, 100),
    (["import", "transcript"], ["t.jsonl", "--window"], "--window", 1, 10_000),
]
BAD = ["999999999999", "99999999999999999999", "-1", "abc", "1.5", ""]


@pytest.mark.parametrize(("command", "args", "name", "low", "high"), BOUNDED)
def test_numeric_options_out_of_range_are_usage_errors(
    ctx: Ctx, command: list[str], args: list[str], name: str, low: int, high: int
) -> None:
    add(ctx, "a/b/c", "C")
    before = ctx.git("rev-parse", "HEAD")
    values = [*BAD, str(low - 1), str(high + 1)]
    for value in values:
        if value == "-1" and low == 0:
            continue
        run = ctx(*command, *args, value)
        assert run.code == 2, (value, run.stderr)
        lines = run.stderr.splitlines()
        assert len(lines) == 2, run.stderr
        assert lines[0].startswith(f"ctx: error: bad value for {name}: "), run.stderr
        assert lines[1].startswith(f"  hint: {name} takes a whole number from {low:,} to {high:,}")
        assert run.stdout == ""
        run = ctx(*command, "--json", *args, value)
        error = json.loads(run.stderr)["error"]
        assert (run.code, error["code"], error["exit"]) == (2, "usage", 2)
        assert f"{name} takes a whole number from {low:,} to {high:,}" in error["hint"]
    assert ctx.git("rev-parse", "HEAD") == before
    assert ctx.ok(*command, "--help").count(f"{low}<=x<={high}") == 1


def test_in_range_values_still_work(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "Cache eviction", "--body", "We evict by LRU.")
    assert ctx.ok("search", "eviction", "--limit", "1000").startswith(" 1. a/b/c")
    assert ctx.ok("context", "eviction", "--budget", "1000000").startswith("### Cache eviction")
    ctx.ok("edit", "a/b/c", "--importance", "100")
    ctx.ok("edit", "a/b/c", "--importance", "0")
    assert "importance: 0\n" in ctx.file("a/b/c").read_text()


def test_other_parser_errors_use_our_format(ctx: Ctx) -> None:
    run = ctx("search", "x", "--nosuch")
    assert run.code == 2
    assert run.stderr == ("ctx: error: No such option: --nosuch\n  hint: see `ctx search -h`\n")
    run = ctx("search", "--json")
    assert run.code == 2
    assert json.loads(run.stderr) == {
        "error": {
            "code": "usage",
            "exit": 2,
            "message": "Missing argument 'query'",
            "hint": "see `ctx search -h`",
        }
    }
    run = ctx("nosuch")
    assert (run.code, run.stderr) == (
        2,
        "ctx: error: No such command 'nosuch'\n  hint: see `ctx -h`\n",
    )


@pytest.mark.parametrize(
    ("key", "value", "low", "high"),
    [
        ("limits.lock_timeout_seconds", "-5", "0", "3,600"),
        ("limits.lock_timeout_seconds", "99999999999999999999", "0", "3,600"),
        ("limits.max_entry_bytes", "0", "1", "104,857,600"),
        ("lifecycle.decay_per_day", "nan", "0", "1"),
        ("lifecycle.decay_per_day", "1.5", "0", "1"),
        ("lifecycle.importance_default", "101", "0", "100"),
        ("budgets.context", "0", "1", "1,000,000"),
    ],
)
def test_numeric_config_values_have_ranges(
    ctx: Ctx, key: str, value: str, low: str, high: str
) -> None:
    before = (ctx.store / "config.yaml").read_text()
    run = ctx("config", "set", key, "--", value)
    assert run.code == 2, run.stderr
    assert f"config {key} must be from {low} to {high}, not {value}" in run.stderr
    assert (ctx.store / "config.yaml").read_text() == before
