"""The model layer: what ctxtree asks of a language model, whoever serves it.

Two providers (SPEC §6), both behind `Provider`:
- `library`: simonw's `llm` library (extra `ctxtree[llm]`), so the user's keys, aliases and
  plugins work as they already do;
- `command`: any program that reads a prompt on stdin and answers on stdout (`claude -p`,
  `codex exec -`, `ollama run MODEL`, `llm -m X`), with no dependency.

A conversation is a `Chat`: `send` one user turn (or the results of the tools the model asked
for) and get a `Reply` with text, tool calls and usage. Tools are described by `ToolSpec`s and
executed by the caller (tier 4's loop), never by the provider, so both providers behave alike:
the library provider uses the model's native tool calling, the command provider the JSON action
protocol of `ctxtree.llm.actions`.

Nothing here imports `llm`, `subprocess` users or any SDK at module level: `choose` only decides,
`open_provider` imports the one backend it needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ctxtree.config import LlmConfig
from ctxtree.errors import CtxError, ExitCode, UsageError

ENV_MODEL = "CTX_LLM_MODEL"
ENV_COMMAND = "CTX_LLM_COMMAND"

Backend = Literal["library", "command"]


class LlmError(CtxError):
    """A model could not be reached or did not answer usably (after bounded retries)."""

    exit_code = ExitCode.ERROR
    code = "llm"


class LlmMissingError(LlmError):
    """The chosen provider needs an extra that is not installed."""

    code = "llm_missing"


class LlmNotConfiguredError(LlmError):
    """A command needs a model and none is configured."""

    code = "llm_not_configured"


class LlmUnavailableError(LlmError):
    """The provider is unreachable, timed out, or failed on every attempt."""

    code = "llm_unavailable"


class LlmOutputError(LlmError):
    """The model answered, but not in the shape asked for (after correction rounds)."""

    code = "llm_output"


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call: its name, what it does, and a JSON schema of its arguments."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """The model asks for `name(**arguments)`; `id` pairs it with its result."""

    id: str
    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class ToolResult:
    """What the caller's tool returned for one `ToolCall`."""

    id: str
    name: str
    output: str


@dataclass(frozen=True)
class Usage:
    """Tokens (and cost, in US dollars) of one or more calls; None where the provider did not
    say. Adding two usages keeps None only where both are None."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    calls: int = 0

    def __add__(self, other: Usage) -> Usage:
        def plus(a: Any, b: Any) -> Any:
            return b if a is None else a if b is None else a + b

        return Usage(
            plus(self.input_tokens, other.input_tokens),
            plus(self.output_tokens, other.output_tokens),
            plus(self.cost_usd, other.cost_usd),
            self.calls + other.calls,
        )

    @property
    def total_tokens(self) -> int:
        return (self.input_tokens or 0) + (self.output_tokens or 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "calls": self.calls,
        }


@dataclass(frozen=True)
class Reply:
    """One model turn: its text, the tools it wants called (empty when it answered), what it
    cost, and how long the call took (seconds, retries included)."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0


class Chat(Protocol):
    """One conversation with a model. The system prompt and tools are fixed when it opens."""

    def send(self, text: str = "", tool_results: Sequence[ToolResult] = ()) -> Reply:
        """The model's reply to `text` (a user turn) and/or `tool_results` (answers to the
        tool calls of its previous reply). Raises LlmError after bounded retries."""
        ...


class Provider(Protocol):
    """A configured model: `name` says which (`command: claude -p`, `library: gpt-4o-mini`)."""

    name: str

    def chat(
        self,
        system: str,
        tools: Sequence[ToolSpec] = (),
        schema: Mapping[str, Any] | None = None,
    ) -> Chat:
        """A new conversation. `schema`, when given, is a JSON schema the final text must
        satisfy (providers that support structured output pass it on; the caller validates
        either way)."""
        ...


@dataclass(frozen=True)
class Choice:
    """Which provider to open and with what (`choose`'s answer): `target` is the model id or
    alias for `library`, the command line for `command`; `source` says where it was set
    (`flag`, `env`, `config`)."""

    backend: Backend
    target: str
    timeout_seconds: float
    retries: int
    source: str = ""

    @property
    def name(self) -> str:
        return f"{self.backend}: {self.target}"


def choose(
    settings: LlmConfig,
    env: Mapping[str, str],
    model: str | None = None,
    command: str | None = None,
) -> Choice | None:
    """The provider to use, or None when none is configured. Flags (`--model`, `--llm-command`)
    beat the environment (`CTX_LLM_MODEL`, `CTX_LLM_COMMAND`), which beats config.yaml
    (`llm.model`, `llm.command`); at each level a command beats a model. Two flags at once are a
    usage error. Pure: reads nothing but its arguments."""
    if model and command:
        raise UsageError(
            "--model and --llm-command both name a provider", "pass one of them, not both"
        )
    for source, level_command, level_model in (
        ("flag", command, model),
        ("env", env.get(ENV_COMMAND), env.get(ENV_MODEL)),
        ("config", settings.command, settings.model),
    ):
        if level_command and level_command.strip():
            return Choice(
                "command",
                level_command.strip(),
                settings.timeout_seconds,
                settings.retries,
                source,
            )
        if level_model and level_model.strip():
            return Choice(
                "library", level_model.strip(), settings.timeout_seconds, settings.retries, source
            )
    return None


NOT_CONFIGURED_HINT = (
    "configure one: `ctx config set llm.model MODEL` (an `llm` model id or alias; "
    "pip install 'ctxtree[llm]') or `ctx config set llm.command 'claude -p'` "
    "(any command reading the prompt on stdin); or pass --model / --llm-command"
)


def require(choice: Choice | None, purpose: str) -> Choice:
    """`choice`, or the error that says how to configure a model for `purpose`."""
    if choice is None:
        raise LlmNotConfiguredError(
            f"{purpose} needs a language model and none is configured", NOT_CONFIGURED_HINT
        )
    return choice


def open_provider(choice: Choice, stream: bool = False) -> Provider:
    """The provider `choice` names, importing only its backend. `stream` asks a library model
    to stream its replies (the command provider reads stdout to the end either way)."""
    if choice.backend == "command":
        from ctxtree.llm.command import CommandProvider

        return CommandProvider(choice.target, choice.timeout_seconds, choice.retries)
    from ctxtree.llm.library import LibraryProvider

    return LibraryProvider(choice.target, choice.timeout_seconds, choice.retries, stream)
