"""config.yaml, typed: `config.from_values` (defaults, kinds, ranges) and what a command does
with a bad value in the file."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Ctx, add

from ctxtree import config
from ctxtree.errors import UsageError


def test_defaults_are_the_dataclasses() -> None:
    typed = config.from_values({})
    assert typed == config.Config()
    assert config.from_values(config.DEFAULTS) == typed
    assert typed.limits.max_entry_bytes == 1_048_576
    assert typed.lifecycle.importance_default == 50
    assert config.DEFAULTS["lifecycle"]["decay_per_day"] == 0.995
    assert list(config.DEFAULTS) == [
        "schema_version", "actor", "limits", "lifecycle", "budgets", "lint", "llm",
        "hooks", "review",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("values", "read", "expected"),
    [
        ({"limits": {"max_entry_bytes": 2048}}, lambda c: c.limits.max_entry_bytes, 2048),
        ({"limits": {"max_entry_bytes": "2048"}}, lambda c: c.limits.max_entry_bytes, 2048),
        ({"limits": {"max_entry_bytes": 2048.0}}, lambda c: c.limits.max_entry_bytes, 2048),
        ({"limits": {"lock_timeout_seconds": 2.5}}, lambda c: c.limits.lock_timeout_seconds, 2.5),
        ({"lifecycle": {"boost_cap": "20"}}, lambda c: c.lifecycle.boost_cap, 20),
        ({"lifecycle": {"decay_per_day": "0.9"}}, lambda c: c.lifecycle.decay_per_day, 0.9),
        ({"lint": {"duplicate_ratio": 80}}, lambda c: c.lint.duplicate_ratio, 80),
        ({"actor": "agent:bot"}, lambda c: c.actor, "agent:bot"),
        ({"actor": None}, lambda c: c.actor, ""),
        ({"lifecycle": {"unknown": 1}}, lambda c: c.lifecycle, config.LifecycleConfig()),
        ({"future": {"x": 1}}, lambda c: c, config.Config()),
    ],
)
def test_values_are_typed(values: dict[str, Any], read: Any, expected: Any) -> None:
    got = read(config.from_values(values))
    assert got == expected and type(got) is type(expected)


def test_a_whole_number_stays_an_int() -> None:
    """Entries get importance_default as it is written: `50`, never `50.0`."""
    assert type(config.from_values({"lifecycle": {"importance_default": 50}}).lifecycle
                .importance_default) is int  # fmt: skip


@pytest.mark.parametrize(
    ("values", "message", "hint"),
    [
        (
            {"lifecycle": {"decay_per_day": "slow"}},
            "config lifecycle.decay_per_day is 'slow', not a number",
            "e.g. ctx config set lifecycle.decay_per_day 0.995",
        ),
        (
            {"limits": {"max_entry_bytes": 10.5}},
            "config limits.max_entry_bytes is 10.5, not a whole number",
            "e.g. ctx config set limits.max_entry_bytes 1048576",
        ),
        (
            {"limits": {"max_entry_bytes": -1}},
            "config limits.max_entry_bytes must be from 1 to 104,857,600, not -1",
            "e.g. ctx config set limits.max_entry_bytes 1048576",
        ),
        (
            {"lifecycle": {"decay_per_day": float("nan")}},
            "config lifecycle.decay_per_day is nan, not a number",
            "e.g. ctx config set lifecycle.decay_per_day 0.995",
        ),
        (
            {"lint": {"duplicate_ratio": True}},
            "config lint.duplicate_ratio is True, not a number",
            "e.g. ctx config set lint.duplicate_ratio 90",
        ),
        (
            {"limits": 5},
            "config limits is 5, not a mapping of settings",
            "fix config.yaml by hand; its keys are max_entry_bytes, lock_timeout_seconds",
        ),
    ],
)
def test_a_bad_value_names_the_key_and_the_fix(
    values: dict[str, Any], message: str, hint: str
) -> None:
    with pytest.raises(UsageError) as info:
        config.from_values(values)
    assert (info.value.message, info.value.hint) == (message, hint)


def test_a_bad_value_in_the_file_stops_a_write_and_config_set_repairs_it(ctx: Ctx) -> None:
    path = ctx.store / "config.yaml"
    path.write_text(path.read_text().replace("max_entry_bytes: 1048576", "max_entry_bytes: lots"))
    run = ctx("add", "a/b/c", "--title", "T")
    assert run.code == 2
    assert run.stderr.startswith(
        "ctx: error: config limits.max_entry_bytes is 'lots', not a number"
    )
    assert ctx.ok("config", "get", "limits.max_entry_bytes") == "lots\n"
    ctx.ok("config", "set", "limits.max_entry_bytes", "4096")
    add(ctx, "a/b/c", "T")
    run = ctx("add", "a/b/d", "--title", "T", "--body", "x" * 5000)
    assert run.code == 5 and "over the 4,096-byte limit" in run.stderr


def test_a_commit_preview_diffs_against_the_exact_committed_text(ctx: Ctx) -> None:
    """`ctx commit --dry-run` compares with HEAD's text as committed: only the edited line
    shows, not the file's last line too."""
    add(ctx, "a/b/c", "T", "--body", "line one\nline two")
    path = ctx.file("a/b/c")
    path.write_text(path.read_text().replace("line one", "line ONE"))
    out = ctx.ok("commit", "-m", "hand edit", "--dry-run")
    assert "-line one\n+line ONE\n line two\n" in out
    assert "+line two" not in out
