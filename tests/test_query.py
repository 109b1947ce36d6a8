"""`ctx query`: tiers 0-4 through the CLI, against the scripted OpenAI server (the real `llm`
library and its OpenAI plugin) and real command-provider scripts. Every answer printed must
cite entries that contain what is quoted; anything else exits 3 with nothing shown as fact."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from conftest import Ctx, Run
from llm_server import ScriptedServer
from test_mcp import needs_sdk, serve, text
from test_mcp import seed as mcp_seed

from ctxtree.tree import injections

WEAK = "how many hours until a user must log in again"  # tier 2 finds material, not confidently
UNKNOWN = "how is the database backed up"  # tier 2 finds nothing at all


def seed(ctx: Ctx) -> None:
    """test_mcp's store (a decision, a convention, an external entry) and a session rule."""
    mcp_seed(ctx)
    ctx.ok(
        "add", "auth/sessions/length", "-t", "Sessions last twelve hours", "-s",
        "A login session expires twelve hours after sign-in.", "-b",
        "Idle sessions are not extended; the user signs in again.",
    )  # fmt: skip


def answer(text: str, *cites: tuple[str, str], found: bool = True, enough: bool = True) -> str:
    citations = [{"id": i, "quote": q} for i, q in cites]
    return json.dumps({"answer": text, "citations": citations, "found": found, "enough": enough})


def calls(*steps: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"tool_calls": [{"name": name, "arguments": args} for name, args in steps]}


def asked(ctx: Ctx, question: str, *args: str) -> tuple[Run, dict[str, Any]]:
    run = ctx("query", question, "--json", *args)
    data = json.loads(run.stdout) if run.stdout.strip() else {}
    return run, data


def test_a_confident_tier_2_answers_with_no_model_call(
    ctx: Ctx, llm_server: ScriptedServer
) -> None:
    seed(ctx)
    llm_server.reply(answer("never asked"))
    run, data = asked(ctx, "refresh token rotation", "--model", "ctx-test")
    assert run.code == 0, run.stderr
    assert llm_server.requests == []
    assert (data["tier"], data["status"], data["found"], data["model"]) == (
        2,
        "answered",
        True,
        None,
    )
    assert data["citations"][0]["id"] == "auth/jwt/rotation"
    assert "revokes the old one" in data["answer"]
    assert data["timings"]["tier2"] is not None and data["timings"]["tier3"] is None

    shown = ctx("query", "refresh token rotation")
    assert shown.code == 0
    assert shown.stdout.startswith(
        "Each refresh issues a new refresh token and revokes the old one. [auth/jwt/rotation]\n"
    )
    assert "no model call" in shown.stderr


def test_without_a_model_a_weak_match_is_shown_as_not_confident_and_exits_3(ctx: Ctx) -> None:
    seed(ctx)
    run = ctx("query", WEAK, "--explain")
    assert run.code == 3
    assert run.stdout.startswith("Not confident: memory holds nothing that clearly answers this")
    assert "[auth/sessions/length]" in run.stdout
    assert "explain: tier 3: not tried (no model is configured)" in run.stderr

    run, data = asked(ctx, UNKNOWN)
    assert (run.code, data["status"], data["answer"], data["entries"]) == (
        3, "not_in_memory", None, []
    )  # fmt: skip
    human = ctx("query", UNKNOWN)
    assert (human.code, human.stdout) == (3, "")
    assert "not in memory" in human.stderr


def test_tiers_3_and_4_need_a_model_only_when_asked_for(ctx: Ctx) -> None:
    seed(ctx)
    run = ctx("query", WEAK, "--max-tier", "3")
    assert run.code == 1 and run.stdout == ""
    assert "--max-tier 3 needs a language model and none is configured" in run.stderr
    conflict = ctx("query", WEAK, "--no-llm", "--max-tier", "4")
    assert conflict.code == 2
    assert ctx("query", " ").code == 2


