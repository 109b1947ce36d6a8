"""`ctx llm status|test`: which language model ctxtree would use, and one call to prove it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import CommandOpt, JsonOpt, ModelOpt, TreeOpt
from ctxtree.cli.output import emit_json, note, out, table

if TYPE_CHECKING:
    from ctxtree.config import LlmConfig
    from ctxtree.llm import Choice

llm_app = typer.Typer(
    help="The language model behind `ctx query` (tiers 3-4) and `ctx curate`: an `llm` "
    "library model (llm.model) or a command reading the prompt on stdin (llm.command). Nothing "
    "else needs one.\n\n\b\nExamples:\n  ctx llm status\n  ctx llm test --model gpt-4o-mini\n"
    "  ctx llm test --llm-command 'claude -p'",
    rich_markup_mode=None,
    no_args_is_help=True,
)


def _settings(tree: str | None) -> tuple[LlmConfig, str]:
    """The store's llm settings and where they came from; the defaults when no store is found
    (a model can be chosen by flag or environment alone). A --tree that names no store is an
    error."""
    from ctxtree.config import LlmConfig
    from ctxtree.errors import StoreError
    from ctxtree.service.session import open_session

    try:
        session = open_session(tree)
    except StoreError:
        if tree or os.environ.get("CTX_TREE"):
            raise
        return LlmConfig(), "no store found: defaults"
    return session.settings.llm, str(session.store.root / "config.yaml")


def _choice(tree: str | None, model: str | None, command: str | None) -> tuple[Choice | None, str]:
    from ctxtree.llm import choose

    settings, where = _settings(tree)
    return choose(settings, os.environ, model=model, command=command), where


SOURCES = {
    "flag": "command-line flag",
    "env": "environment (CTX_LLM_COMMAND / CTX_LLM_MODEL)",
    "config": "config.yaml",
}


@llm_app.command("status")
@handled
def status(
    model: ModelOpt = None,
    llm_command: CommandOpt = None,
    check: Annotated[
        bool, typer.Option("--check", help="Also resolve the model (imports `llm`); no call.")
    ] = False,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Which provider is configured and from where (flag, environment, config.yaml), and
    whether it can run here: the `llm` extra for a model, the program for a command. Makes no
    call and does not import `llm` unless --check.

    \b
    Examples:
      ctx llm status
      ctx llm status --check --json
    """
    from ctxtree.llm import NOT_CONFIGURED_HINT, probe

    choice, where = _choice(tree, model, llm_command)
    found = probe.status(choice, os.environ, check=check)
    if json_out:
        emit_json({**found.to_dict(), "config": where})
        return
    if choice is None:
        out("provider: none configured")
        out(f"llm library: {found.llm_version or 'not installed'}")
        note(f"hint: {NOT_CONFIGURED_HINT}")
        return
    rows = [
        ("provider", choice.name),
        ("set by", SOURCES.get(choice.source, choice.source)),
        ("config", where),
        ("limits", f"{choice.timeout_seconds:g} s per attempt, {choice.retries} retries"),
    ]
    if choice.backend == "command":
        rows.append(("program", found.program or "not found on PATH"))
    else:
        rows.append(("llm library", found.llm_version or "not installed"))
        if found.remembered_plugin is not None:
            rows.append(("plugin", found.remembered_plugin or "built-in OpenAI plugin"))
        if found.checked is not None:
            rows.append(("model", f"{found.checked} ({found.check_seconds:.2f} s to resolve)"))
    for line in table(rows):
        out(line)
    if choice.backend == "library" and found.llm_version is None:
        note("hint: pip install 'ctxtree[llm]', or use llm.command with a program you have")


@llm_app.command("test")
@handled
def test(
    model: ModelOpt = None,
    llm_command: CommandOpt = None,
    stream: Annotated[
        bool, typer.Option("--stream", help="Ask an `llm` model to stream its reply.")
    ] = False,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Make one real call ("reply with OK") and report the provider, the time to open it
    (import and resolve: what every LLM command pays before its first request), the call's
    time, and the tokens and cost the provider reported. Exit 1 with the cause when it cannot
    be reached.

    \b
    Examples:
      ctx llm test
      ctx llm test --model claude-haiku --json
      ctx llm test --llm-command 'ollama run llama3.2'
    """
    from ctxtree.llm import probe, require

    choice = require(_choice(tree, model, llm_command)[0], "ctx llm test")
    result = probe.probe(choice, stream=stream)
    if json_out:
        emit_json(result.to_dict())
        return
    used = result.usage
    rows = [
        ("provider", result.provider),
        ("set by", SOURCES.get(choice.source, choice.source)),
        ("open", f"{result.open_seconds:.2f} s (import and resolve)"),
        ("call", f"{result.call_seconds:.2f} s" + (" (streamed)" if result.stream else "")),
        ("tokens", _tokens(used.input_tokens, used.output_tokens)),
        ("cost", "not reported" if used.cost_usd is None else f"${used.cost_usd:.6f}"),
        ("answer", result.answer.replace("\n", " ")),
    ]
    if result.plugins is not None:
        rows.insert(2, ("plugins", result.plugins))
    for line in table(rows):
        out(line)
    if not result.followed:
        note("note: the model answered, but not with the OK it was asked for")


def _tokens(given: int | None, taken: int | None) -> str:
    if given is None and taken is None:
        return "not reported"
    return f"{'?' if given is None else given} in, {'?' if taken is None else taken} out"


def register(app: typer.Typer) -> None:
    from ctxtree.cli.errors import Group

    app.add_typer(llm_app, name="llm", cls=Group)
