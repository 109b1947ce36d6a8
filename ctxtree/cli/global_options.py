"""Global options: `--tree`, `--json` and `-q` work before the subcommand as after it.

`ctx --tree PATH status` is `ctx status --tree PATH`, as git and llm users expect. The root
callback records what came before the subcommand in the click context's `meta` (one dict
shared by the whole chain of contexts); `resolve` then hands it to the command's own
parameters. The same option in both places, or one the command does not take, is a usage
error: silently preferring one would hide a mistake in a script.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

import typer

from ctxtree.errors import UsageError

META = "ctx.global"
# parameter name -> how the user spells it (the name used in messages)
SPELLING = {"tree": "--tree", "json_out": "--json", "quiet": "-q"}
# root options that take a value: main() skips the value when it looks for the subcommand
VALUE_OPTIONS = ("--tree",)

QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Print only data and errors: no notes, counts or confirmations."
    ),
]


def record(ctx: typer.Context, given: Mapping[str, Any]) -> None:
    """Keep the global options given before the subcommand (None/False: not given)."""
    ctx.meta[META] = {name: value for name, value in given.items() if value}


def record_group(ctx: typer.Context, given: Mapping[str, Any]) -> None:
    """A group's own `--tree`/`--json` given before its subcommand (`ctx remote --json add`):
    added to what the root recorded, so the subcommand resolves them the same way."""
    ctx.meta[META] = {**ctx.meta.get(META, {}), **{k: v for k, v in given.items() if v}}


def quiet_option() -> Any:
    """`-q` for a command that does not declare it: every command accepts it after the
    subcommand too, without each signature repeating it. It reaches `resolve` as `quiet`."""
    from typer.core import TyperOption

    return TyperOption(
        param_decls=["--quiet", "-q", "quiet"],
        is_flag=True,
        default=False,
        help="Print only data and errors: no notes, counts or confirmations.",
    )


def _current() -> Any:
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # an older typer, which depends on click
        from click import get_current_context  # type: ignore[import-not-found,no-redef]
    return get_current_context(silent=True)


def given(name: str) -> bool:
    """Whether global option `name` was given before the subcommand of the running command."""
    context = _current()
    return context is not None and bool(context.meta.get(META, {}).get(name))


def _typed(context: Any, name: str) -> bool:
    """Whether the user typed option `name` after the subcommand (not just its default)."""
    source = context.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT", "PROMPT")


def resolve(accepts: Callable[[str], bool], kwargs: dict[str, Any]) -> dict[str, Any]:
    """`kwargs` of a command call with the global options given before the subcommand
    merged in. UsageError for one given twice or one the command does not take."""
    context = _current()
    if context is None:
        return kwargs
    given: dict[str, Any] = context.meta.get(META, {})
    command = context.command_path.split(" ", 1)
    where = " ".join(["ctx", *command[1:]])
    merged = dict(kwargs)
    for name, value in given.items():
        spelled = SPELLING[name]
        if not accepts(name):
            raise UsageError(
                f"`{where}` does not take {spelled}", f"see `{where} -h` for its options"
            )
        if _typed(context, name):
            raise UsageError(
                f"{spelled} given both before and after `{command[-1]}`", "give it once"
            )
        merged[name] = value
    return merged
