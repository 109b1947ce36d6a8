"""The library provider (`llm` and its OpenAI plugin, for real) against the scripted server:
`ctx llm test` and `ctx llm status` through the CLI, and a tool-call round trip at the
provider level. Each test checks what the server saw."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Ctx
from llm_server import ScriptedServer, write_llm_user_dir

from ctxtree.llm import Choice, LlmUnavailableError, ToolResult, ToolSpec, open_provider


def _json(text: str) -> dict:
    return json.loads(text)


@pytest.mark.parametrize("stream", [False, True])
def test_llm_test_makes_one_call_and_reports_time_and_tokens(
    ctx: Ctx, llm_server: ScriptedServer, stream: bool
) -> None:
    llm_server.reply("OK")
    args = ["llm", "test", "--model", "ctx-test", "--json"] + (["--stream"] if stream else [])
    run = ctx(*args)
    assert run.code == 0, run.stderr
    report = _json(run.stdout)
    assert report["provider"] == "library: ctx-test"
    assert report["source"] == "flag"
    assert report["answer"] == "OK" and report["followed"] is True
    assert report["stream"] is stream
    assert report["open_seconds"] >= 0 and report["call_seconds"] >= 0
    assert report["usage"]["output_tokens"] == 1  # the server counts one word
    assert report["usage"]["input_tokens"] > 0
    assert report["usage"]["cost_usd"] is None  # the server reports no cost: none invented
    assert len(llm_server.requests) == 1
    assert bool(llm_server.requests[0].get("stream")) is stream
    assert "Reply with the single word OK" in llm_server.prompts()[0]


def test_llm_test_reports_the_cost_the_provider_gives(ctx: Ctx, llm_server: ScriptedServer) -> None:
    # An OpenRouter-style usage block carries `cost`; llm keeps it in the usage details.
    llm_server.reply({"text": "OK", "usage": {"cost": 0.000125}}, "OK")
    run = ctx("llm", "test", "--model", "ctx-test")
    assert run.code == 0, run.stderr
    lines = dict(line.split(None, 1) for line in run.stdout.splitlines())
    assert lines["provider"] == "library: ctx-test"
    assert lines["tokens"].endswith("in, 1 out")
    assert lines["cost"] == "$0.000125"
    assert lines["answer"] == "OK"
    run = ctx("llm", "test", "--model", "ctx-test")
    assert dict(line.split(None, 1) for line in run.stdout.splitlines())["cost"] == "not reported"


def test_config_and_environment_choose_the_model(ctx: Ctx, llm_server: ScriptedServer) -> None:
    ctx.ok("config", "set", "llm.model", "ctx-test")
    llm_server.reply("OK", "OK")
    assert _json(ctx.ok("llm", "test", "--json"))["source"] == "config"
    ctx.env["CTX_LLM_MODEL"] = "ctx-test-plain"
    report = _json(ctx.ok("llm", "test", "--json"))
    assert (report["source"], report["provider"]) == ("env", "library: ctx-test-plain")
    assert [r["model"] for r in llm_server.requests] == ["test-model", "test-model-plain"]


def test_http_500_is_retried_then_succeeds(ctx: Ctx, llm_server: ScriptedServer) -> None:
    llm_server.reply({"status": 500, "body": "overloaded"}, "OK")
    run = ctx("llm", "test", "--model", "ctx-test", "--json")
    assert run.code == 0, run.stderr
    assert _json(run.stdout)["answer"] == "OK"
    # our one retry, and no hidden retries inside the OpenAI client
    assert len(llm_server.requests) == 2


def test_http_500_on_every_attempt_fails_after_the_retries(
    ctx: Ctx, llm_server: ScriptedServer
) -> None:
    ctx.ok("config", "set", "llm.retries", "1")
    llm_server.reply({"status": 503, "body": "down for maintenance"}, repeat_last=True)
    run = ctx("llm", "test", "--model", "ctx-test")
    assert run.code == 1
    assert run.stderr.splitlines()[0] == (
        f"ctx: error: library: ctx-test failed on the server at {llm_server.base} "
        "(HTTP 503: down for maintenance), 2 attempts"
    )
    assert "Traceback" not in run.stderr
    assert len(llm_server.requests) == 2


def test_http_401_fails_at_once_with_a_clear_error(ctx: Ctx, llm_server: ScriptedServer) -> None:
    llm_server.reply({"status": 401, "body": "invalid api key"}, "OK")
    run = ctx("llm", "test", "--model", "ctx-test", "--json")
    assert run.code == 1
    assert run.stdout == ""
    error = _json(run.stderr)["error"]
    assert error["code"] == "llm_unavailable"
    assert error["message"] == (
        f"library: ctx-test refused the credentials at {llm_server.base} "
        "(HTTP 401: invalid api key)"
    )
    assert "llm keys set" in error["hint"]
    assert len(llm_server.requests) == 1  # no retry on 401


def test_http_429_is_retried(ctx: Ctx, llm_server: ScriptedServer) -> None:
    llm_server.reply({"status": 429, "body": "slow down"}, "OK")
    assert _json(ctx.ok("llm", "test", "--model", "ctx-test", "--json"))["answer"] == "OK"
    assert len(llm_server.requests) == 2


def test_http_400_is_not_retried(ctx: Ctx, llm_server: ScriptedServer) -> None:
    llm_server.reply({"status": 400, "body": "bad option"}, "OK")
    run = ctx("llm", "test", "--model", "ctx-test")
    assert run.code == 1
    assert "rejected the request" in run.stderr and "HTTP 400: bad option" in run.stderr
    assert len(llm_server.requests) == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_server_down_is_a_clear_error(ctx: Ctx) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/v1"
    write_llm_user_dir(Path(ctx.env["LLM_USER_PATH"]), base)
    ctx.ok("config", "set", "llm.retries", "0")
    run = ctx("llm", "test", "--model", "ctx-test")
    assert run.code == 1
    first, hint = run.stderr.splitlines()
    assert first.startswith(f"ctx: error: library: ctx-test could not be reached at {base} (")
    assert first.endswith(", 1 attempt")
    assert hint.startswith("  hint: is the server running")
    assert "Traceback" not in run.stderr


def test_a_slow_server_times_out_per_attempt(ctx: Ctx, llm_server: ScriptedServer) -> None:
    ctx.ok("config", "set", "llm.timeout_seconds", "1")
    ctx.ok("config", "set", "llm.retries", "0")
    llm_server.reply({"delay": 4, "text": "OK"})
    run = ctx("llm", "test", "--model", "ctx-test")
    assert run.code == 1
    assert run.stderr.splitlines()[0] == (
        f"ctx: error: library: ctx-test gave no answer in time at {llm_server.base}, 1 attempt"
    )
    assert len(llm_server.requests) == 1


def test_an_unknown_model_is_a_clear_error(ctx: Ctx, llm_server: ScriptedServer) -> None:
    run = ctx("llm", "test", "--model", "no-such-model")
    assert run.code == 1
    assert run.stderr.splitlines()[0] == "ctx: error: llm knows no model 'no-such-model'"
    assert llm_server.requests == []


def test_no_model_configured(ctx: Ctx) -> None:
    run = ctx("llm", "test")
    assert run.code == 1
    assert "ctx llm test needs a language model and none is configured" in run.stderr
    status = _json(ctx.ok("llm", "status", "--json"))
    assert status["configured"] is False and status["llm_installed"] is True


def test_both_flags_are_a_usage_error(ctx: Ctx) -> None:
    run = ctx("llm", "test", "--model", "m", "--llm-command", "cat")
    assert run.code == 2
    assert "--model and --llm-command both name a provider" in run.stderr


def test_status_says_where_the_choice_comes_from(ctx: Ctx, llm_server: ScriptedServer) -> None:
    ctx.ok("config", "set", "llm.command", "python3 -c pass")
    status = _json(ctx.ok("llm", "status", "--json"))
    assert (status["backend"], status["source"], status["target"]) == (
        "command",
        "config",
        "python3 -c pass",
    )
    assert status["program"] and status["program"].endswith("python3")
    status = _json(ctx.ok("llm", "status", "--model", "ctx-test", "--check", "--json"))
    assert (status["backend"], status["source"], status["checked"]) == ("library", "flag", "ok")
    assert status["remembered_plugin"] == ""  # extra-openai-models: the built-in plugin
    text = ctx.ok("llm", "status", "--model", "ctx-test")
    assert "plugin       built-in OpenAI plugin" in text
    assert llm_server.requests == []  # status never calls the model


def _python(ctx: Ctx, script: str) -> subprocess.CompletedProcess[str]:
    """`script` in a fresh interpreter, in `ctx`'s project and environment."""
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ctx.cwd,
        env={**os.environ, **ctx.env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_status_does_not_import_llm(ctx: Ctx) -> None:
    ctx.env["CTX_LLM_MODEL"] = "ctx-test"
    done = _python(
        ctx,
        "import sys\nfrom ctxtree.cli.app import main\n"
        "try:\n    main(['llm', 'status', '--json'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED' if 'llm' in sys.modules or 'openai' in sys.modules else 'CLEAN', "
        "file=sys.stderr)\n",
    )
    assert done.stderr.strip().splitlines()[-1] == "CLEAN", done.stderr
    assert json.loads(done.stdout)["target"] == "ctx-test"


def _provider(
    ctx: Ctx, monkeypatch: pytest.MonkeyPatch, model: str, stream: bool = False
) -> object:
    monkeypatch.setenv("LLM_USER_PATH", ctx.env["LLM_USER_PATH"])
    monkeypatch.setenv("XDG_CACHE_HOME", str(Path(ctx.env["HOME"]) / "cache"))
    return open_provider(Choice("library", model, 10, 0), stream=stream)


SEARCH = ToolSpec("search", "Search the memory.", {"type": "object", "properties": {}})


@pytest.mark.parametrize("stream", [False, True])
def test_native_tool_call_round_trip(
    ctx: Ctx, llm_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    llm_server.reply(
        {"tool_calls": [{"name": "search", "arguments": {"query": "jwt rotation"}}]},
        "Tokens rotate hourly [auth/jwt].",
    )
    provider = _provider(ctx, monkeypatch, "ctx-test", stream)
    chat = provider.chat("You answer from memory.", tools=[SEARCH])  # type: ignore[attr-defined]
    first = chat.send("How do tokens rotate?")
    assert [(c.name, dict(c.arguments)) for c in first.tool_calls] == [
        ("search", {"query": "jwt rotation"})
    ]
    call = first.tool_calls[0]
    final = chat.send(tool_results=[ToolResult(call.id, "search", "auth/jwt: hourly rotation")])
    assert final.text == "Tokens rotate hourly [auth/jwt]."
    assert final.tool_calls == ()
    assert [bool(r.get("stream")) for r in llm_server.requests] == [stream, stream]
    assert llm_server.requests[0]["tools"][0]["function"]["name"] == "search"
    second = llm_server.requests[1]["messages"]
    assert second[-1] == {
        "role": "tool",
        "tool_call_id": call.id,
        "content": "auth/jwt: hourly rotation",
    }
    assert (first.usage + final.usage).calls == 2


def test_action_protocol_for_a_model_without_native_tools(
    ctx: Ctx, llm_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm_server.reply(
        'Let me look.\n```json\n{"tool_calls": [{"name": "search", "arguments": {"q": "x"}}]}\n```',
        "Done.",
    )
    provider = _provider(ctx, monkeypatch, "ctx-test-plain")
    chat = provider.chat("System.", tools=[SEARCH])  # type: ignore[attr-defined]
    first = chat.send("Question?")
    assert [(c.id, c.name, dict(c.arguments)) for c in first.tool_calls] == [
        ("call-1", "search", {"q": "x"})
    ]
    final = chat.send(tool_results=[ToolResult("call-1", "search", "found x")])
    assert final.text == "Done."
    assert "tools" not in llm_server.requests[0]
    assert '"tool_calls"' in llm_server.prompts()[0]  # the protocol is in the system prompt
    assert "Tool results:" in llm_server.prompts()[1] and "found x" in llm_server.prompts()[1]


def test_a_timed_out_turn_does_not_join_the_conversation(
    ctx: Ctx, llm_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_USER_PATH", ctx.env["LLM_USER_PATH"])
    provider = open_provider(Choice("library", "ctx-test", 0.5, 0))
    llm_server.reply({"delay": 2, "text": "late"}, "on time")
    chat = provider.chat("System.")
    with pytest.raises(LlmUnavailableError, match="gave no answer in time"):
        chat.send("first")
    assert chat.send("second").text == "on time"
    messages = llm_server.requests[1]["messages"]
    assert [m["content"] for m in messages if m["role"] != "system"] == ["second"]


def test_a_missing_llm_extra_says_how_to_install_it(ctx: Ctx) -> None:
    # `llm` blocked in sys.modules: its import fails as it does where the extra is absent.
    done = _python(
        ctx,
        "import sys\nsys.modules['llm'] = None\nfrom ctxtree.cli.app import main\n"
        "main(['llm', 'test', '--model', 'ctx-test'])\n",
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "ctx: error: llm.model needs the `llm` library, which is not installed",
        "  hint: pip install 'ctxtree[llm]' (or use llm.command with a program you have)",
    ]
