"""The library provider: simonw's `llm` (extra `ctxtree[llm]`), imported only when a model is
opened, so the user's keys, aliases, default model and plugins work as they do in `llm` itself.
Native tool calling where the model has it; the JSON action protocol where it does not.

Start-up: only the plugin that serves the model is loaded once it is known
(`ctxtree.llm.plugins`). Each attempt is bounded by `timeout` seconds: models built on `llm`'s
OpenAI client get the timeout and no retries of their own (the client would wait 600 s and
retry twice by default, multiplying ours); every attempt also runs in a worker thread with a
deadline, for plugins that take no timeout. Failures are classified once (`failure`): a refused
connection, a timeout, HTTP 429 and 5xx are retried with backoff; 401, 403, 404 and other 4xx
are reported at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ctxtree.llm import (
    LlmMissingError,
    LlmUnavailableError,
    Reply,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
    actions,
    plugins,
)

T = TypeVar("T")
GRACE = 1.0  # seconds the worker thread's deadline allows beyond the client's own timeout
MESSAGE_SHOWN = 200  # characters of a provider's error message quoted in ours


@dataclass(frozen=True)
class Failure:
    """One failed attempt, classified: what to tell the user, and whether to try again."""

    cause: str
    hint: str
    retry: bool


def _status(error: BaseException) -> int | None:
    for holder in (error, getattr(error, "response", None)):
        status = getattr(holder, "status_code", None)
        if isinstance(status, int):
            return status
    return None


def _said(error: BaseException) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        message = body.get("message") or (body.get("error") or {}).get("message")
        if isinstance(message, str) and message:
            return message[:MESSAGE_SHOWN]
    return str(error)[:MESSAGE_SHOWN]


def failure(error: BaseException, where: str) -> Failure:
    """Classify an exception from `llm` or a plugin's SDK (each raises its own types, so this
    reads what they share: an HTTP status, connection and timeout errors by name and cause).
    `where` names the endpoint when it is known."""
    at = f" at {where}" if where else ""
    kind = type(error).__name__
    status = _status(error)
    if kind == "NeedsKeyException":
        return Failure(f"has no API key ({error})", "set one with `llm keys set NAME`", False)
    if status in (401, 403):
        return Failure(
            f"refused the credentials{at} (HTTP {status}: {_said(error)})",
            "check the key: `llm keys set NAME` or the key's environment variable",
            False,
        )
    if status == 429:
        return Failure(
            f"is rate limited{at} (HTTP 429: {_said(error)})",
            "wait and try again, or raise llm.retries",
            True,
        )
    if status is not None and status >= 500:
        return Failure(
            f"failed on the server{at} (HTTP {status}: {_said(error)})",
            "the provider is failing; try again later",
            True,
        )
    if status is not None:
        return Failure(
            f"rejected the request{at} (HTTP {status}: {_said(error)})",
            "check the model name and its options with `llm -m MODEL hello`",
            False,
        )
    if isinstance(error, TimeoutError) or "Timeout" in kind:
        return Failure(
            f"gave no answer in time{at}", "raise llm.timeout_seconds if it is only slow", True
        )
    if isinstance(error, ConnectionError | OSError) or "Connection" in kind:
        root = error.__cause__ or error.__context__ or error
        return Failure(
            f"could not be reached{at} ({str(root)[:MESSAGE_SHOWN] or kind})",
            "is the server running and the address right? `llm -m MODEL hello` shows the same",
            True,
        )
    said = str(error)[:MESSAGE_SHOWN]
    if "context window" in said or "context length" in said or "maximum context" in said:
        return Failure(
            f"cannot take a prompt this long ({kind}: {said})",
            "use a model with a larger context window, or a smaller --budget",
            False,
        )
    # Anything else (a local model's ValueError, a plugin's own bug) is not transient: asking
    # again would fail the same way, slower.
    return Failure(f"failed ({kind}: {said})", "run `llm -m MODEL hello`", False)


def _never_called(**arguments: Any) -> str:
    # Tier 4 executes tools itself (ctxtree.llm's contract); llm only relays the calls.
    raise RuntimeError("ctxtree executes tools itself")


def _cost(details: Any) -> float | None:
    """The cost the provider reported in its usage details (OpenRouter sends `cost`), or None:
    prices are never guessed."""
    if isinstance(details, Mapping):
        cost = details.get("cost")
        if isinstance(cost, int | float) and not isinstance(cost, bool):
            return float(cost)
    return None


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
        answer, calls, usage = self.provider.attempt(lambda: self._complete(text, options))
        if self.action_tools:
            calls = actions.parse_calls(answer, first_id=self.calls + 1)
        self.calls += len(calls)
        return Reply(answer, calls, usage, time.monotonic() - started)

    def _complete(
        self, text: str, options: dict[str, Any]
    ) -> tuple[str, tuple[ToolCall, ...], Usage]:
        response = self.conversation.prompt(text or None, stream=self.provider.stream, **options)

        def run() -> tuple[str, tuple[ToolCall, ...], Usage]:
            answer = response.text()
            calls = tuple(
                ToolCall(call.tool_call_id or f"call-{self.calls + n}", call.name, call.arguments)
                for n, call in enumerate(response.tool_calls() if self.native else (), start=1)
            )
            used = response.usage()
            return answer, calls, Usage(used.input, used.output, _cost(used.details), 1)

        def abandon() -> None:
            # A call that ends after its deadline must not join the conversation: llm records
            # a response in its conversation when it completes, unless it has none.
            response.conversation = None

        return self.provider.within_deadline(run, abandon)


class LibraryProvider:
    """The `llm` model `model_id` (an id or alias), `timeout` seconds per attempt, `retries`
    more attempts after a failure that may pass; `stream` asks the model to stream (the reply
    is the same; some servers answer sooner or only that way)."""

    def __init__(self, model_id: str, timeout: float, retries: int, stream: bool = False) -> None:
        try:
            self.llm, self.loading = plugins.import_llm(model_id)
        except ImportError:
            raise LlmMissingError(
                "llm.model needs the `llm` library, which is not installed",
                "pip install 'ctxtree[llm]' (or use llm.command with a program you have)",
            ) from None
        self.model = self._resolve(model_id)
        self.name = f"library: {model_id}"
        self.timeout = timeout
        self.retries = retries
        self.stream = stream
        self.endpoint = str(getattr(self.model, "api_base", "") or "")
        self._bound_client()

    def _resolve(self, model_id: str) -> Any:
        """The model, loading every plugin if the remembered one no longer serves it; what
        served it is remembered for the next start."""
        import os

        try:
            model = self.llm.get_model(model_id)
        except self.llm.UnknownModelError:
            if self.loading.plugins is None or self.loading.by == "user":
                raise self._unknown(model_id) from None
            self.loading = plugins.load_all(self.llm)
            try:
                model = self.llm.get_model(model_id)
            except self.llm.UnknownModelError:
                raise self._unknown(model_id) from None
        if self.loading.plugins is None:
            owner = plugins.distribution_of(self.llm, model)
            if owner is not None:
                plugins.remember(os.environ, model_id, owner)
        return model

    def _unknown(self, model_id: str) -> LlmUnavailableError:
        only = (
            f" (LLM_LOAD_PLUGINS={self.loading.plugins!r} limits the plugins loaded)"
            if self.loading.by == "user"
            else ""
        )
        return LlmUnavailableError(
            f"llm knows no model {model_id!r}{only}",
            "`llm models` lists them; `llm aliases set NAME MODEL` names one",
        )

    def _bound_client(self) -> None:
        """Models on `llm`'s OpenAI client (the built-in plugin, extra-openai-models.yaml, and
        plugins that subclass it) get our timeout and no retries of the client's own."""
        original = getattr(self.model, "get_client", None)
        if not callable(original):
            return
        timeout = self.timeout

        def get_client(*args: Any, **kwargs: Any) -> Any:
            client = original(*args, **kwargs)
            with_options = getattr(client, "with_options", None)
            return (
                with_options(timeout=timeout, max_retries=0) if callable(with_options) else client
            )

        self.model.get_client = get_client

    def chat(
        self,
        system: str,
        tools: Sequence[ToolSpec] = (),
        schema: Mapping[str, Any] | None = None,
    ) -> LibraryChat:
        return LibraryChat(self, system, tools, schema)

    def within_deadline(self, run: Callable[[], T], abandon: Callable[[], None]) -> T:
        """`run()` in a daemon thread, waited for `timeout` (+ a grace) seconds. A call still
        running then is abandoned (`abandon()`), left to end on its own, and reported as a
        timeout; a daemon thread does not hold the process open."""
        outcome: list[Any] = []

        def work() -> None:
            try:
                outcome.append((True, run()))
            except BaseException as error:  # re-raised in the caller's thread
                outcome.append((False, error))

        worker = threading.Thread(target=work, name="ctx-llm-call", daemon=True)
        worker.start()
        worker.join(self.timeout + GRACE)
        if not outcome:
            abandon()
            raise TimeoutError(f"no answer within {self.timeout:g} s")
        ok, value = outcome[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def attempt(self, call: Callable[[], T]) -> T:
        """`call()`, tried again up to `retries` times after a failure that may pass, with a
        growing pause (0.5, 1, 2 ... 8 s); the last failure is reported."""
        problem: Failure | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(0.5 * 2 ** (attempt - 1), 8))
            try:
                return call()
            except Exception as error:  # the library and its plugins raise their own types
                problem = failure(error, self.endpoint)
                if not problem.retry:
                    raise LlmUnavailableError(
                        f"{self.name} {problem.cause}", problem.hint
                    ) from None
        assert problem is not None
        tries = self.retries + 1
        raise LlmUnavailableError(
            f"{self.name} {problem.cause}, {tries} attempt{'s' if tries > 1 else ''}",
            problem.hint,
        )