def test_tier_3_answers_with_verified_citations(ctx: Ctx, llm_server: ScriptedServer) -> None:
    seed(ctx)
    llm_server.reply(
        answer(
            "Twelve hours after sign-in.",
            ("auth/sessions/length", "expires  Twelve hours after sign-in"),
        )
    )
    run, data = asked(ctx, WEAK, "--model", "ctx-test")
    assert run.code == 0, run.stderr
    assert len(llm_server.requests) == 1
    prompt = llm_server.prompts()[0]
    assert f"Question: {WEAK}" in prompt
    assert "id: auth/sessions/length" in prompt  # the packed material, with its ids
    assert (data["tier"], data["status"], data["answer"]) == (
        3,
        "answered",
        "Twelve hours after sign-in.",
    )
    assert data["citations"] == [
        {
            "id": "auth/sessions/length",
            "quote": "expires  Twelve hours after sign-in",
            "verified": True,
        }
    ]
    assert data["model"] == "library: ctx-test" and data["steps"] == 1
    assert data["tokens"]["input"] > 0 and data["tokens"]["estimated"] is False
    assert data["timings"]["tier3"] > 0

    llm_server.reply(
        answer("Twelve hours.", ("auth/sessions/length", "twelve hours after sign-in"))
    )
    human = ctx("query", WEAK, "--model", "ctx-test", "--explain")
    assert human.code == 0
    assert human.stdout == (
        'Twelve hours.\n\nSources:\n  auth/sessions/length: "twelve hours after sign-in"\n'
    )
    assert "explain: tier 0: answered from the query cache" in human.stderr
    assert ", below the confident gate" in human.stderr
    assert "tier 3 · " in human.stderr


def test_tier_3_not_found_exits_3(ctx: Ctx, llm_server: ScriptedServer) -> None:
    seed(ctx)
    llm_server.reply(answer("The entries say nothing about that.", found=False))
    run, data = asked(ctx, WEAK, "--model", "ctx-test")
    assert (run.code, data["status"], data["tier"], data["found"]) == (3, "not_in_memory", 3, False)
    assert data["answer"] is None and len(llm_server.requests) == 1


def test_a_citation_whose_entry_lacks_the_quote_is_rejected(
    ctx: Ctx, llm_server: ScriptedServer
) -> None:
    seed(ctx)
    invented = answer("Sessions last a week.", ("auth/sessions/length", "sessions last seven days"))
    ghost = answer("Sessions last a week.", ("auth/sessions/forever", "sessions last a week"))
    llm_server.reply(invented, ghost)
    run = ctx("query", WEAK, "--model", "ctx-test", "--max-tier", "3")
    assert (run.code, run.stdout) == (3, "")
    assert "could not be verified against memory" in run.stderr
    assert "rejected auth/sessions/forever: no such entry" in run.stderr
    assert len(llm_server.requests) == 2  # one retry, asking for exact quotes
    assert "None of your citations could be verified" in llm_server.prompts()[1]
    assert "sessions last seven days" in llm_server.prompts()[1]

    # One citation verified and one not: the answer stands on the verified one only.
    llm_server.reply(
        answer(
            "Twelve hours.",
            ("auth/sessions/length", "twelve hours after sign-in"),
            ("auth/jwt/rotation", "sessions last twelve hours"),
        )
    )
    run, data = asked(ctx, WEAK, "--model", "ctx-test", "--max-tier", "3")
    assert run.code == 0
    assert [c["verified"] for c in data["citations"]] == [True, False]
    assert data["citations"][1]["why"] == "the quote is not in the entry"


