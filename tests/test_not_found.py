"""A mistyped id or prefix is "not found" (exit 3) with a "did you mean", on every command."""

from __future__ import annotations

import json

import pytest
from conftest import Ctx, add

from ctxtree.wording import closest

IDS = ["auth/jwt/refresh-rotation", "auth/jwt/signing-keys", "ops/ci/cache", "auth/jwt/keys"]


@pytest.mark.parametrize(
    "wanted, expected",
    [
        ("auth/jwt/refresh-rotaton", "auth/jwt/refresh-rotation"),  # a letter missing
        ("auth/jwt/refresh_rotation", "auth/jwt/refresh-rotation"),  # _ for -
        ("auth/tokens/refresh-rotation", "auth/jwt/refresh-rotation"),  # wrong folder
        ("auth/jwt/key", "auth/jwt/keys"),
        ("ops/ci/cahce", "ops/ci/cache"),
        ("payments/stripe/webhooks", None),  # nothing like it
        ("auth/jwt/refresh-rotation", None),  # itself is no suggestion
    ],
)
def test_closest(wanted: str, expected: str | None) -> None:
    assert closest(wanted, IDS) == expected


def test_closest_breaks_ties_by_id_not_listing_order() -> None:
    assert closest("a/b/cx", ["a/b/cz", "a/b/cy"]) == closest("a/b/cx", ["a/b/cy", "a/b/cz"])


@pytest.fixture
def store(ctx: Ctx) -> Ctx:
    add(ctx, "auth/jwt/refresh-rotation", "Refresh tokens rotate")
    add(ctx, "auth/jwt/signing-keys", "Signing keys", "--relate",
        "related:auth/jwt/refresh-rotation")  # fmt: skip
    return ctx


@pytest.mark.parametrize(
    "args",
    [
        ["show"],
        ["show", "--raw"],
        ["related"],
        ["blame"],
        ["log"],
        ["edit", "--title", "x"],
        ["rm"],
        ["forget"],
        ["archive"],
    ],
)
def test_a_mistyped_id_gets_a_did_you_mean(store: Ctx, args: list[str]) -> None:
    run = store(args[0], "auth/jwt/refresh-rotaton", *args[1:])
    assert run.code == 3 and run.stdout == ""
    assert run.stderr.splitlines()[-1] == "  hint: did you mean auth/jwt/refresh-rotation?"
    data = json.loads(store(args[0], "auth/jwt/refresh-rotaton", *args[1:], "--json").stderr)
    assert data["error"]["hint"] == "did you mean auth/jwt/refresh-rotation?"


def test_an_id_like_nothing_keeps_the_listing_hint(store: Ctx) -> None:
    run = store("show", "payments/stripe/webhooks")
    assert run.stderr == (
        "ctx: error: no entry 'payments/stripe/webhooks'\n"
        "  hint: list entries with `ctx ls [PREFIX]`\n"
    )


def test_log_of_an_id_that_never_existed_is_not_in_memory(store: Ctx) -> None:
    run = store("log", "no/such/entry")
    assert (run.code, run.stdout) == (3, "")
    assert run.stderr == (
        "ctx: error: 'no/such/entry' is not in memory: no entry has that id, now or in the "
        "history\n  hint: list entries with `ctx ls [PREFIX]`\n"
    )
    assert json.loads(store("log", "no/such/entry", "--json").stderr)["error"]["exit"] == 3


def test_log_of_a_removed_or_archived_entry_still_shows_its_history(store: Ctx) -> None:
    store.ok("rm", "auth/jwt/signing-keys")
    lines = store.ok("log", "auth/jwt/signing-keys").splitlines()
    assert [line.split()[3] for line in lines] == ["rm", "add"]
    store.ok("archive", "auth/jwt/refresh-rotation")
    ops = [c["op"] for c in json.loads(store.ok("log", "auth/jwt/refresh-rotation", "--json"))]
    assert ops == ["archive", "add"]


def test_an_uncommitted_entry_has_an_empty_log_and_says_why(store: Ctx) -> None:
    store.file("auth/jwt/by-hand").write_text("---\ntitle: By hand\n---\nWritten by hand.\n")
    run = store("log", "auth/jwt/by-hand")
    assert (run.code, run.stdout) == (0, "")
    assert run.stderr == "no commit has touched auth/jwt/by-hand yet; `ctx commit` records it\n"
    assert store.ok("log", "auth/jwt/by-hand", "--json") == "[]\n"


@pytest.mark.parametrize("command", ["ls", "tree", "lint"])
def test_a_prefix_naming_nothing_is_not_found(store: Ctx, command: str) -> None:
    run = store(command, "auth/jw")
    assert run.code == 3 and run.stdout == ""
    assert run.stderr == "ctx: error: nothing under 'auth/jw'\n  hint: did you mean auth/jwt?\n"
    run = store(command, "zzz")
    assert run.stderr.endswith("  hint: list entries with `ctx ls [PREFIX]`\n")
    assert json.loads(store(command, "zzz", "--json").stderr)["error"]["exit"] == 3


def test_an_empty_store_or_folder_lists_nothing_and_succeeds(ctx: Ctx) -> None:
    assert ctx.ok("ls") == "" and ctx.ok("ls", "--json") == "[]\n"
    add(ctx, "a/b/c", "C")
    ctx.ok("rm", "a/b/c")
    (ctx.store / "tree" / "a" / "b").mkdir(parents=True, exist_ok=True)
    assert ctx.ok("ls", "a/b") == ""


def test_a_mistyped_config_key_gets_a_did_you_mean(ctx: Ctx) -> None:
    run = ctx("config", "get", "limits.max_entry_byts")
    assert run.code == 2  # the keys are a fixed set, like options: a usage error
    assert run.stderr == (
        "ctx: error: unknown config key 'limits.max_entry_byts'\n"
        "  hint: did you mean limits.max_entry_bytes?\n"
    )
    assert "known keys: actor, " in ctx("config", "get", "zzz").stderr


def test_empty_answers_say_so_on_stderr_and_succeed(store: Ctx) -> None:
    run = store("diff")
    assert (run.code, run.stdout, run.stderr) == (0, "", "no uncommitted changes\n")
    assert store("diff", "HEAD").stderr == "no changes since HEAD\n"
    add(store, "ops/ci/runners", "Runners")
    run = store("related", "ops/ci/runners")
    assert (run.code, run.stdout) == (0, "")
    assert run.stderr == "ops/ci/runners has no relations and nothing links to it\n"
    assert store.ok("related", "ops/ci/runners", "--json") == "[]\n"
    assert store("-q", "related", "ops/ci/runners").stderr == ""
