"""The one place that turns errors into output and exit codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer.core import TyperGroup

from ctxtree.cli.failures import exit_code, report
from ctxtree.errors import CtxError, ExitCode, UsageError

F = TypeVar("F", bound=Callable[..., Any])


def handled(func: F) -> F:
    """Run a command body; CtxError, OS errors, Ctrl-C and bugs become one line and an exit
    code, never a traceback (set CTX_DEBUG=1 to see one)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ctxtree.cli import global_options, output

        as_json = bool(kwargs.get("json_out")) or global_options.given("json_out")
        try:
            code = func.__code__
            params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
            kwargs = global_options.resolve(lambda name: name in params or name == "quiet", kwargs)
            as_json = bool(kwargs.get("json_out"))
            quiet = bool(kwargs.get("quiet")) if "quiet" in params else kwargs.pop("quiet", False)
            with output.quiet(bool(quiet)):
                return func(*args, **kwargs)
        except typer.Exit:
            raise
        except (Exception, KeyboardInterrupt) as exc:
            raise typer.Exit(exit_code(exc, as_json)) from None

    return wrapper  # type: ignore[return-value]


def _parser_errors() -> tuple[type[Exception], ...]:
    """click's UsageError: recent typer releases vendor click, older ones depend on it."""
    try:
        from typer._click.exceptions import UsageError as ClickUsageError
    except ImportError:  # an older typer
        from click.exceptions import UsageError as ClickUsageError  # type: ignore[import-not-found,no-redef,assignment]
    return (ClickUsageError,)


def _parser_error(exc: Any, argv: list[str]) -> typer.Exit:
    """Report a parser usage error in our format (one line and a hint; JSON with --json) and
    return the exit to raise. A bounded option names itself and its range."""
    ctx = getattr(exc, "ctx", None)
    path = str(ctx.command_path).split(" ", 1) if ctx is not None else []
    command = " ".join(["ctx", *path[1:]])  # whatever name the program was started under
    hint = f"see `{command} -h`"
    message = str(exc.format_message()).rstrip(".")
    param = getattr(exc, "param", None)
    low = getattr(getattr(param, "type", None), "min", None)
    high = getattr(getattr(param, "type", None), "max", None)
    if param is not None and isinstance(low, int) and isinstance(high, int):
        opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
        name = max(opts, key=len) if opts else str(param.human_readable_name).strip("[]")
        message = f"bad value for {name}: {str(exc.message).rstrip('.')}"
        hint = f"{name} takes a whole number from {low:,} to {high:,}; {hint}"
    report(UsageError(message, hint), _wants_json(argv))
    return typer.Exit(int(ExitCode.USAGE))


def _wants_json(argv: list[str]) -> bool:
    """--json anywhere before a `--` (the root's argv holds the whole command line)."""
    options = argv[: argv.index("--")] if "--" in argv else argv
    return "--json" in options


class Group(TyperGroup):
    """The app's command group: parser usage errors (a bad or missing option, argument or
    command) are reported like every other error, not in click's format (SPEC §5)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,
        **extra: Any,
    ) -> Any:
        # The root's argv is the whole command line: a nested group (`ctx --json import
        # transcript --bad`) judges --json by it, not by the arguments left for it.
        argv = list(parent.meta.get("ctx.argv", args) if parent is not None else args)
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except _parser_errors() as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                raise  # `ctx` alone prints the help
            raise _parser_error(exc, argv) from None
        except CtxError as exc:  # raised by an option's callback
            report(exc, _wants_json(argv))
            raise typer.Exit(int(exc.exit_code)) from None
        ctx.meta.setdefault("ctx.argv", argv)
        return ctx

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """A command, with `-q` added when it does not declare one (see global_options)."""
        from ctxtree.cli.global_options import quiet_option

        command = super().get_command(ctx, cmd_name)
        params: list[Any] = getattr(command, "params", [])
        if not isinstance(command, TyperGroup) and not any(p.name == "quiet" for p in params):
            params.append(quiet_option())
        return command

    def invoke(self, ctx: Any) -> Any:
        argv = list(ctx.meta.get("ctx.argv", []))
        try:
            return super().invoke(ctx)
        except _parser_errors() as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                raise
            raise _parser_error(exc, argv) from None
        except CtxError as exc:  # a subcommand's option callback (bodies report their own)
            report(exc, _wants_json(argv))
            raise typer.Exit(int(exc.exit_code)) from None