def test_tier_4_uses_tools_over_three_steps_after_tier_3(
    ctx: Ctx, llm_server: ScriptedServer
) -> None:
    seed(ctx)
    llm_server.reply(
        answer(
            "Twelve hours, maybe more.",
            ("auth/sessions/length", "twelve hours after sign-in"),
            enough=False,
        ),
        calls(("search", {"query": "idle session"})),
        calls(("read", {"id": "auth/sessions/length"}), ("teleport", {})),
        answer(
            "Twelve hours; idle sessions are not extended.",
            ("auth/sessions/length", "Idle sessions are not extended"),
        ),
    )
    run, data = asked(ctx, WEAK, "--model", "ctx-test", "--explain")
    assert run.code == 0, run.stderr
    assert (data["tier"], data["status"], data["steps"]) == (4, "answered", 4)
    assert data["citations"][0]["quote"] == "Idle sessions are not extended"
    assert data["seen"] == ["auth/sessions/length"]
    requests = llm_server.requests
    assert "tools" not in requests[0]  # tier 3 first: one call, no tools
    assert {t["function"]["name"] for t in requests[1]["tools"]} == {
        "search", "read", "related", "list"
    }  # fmt: skip
    prompts = llm_server.prompts()
    assert "- auth/sessions/length (note): Sessions last twelve hours" in prompts[2]
    assert "summary: A login session expires twelve hours after sign-in." in prompts[3]
    assert "error: no tool 'teleport'; the tools are search, read, related, list" in prompts[3]
    assert "explain: tier 3: the model said the material was not enough" in run.stderr


def test_tier_4_stops_when_the_step_budget_runs_out(ctx: Ctx, llm_server: ScriptedServer) -> None:
    seed(ctx)
    ctx.ok("config", "set", "llm.max_steps", "2")
    llm_server.reply(calls(("list", {"prefix": "auth"})), repeat_last=True)
    run, data = asked(ctx, UNKNOWN, "--model", "ctx-test")
    assert (run.code, data["status"], data["tier"], data["found"]) == (
        3,
        "budget_exhausted",
        4,
        False,
    )
    assert len(llm_server.requests) == 2  # tier 3 had nothing to read: straight to tier 4
    assert data["answer"] is None and data["citations"] == []
    assert "the step budget ran out (2 of 2 model calls)" in " ".join(data["explain"])
    human = ctx("query", UNKNOWN, "--model", "ctx-test")
    assert (human.code, human.stdout) == (3, "")
    assert "the step budget ran out (2 of 2 model calls) before the model answered" in human.stderr


def test_provider_down_is_a_clear_error_and_tier_2_still_works(
    ctx: Ctx, llm_server: ScriptedServer
) -> None:
    seed(ctx)
    ctx.ok("config", "set", "llm.retries", "0")
    ctx.ok("config", "set", "llm.model", "ctx-test")
    llm_server.reply({"status": 500, "body": "upstream down"}, repeat_last=True)
    run = ctx("query", WEAK)
    assert run.code == 1 and run.stdout == ""
    assert run.stderr.startswith("ctx: error: library: ctx-test failed on the server at ")
    assert "(HTTP 500: upstream down), 1 attempt\n" in run.stderr
    offline = ctx("query", WEAK, "--max-tier", "2")
    assert offline.code == 3 and "[auth/sessions/length]" in offline.stdout
    assert ctx("query", "refresh token rotation", "--no-llm").code == 0


def test_malformed_output_gets_correction_rounds_then_fails_clearly(
    ctx: Ctx, llm_server: ScriptedServer
) -> None:
    seed(ctx)
    good = answer("Twelve hours.", ("auth/sessions/length", "twelve hours after sign-in"))
    llm_server.reply("Sure! Sessions last a while.", '{"answer": "x"}', good)
    run, data = asked(ctx, WEAK, "--model", "ctx-test")
    assert (run.code, data["status"], data["steps"]) == (0, "answered", 3)
    prompts = llm_server.prompts()
    assert "Your reply could not be used: the reply holds no JSON object" in prompts[1]
    assert "the JSON object lacks citations, found" in prompts[2]

    llm_server.reply("no", "still no", "nope")
    failed = ctx("query", WEAK, "--model", "ctx-test")
    assert failed.code == 1 and failed.stdout == ""
    assert failed.stderr.startswith(
        "ctx: error: the model's answer was not the JSON asked for after 2 correction rounds"
    )
    assert len(llm_server.requests) == 3


