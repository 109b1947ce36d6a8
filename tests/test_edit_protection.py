"""`ctx edit` protects facts like a plan's UPDATE: a new body that drops lines is refused
without --allow-loss; --append-body adds text without replacing."""

from __future__ import annotations

import json

from conftest import Ctx

ID = "auth/jwt/refresh-rotation"
FACT = "Reuse of a revoked token revokes the whole family."


def setup(ctx: Ctx) -> None:
    ctx.ok("add", ID, "--title", "Refresh tokens rotate", "--body", FACT)


def commits(ctx: Ctx) -> int:
    return int(ctx.git("rev-list", "--count", "HEAD"))


def test_replacing_a_body_that_drops_a_fact_is_blocked(ctx: Ctx) -> None:
    setup(ctx)
    before = commits(ctx)
    run = ctx("edit", ID, "--body", "-", input="long text\n")
    assert (run.code, run.stdout) == (4, "")
    assert run.stderr == (
        f"ctx: error: high impact: updating '{ID}' drops fact: {FACT}\n"
        f"  drops fact: {FACT}\n"
        "  hint: add text without replacing with --append-body, or pass --allow-loss if "
        "dropping it is intended\n"
    )
    assert commits(ctx) == before
    assert FACT in ctx.file(ID).read_text(encoding="utf-8")


def test_blocked_edit_in_json_lists_the_losses(ctx: Ctx) -> None:
    setup(ctx)
    run = ctx("edit", ID, "--body", "other", "--json")
    error = json.loads(run.stderr)["error"]
    assert (run.code, error["code"], error["exit"]) == (4, "conflict", 4)
    assert error["details"] == [f"drops fact: {FACT}"]


def test_allow_loss_replaces_the_body(ctx: Ctx) -> None:
    setup(ctx)
    ctx.ok("edit", ID, "--body", "long text", "--allow-loss")
    text = ctx.file(ID).read_text(encoding="utf-8")
    assert "long text" in text and FACT not in text


def test_a_body_that_keeps_every_fact_needs_no_flag(ctx: Ctx) -> None:
    setup(ctx)
    ctx.ok("edit", ID, "--body", f"{FACT}\n\nThe family is revoked within a second.")
    assert "within a second" in ctx.file(ID).read_text(encoding="utf-8")


def test_append_body_adds_a_paragraph(ctx: Ctx) -> None:
    setup(ctx)
    out = ctx.ok("edit", ID, "--append-body", "-", input="Grace period: 10 seconds.\n")
    assert out.startswith(f"edited {ID} (")
    body = json.loads(ctx.ok("show", ID, "--json"))["body"]
    assert body == f"# Refresh tokens rotate\n\n{FACT}\n\nGrace period: 10 seconds.\n"


def test_body_and_append_body_are_exclusive(ctx: Ctx) -> None:
    setup(ctx)
    run = ctx("edit", ID, "--body", "a", "--append-body", "b")
    assert run.code == 2
    assert "--body and --append-body are exclusive" in run.stderr


def test_dry_run_of_a_lossy_edit_is_blocked_too(ctx: Ctx) -> None:
    setup(ctx)
    assert ctx("edit", ID, "--body", "x", "--dry-run").code == 4
