"""The command provider with real programs: small Python scripts that read the prompt on stdin,
answer on stdout, sleep, fail, or fail once (a counter file) and then answer."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from conftest import Ctx

from ctxtree.llm import Choice, LlmUnavailableError, ToolResult, ToolSpec, open_provider


def script(tmp_path: Path, name: str, body: str) -> str:
    """A command line running `body` as a Python script, with `sys` and `pathlib` imported and
    `prompt` read from stdin; every prompt it gets is appended to NAME.log beside it."""
    path = tmp_path / f"{name}.py"
    log = tmp_path / f"{name}.log"
    path.write_text(
        "import json, sys, time, pathlib\n"
        "prompt = sys.stdin.read()\n"
        f"with open({str(log)!r}, 'a') as log:\n"
        "    log.write(json.dumps(prompt) + '\\n')\n" + body,
        encoding="utf-8",
    )
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}"


def prompts(tmp_path: Path, name: str) -> list[str]:
    log = tmp_path / f"{name}.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def provider(command: str, timeout: float = 10, retries: int = 0):  # type: ignore[no-untyped-def]
    return open_provider(Choice("command", command, timeout, retries))


TOOLS = [
    ToolSpec("search", "Search the memory.", {"type": "object"}),
    ToolSpec("read", "Read one entry.", {"type": "object"}),
]

# Answers by how many "Tool results:" turns the prompt holds: search, then read, then answer.
THREE_STEPS = """
step = prompt.count("Tool results:")
if step == 0:
    print('{"tool_calls": [{"name": "search", "arguments": {"query": "rotation"}}]}')
elif step == 1:
    print('I will read it.\\n```json\\n{"tool_calls": [{"name": "read", "arguments": '
          '{"id": "auth/jwt"}}]}\\n```')
else:
    print("Tokens rotate hourly [auth/jwt].")
"""


def test_tool_use_over_three_steps_with_the_action_protocol(tmp_path: Path) -> None:
    chat = provider(script(tmp_path, "agent", THREE_STEPS)).chat("Answer.", tools=TOOLS)
    first = chat.send("How do tokens rotate?")
    assert [(c.id, c.name, dict(c.arguments)) for c in first.tool_calls] == [
        ("call-1", "search", {"query": "rotation"})
    ]
    second = chat.send(tool_results=[ToolResult("call-1", "search", "auth/jwt")])
    assert [(c.id, c.name, dict(c.arguments)) for c in second.tool_calls] == [
        ("call-2", "read", {"id": "auth/jwt"})
    ]
    third = chat.send(tool_results=[ToolResult("call-2", "read", "Rotate every hour.")])
    assert (third.text, third.tool_calls) == ("Tokens rotate hourly [auth/jwt].", ())
    seen = prompts(tmp_path, "agent")
    assert len(seen) == 3
    assert seen[0].startswith("Answer.\n\nYou can call tools.")
    assert seen[0].rstrip().endswith("How do tokens rotate?")
    # every turn replays the whole conversation to a fresh process
    assert "Rotate every hour." in seen[2] and '"query": "rotation"' in seen[2]
    assert (first.usage + second.usage + third.usage).calls == 3


def test_a_program_that_sleeps_times_out(tmp_path: Path) -> None:
    slow = script(tmp_path, "slow", "time.sleep(30)\nprint('late')\n")
    with pytest.raises(LlmUnavailableError) as caught:
        provider(slow, timeout=0.5).chat("S").send("hi")
    assert caught.value.message == f"llm.command {slow!r} gave no answer within 0.5 s (1 attempt)"
    assert "llm.timeout_seconds" in (caught.value.hint or "")


def test_a_failing_program_is_reported_with_its_stderr(tmp_path: Path) -> None:
    failing = script(tmp_path, "fail", "sys.stderr.write('quota exceeded\\n')\nsys.exit(3)\n")
    with pytest.raises(LlmUnavailableError) as caught:
        provider(failing, retries=1).chat("S").send("hi")
    assert caught.value.message == (
        f"llm.command {failing!r} exited 3: quota exceeded (2 attempts)"
    )
    assert len(prompts(tmp_path, "fail")) == 2


def test_empty_output_is_a_failure(tmp_path: Path) -> None:
    silent = script(tmp_path, "silent", "")
    with pytest.raises(LlmUnavailableError, match="answered nothing"):
        provider(silent).chat("S").send("hi")


def test_a_program_not_found(tmp_path: Path) -> None:
    with pytest.raises(LlmUnavailableError) as caught:
        provider(f"{tmp_path}/no-such-program --flag").chat("S").send("hi")
    assert caught.value.message == f"llm.command '{tmp_path}/no-such-program' was not found"


def test_retries_then_success(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    flaky = script(
        tmp_path,
        "flaky",
        f"counter = pathlib.Path({str(counter)!r})\n"
        "n = int(counter.read_text()) if counter.exists() else 0\n"
        "counter.write_text(str(n + 1))\n"
        "if n == 0:\n    sys.exit('busy')\n"
        "print('OK')\n",
    )
    reply = provider(flaky, retries=2).chat("S").send("hi")
    assert reply.text == "OK"
    assert counter.read_text() == "2"


def test_ctx_llm_test_with_a_command(ctx: Ctx, tmp_path: Path) -> None:
    echo = script(tmp_path, "ok", "print('OK')\n")
    report = json.loads(ctx.ok("llm", "test", "--llm-command", echo, "--json"))
    assert report["provider"] == f"command: {echo}"
    assert (report["answer"], report["followed"], report["source"]) == ("OK", True, "flag")
    assert report["usage"] == {
        "input_tokens": None,
        "output_tokens": None,
        "cost_usd": None,
        "calls": 1,
    }
    assert len(prompts(tmp_path, "ok")) == 1


def test_ctx_llm_test_with_a_failing_command(ctx: Ctx, tmp_path: Path) -> None:
    failing = script(tmp_path, "down", "sys.exit('connection refused by upstream')\n")
    ctx.ok("config", "set", "llm.retries", "0")
    ctx.env["CTX_LLM_COMMAND"] = failing
    run = ctx("llm", "test")
    assert run.code == 1
    assert run.stderr.splitlines()[0] == (
        f"ctx: error: llm.command {failing!r} exited 1: connection refused by upstream (1 attempt)"
    )
    assert "Traceback" not in run.stderr
