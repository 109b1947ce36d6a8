"""The command provider: any program that reads a prompt on stdin and answers on stdout
(`claude -p`, `codex exec -`, `ollama run MODEL`, `llm -m X`). No dependency, no state: every
turn sends the whole conversation, rendered as text, to a fresh process. Tools go through the
JSON action protocol (`ctxtree.llm.actions`)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ctxtree.llm import (
    LlmUnavailableError,
    Reply,
    ToolResult,
    ToolSpec,
    Usage,
    actions,
)

MAX_ANSWER = 4 * 1024 * 1024  # bytes of stdout kept; a runaway program is cut, not buffered
STDERR_SHOWN = 300  # characters of a failed program's stderr quoted in the error


class CommandChat:
    """A conversation kept here and replayed to the program on every turn."""

    def __init__(
        self,
        provider: CommandProvider,
        system: str,
        tools: Sequence[ToolSpec],
        schema: Mapping[str, Any] | None,
    ) -> None:
        self.provider = provider
        self.tools = tuple(tools)
        parts = [system.strip()]
        if schema is not None:
            parts.append(
                "Your final answer must be one JSON value matching this JSON schema, with no "
                f"other text:\n{json.dumps(schema, sort_keys=True, ensure_ascii=False)}"
            )
        if self.tools:
            parts.append(actions.instructions(self.tools))
        self.system = "\n\n".join(part for part in parts if part)
        self.turns: list[tuple[str, str]] = []  # (role, text)
        self.calls = 0

    def send(self, text: str = "", tool_results: Sequence[ToolResult] = ()) -> Reply:
        if tool_results:
            self.turns.append(("user", actions.results_turn(tool_results)))
        if text:
            self.turns.append(("user", text))
        started = time.monotonic()
        answer = self.provider.run(self.render())
        self.turns.append(("assistant", answer))
        calls = actions.parse_calls(answer, first_id=self.calls + 1) if self.tools else ()
        self.calls += len(calls)
        return Reply(answer, calls, Usage(calls=1), time.monotonic() - started)

    def render(self) -> str:
        """The prompt for the next turn: the instructions, then the conversation so far. A
        first turn is the instructions and the user's text alone, so a plain `llm -m X` or
        `ollama run` sees an ordinary prompt."""
        if len(self.turns) == 1:
            return f"{self.system}\n\n{self.turns[0][1]}".strip() + "\n"
        lines = [self.system, "", "The conversation so far:"]
        for role, text in self.turns:
            lines += ["", f"### {'You' if role == 'assistant' else 'User'}", text]
        lines += ["", "Reply with your next message only."]
        return "\n".join(lines).strip() + "\n"


class CommandProvider:
    """`command` run as an argument list (shlex, no shell), `timeout` seconds per attempt,
    `retries` more attempts after a failure or timeout, with a short growing pause."""

    def __init__(self, command: str, timeout: float, retries: int) -> None:
        try:
            self.argv = shlex.split(command)
        except ValueError as error:
            raise LlmUnavailableError(
                f"llm.command {command!r} is not a valid command line ({error})",
                "quote it as a shell would, e.g. ctx config set llm.command 'ollama run llama3'",
            ) from None
        if not self.argv:
            raise LlmUnavailableError(
                "llm.command is empty", "ctx config set llm.command 'claude -p'"
            )
        self.command = command
        self.name = f"command: {command}"
        self.timeout = timeout
        self.retries = retries

    def chat(
        self,
        system: str,
        tools: Sequence[ToolSpec] = (),
        schema: Mapping[str, Any] | None = None,
    ) -> CommandChat:
        return CommandChat(self, system, tools, schema)

    def run(self, prompt: str) -> str:
        """The program's answer to `prompt`, after at most 1 + retries attempts."""
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(0.25 * 2**attempt, 4))
            try:
                done = subprocess.run(
                    self.argv,
                    input=prompt.encode("utf-8"),
                    capture_output=True,
                    timeout=self.timeout,
                    env={**os.environ, "CTX_LLM_CALL": "1"},
                    check=False,
                )
            except FileNotFoundError:
                raise LlmUnavailableError(
                    f"llm.command {self.argv[0]!r} was not found",
                    "install it or point llm.command at a program on PATH",
                ) from None
            except PermissionError:
                raise LlmUnavailableError(
                    f"llm.command {self.argv[0]!r} is not executable", "check its permissions"
                ) from None
            except subprocess.TimeoutExpired:
                problem = f"gave no answer within {self.timeout:g} s"
                continue
            answer = done.stdout[:MAX_ANSWER].decode("utf-8", "replace").strip()
            if done.returncode == 0 and answer:
                return answer
            said = done.stderr.decode("utf-8", "replace").strip()[-STDERR_SHOWN:]
            problem = (
                f"exited {done.returncode}" + (f": {said}" if said else "")
                if done.returncode
                else "answered nothing"
            )
        raise LlmUnavailableError(
            f"llm.command {self.command!r} {problem} "
            f"({self.retries + 1} attempt{'s' if self.retries else ''})",
            "run it by hand with a prompt on stdin to see why; raise llm.timeout_seconds "
            "if it is only slow",
        )
