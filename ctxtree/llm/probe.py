"""`ctx llm status` and `ctx llm test`: what is configured, and one real call to prove it works.

`status` imports nothing of the provider unless asked to check the model; `test` opens the
provider (import and resolve, timed apart: that is the start-up cost every LLM command pays
before its first request) and makes one short call.
"""

from __future__ import annotations

import importlib.util
import shlex
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ctxtree.llm import Choice, Usage, open_provider, plugins

PROMPT = "Reply with the single word OK and nothing else."
SYSTEM = "You are a connectivity check. Follow the instruction exactly."
ANSWER_SHOWN = 200  # characters of the model's answer kept in the report


def _installed_version(distribution: str) -> str | None:
    """The version of an installed distribution, without importing it."""
    from importlib import metadata

    if importlib.util.find_spec(distribution) is None:
        return None
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


@dataclass(frozen=True)
class Status:
    """The provider that would be used and whether it can be: for `library`, whether the
    `llm` extra is installed and which plugin is remembered for the model; for `command`, the
    program found on PATH. `checked` is None unless the model was resolved on request."""

    choice: Choice | None
    llm_version: str | None
    program: str | None = None
    remembered_plugin: str | None = None
    checked: str | None = None  # "ok", or why resolving failed
    check_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        choice = self.choice
        return {
            "configured": choice is not None,
            "backend": choice.backend if choice else None,
            "target": choice.target if choice else None,
            "source": choice.source if choice else None,
            "provider": choice.name if choice else None,
            "timeout_seconds": choice.timeout_seconds if choice else None,
            "retries": choice.retries if choice else None,
            "llm_installed": self.llm_version is not None,
            "llm_version": self.llm_version,
            "program": self.program,
            "remembered_plugin": self.remembered_plugin,
            "checked": self.checked,
            "check_seconds": self.check_seconds,
        }


def status(choice: Choice | None, env: Mapping[str, str], check: bool = False) -> Status:
    """What `choice` amounts to here. With `check`, a library model is resolved (importing
    `llm` and its plugin) and a command's program looked up; no call is made."""
    version = _installed_version("llm")
    if choice is None:
        return Status(None, version)
    if choice.backend == "command":
        try:
            argv = shlex.split(choice.target)
        except ValueError:
            argv = []
        program = shutil.which(argv[0]) if argv else None
        return Status(choice, version, program=program)
    remembered = plugins.lookup(env, choice.target)
    if not check or version is None:
        return Status(choice, version, remembered_plugin=remembered)
    from ctxtree.llm import LlmError

    started = time.monotonic()
    try:
        open_provider(choice)
        checked = "ok"
    except LlmError as error:
        checked = error.message
    return Status(
        choice,
        version,
        remembered_plugin=plugins.lookup(env, choice.target),
        checked=checked,
        check_seconds=round(time.monotonic() - started, 3),
    )


@dataclass(frozen=True)
class Probe:
    """One real call: who answered, how long opening the provider took (import and resolve:
    the time before the first request), how long the call took, what it cost."""

    choice: Choice
    provider: str
    plugins: str | None
    stream: bool
    open_seconds: float
    call_seconds: float
    answer: str
    usage: Usage

    @property
    def followed(self) -> bool:
        return self.answer.strip().strip(".!").upper() == "OK"

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "backend": self.choice.backend,
            "source": self.choice.source,
            "plugins": self.plugins,
            "stream": self.stream,
            "open_seconds": round(self.open_seconds, 3),
            "call_seconds": round(self.call_seconds, 3),
            "answer": self.answer,
            "followed": self.followed,
            "usage": self.usage.to_dict(),
        }


def probe(
    choice: Choice, stream: bool = False, clock: Callable[[], float] = time.monotonic
) -> Probe:
    """Open `choice`'s provider and ask it for "OK" once. LlmError when it cannot answer."""
    started = clock()
    provider = open_provider(choice, stream=stream)
    opened = clock()
    reply = provider.chat(SYSTEM).send(PROMPT)
    done = clock()
    loading = getattr(provider, "loading", None)
    return Probe(
        choice,
        provider.name,
        loading.describe() if isinstance(loading, plugins.Loading) else None,
        stream and choice.backend == "library",
        opened - started,
        done - opened,
        reply.text[:ANSWER_SHOWN],
        reply.usage,
    )
