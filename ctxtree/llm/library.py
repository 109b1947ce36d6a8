"""The library provider: simonw's `llm` (extra `ctxtree[llm]`), imported only when a model is
opened, so the user's keys, aliases, default model and plugins work as they do in `llm` itself.
Native tool calling where the model has it; the JSON action protocol where it does not."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from ctxtree.llm import (
    LlmMissingError,
    LlmUnavailableError,
    Reply,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
    actions,
)


def _import_llm() -> Any:
    try:
        import llm
    except ImportError:
        raise LlmMissingError(
            "llm.model needs the `llm` library, which is not installed",
            "pip install 'ctxtree[llm]' (or use llm.command with a program you have)",
        ) from None
    return llm


class LibraryChat:
    """An `llm` conversation: the library keeps the history and sends it on every turn."""

    def __init__(
        self,
        provider: LibraryProvider,
        system: str,
        tools: Sequence[ToolSpec],
        schema: Mapping[str, Any] | None,
    ) -> None:
        self.provider = provider
        self.native = bool(tools) and bool(getattr(provider.model, "supports_tools", False))
        self.schema = (
            dict(schema)
            if schema is not None and getattr(provider.model, "supports_schema", False)
            else None
        )
        self.system = system
        if tools and not self.native:
            self.system = f"{system}\n\n{actions.instructions(tools)}"
        self.tools = [
            provider.llm.Tool(
                name=tool.name,
                description=tool.description,
                input_schema=dict(tool.parameters),
                implementation=_never_called,
            )
            for tool in tools
        ]
        self.action_tools = bool(tools) and not self.native
        self.conversation = provider.model.conversation(tools=self.tools if self.native else None)
        self.calls = 0

    def send(self, text: str = "", tool_results: Sequence[ToolResult] = ()) -> Reply:
        llm = self.provider.llm
        options: dict[str, Any] = {"system": self.system}
        if self.schema is not None:
            options["schema"] = self.schema
        if tool_results and self.native:
            options["tool_results"] = [
                llm.ToolResult(name=r.name, output=r.output, tool_call_id=r.id)
                for r in tool_results
            ]
        elif tool_results:
            text = actions.results_turn(tool_results) + (f"\n\n{text}" if text else "")
        started = time.monotonic()
        response = self.provider.attempt(lambda: self._complete(text, options))
        answer, calls, usage = response
        if self.action_tools:
            calls = actions.parse_calls(answer, first_id=self.calls + 1)
        self.calls += len(calls)
        return Reply(answer, calls, usage, time.monotonic() - started)

    def _complete(
        self, text: str, options: dict[str, Any]
    ) -> tuple[str, tuple[ToolCall, ...], Usage]:
        response = self.conversation.prompt(text or None, stream=False, **options)
        answer = response.text()
        calls = tuple(
            ToolCall(call.tool_call_id or f"call-{self.calls + n}", call.name, call.arguments)
            for n, call in enumerate(response.tool_calls() if self.native else (), start=1)
        )
        used = response.usage()
        usage = Usage(used.input, used.output, None, 1)
        return answer, calls, usage


def _never_called(**arguments: Any) -> str:
    # Tier 4 executes tools itself (ctxtree.llm's contract); llm only relays the calls.
    raise RuntimeError("ctxtree executes tools itself")


class LibraryProvider:
    """The `llm` model `model_id` (an id or alias), with `timeout` seconds per attempt where the
    model takes one and `retries` more attempts after a failure."""

    def __init__(self, model_id: str, timeout: float, retries: int) -> None:
        self.llm = _import_llm()
        try:
            self.model = self.llm.get_model(model_id)
        except self.llm.UnknownModelError:
            raise LlmUnavailableError(
                f"llm knows no model {model_id!r}",
                "`llm models` lists them; `llm aliases set NAME MODEL` names one",
            ) from None
        self.name = f"library: {model_id}"
        self.timeout = timeout
        self.retries = retries

    def chat(
        self,
        system: str,
        tools: Sequence[ToolSpec] = (),
        schema: Mapping[str, Any] | None = None,
    ) -> LibraryChat:
        return LibraryChat(self, system, tools, schema)

    def attempt(self, call: Any) -> Any:
        """`call()`, retried `retries` times after an error; the last error is reported."""
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(0.25 * 2**attempt, 4))
            try:
                return call()
            except Exception as error:  # the library and its plugins raise their own types
                problem = f"{type(error).__name__}: {error}"
        raise LlmUnavailableError(
            f"{self.name} failed on {self.retries + 1} attempts ({problem[:300]})",
            "check the model's key and endpoint with `llm -m MODEL hello`",
        )