def test_action_protocol_with_a_model_lacking_native_tools(
    ctx: Ctx, llm_server: ScriptedServer
) -> None:
    seed(ctx)
    llm_server.reply(
        json.dumps(calls(("list", {"prefix": "auth"}))),
        "```json\n" + answer("Not recorded.", found=False) + "\n```",
    )
    run, data = asked(ctx, UNKNOWN, "--model", "ctx-test-plain")
    assert (run.code, data["status"], data["tier"]) == (3, "not_in_memory", 4)
    assert all("tools" not in r for r in llm_server.requests)
    prompts = llm_server.prompts()
    assert '{"tool_calls": [{"name": "TOOL"' in prompts[0]
    assert "Tool results" in prompts[1] and "auth/sessions/length: Sessions last" in prompts[1]


MODEL_SCRIPT = """\
import json, sys
prompt = sys.stdin.read()
if "Tool results" in prompt:
    print(json.dumps({"answer": "A week of CI caches? No: sessions last twelve hours.",
                      "citations": [{"id": "auth/sessions/length",
                                     "quote": "expires twelve hours ... after sign-in"}],
                      "found": True, "enough": True}))
else:
    print("I will read it first.")
    read = {"name": "read", "arguments": {"id": "auth/sessions/length"}}
    print(json.dumps({"tool_calls": [read]}))
"""


def test_a_command_provider_script_drives_tier_4(ctx: Ctx, tmp_path: Path) -> None:
    seed(ctx)
    script = tmp_path / "model.py"
    script.write_text(MODEL_SCRIPT, encoding="utf-8")
    run, data = asked(ctx, UNKNOWN, "--llm-command", f"{sys.executable} {script}")
    assert run.code == 0, run.stderr
    assert (data["tier"], data["steps"], data["model"]) == (
        4,
        2,
        f"command: {sys.executable} {script}",
    )
    assert data["citations"][0]["verified"] is True
    assert data["tokens"]["estimated"] is True and data["tokens"]["input"] > 0


@needs_sdk
def test_the_mcp_query_tool_answers_through_the_same_use_case(
    ctx: Ctx, llm_server: ScriptedServer
) -> None:
    seed(ctx)
    ctx.ok("config", "set", "llm.model", "ctx-test")
    llm_server.reply(
        answer("Twelve hours.", ("auth/sessions/length", "twelve hours after sign-in"))
    )
    said: list[str] = []

    async def script(client: Any) -> None:
        asks = [("refresh token rotation", None), (WEAK, None), (WEAK, 2), (UNKNOWN, 2)]
        for question, tier in asks:
            arguments = {"question": question} | ({"max_tier": tier} if tier else {})
            said.append(text(await client.call_tool("query", arguments)))

    serve(ctx, script)
    confident, modelled, weak, unknown = said
    assert confident.startswith("Each refresh issues a new refresh token and revokes the old one.")
    assert "(tier 2, no model call)" in confident
    assert modelled.startswith("Twelve hours.\n\nsources (tier 3, library: ctx-test):")
    assert '- auth/sessions/length: "twelve hours after sign-in"' in modelled
    assert weak.startswith("not confident (tier 0, no model call)")  # the cache answered
    assert unknown.startswith("not in memory (tier 2, no model call)")
    assert len(llm_server.requests) == 1
    records = [r for r in injections.read(ctx.store) if r.event == "mcp:query"]
    assert [(r.ids, r.silent) for r in records] == [
        (("auth/jwt/rotation",), False),
        (("auth/sessions/length",), False),
        (("auth/sessions/length",), False),
        ((), True),
    ]
    assert "tier 3 answered" in records[1].why


def test_tier_3s_verified_answer_stands_when_tier_4_runs_out(
    ctx: Ctx, llm_server: ScriptedServer
) -> None:
    seed(ctx)
    ctx.ok("config", "set", "llm.max_steps", "1")
    partial = answer(
        "Twelve hours.", ("auth/sessions/length", "twelve hours after sign-in"), enough=False
    )
    llm_server.reply(partial, calls(("search", {"query": "idle"})))
    run, data = asked(ctx, WEAK, "--model", "ctx-test")
    assert (run.code, data["status"], data["tier"], data["enough"]) == (0, "answered", 3, False)
    assert data["answer"] == "Twelve hours." and data["steps"] == 2
    assert any("tier 3's verified answer stands" in line for line in data["explain"])
