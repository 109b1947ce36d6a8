"""The one place that turns errors into output and exit codes."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer.core import TyperGroup

from ctxtree.errors import CtxError, ExitCode, UsageError

F = TypeVar("F", bound=Callable[..., Any])


def report(error: CtxError, as_json: bool) -> None:
    if as_json:
        payload = {
            "error": {
                "code": error.code,
                "exit": int(error.exit_code),
                "message": error.message,
                "hint": error.hint,
            }
        }
        if error.details:
            payload["error"]["details"] = list(error.details)
        sys.stderr.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    sys.stderr.write(f"ctx: error: {error.message}\n")
    for line in error.details:
        sys.stderr.write(f"  {line}\n")
    if error.hint:
        sys.stderr.write(f"  hint: {error.hint}\n")


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
        except CtxError as exc:
            report(exc, as_json)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            sys.stderr.write("ctx: interrupted; nothing was committed\n")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except BrokenPipeError:
            # The reader went away (`ctx ls | head`): not an error worth a message.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            report(
                CtxError(f"{exc.strerror or exc}{where}", "check permissions and disk space"),
                as_json,
            )
            raise typer.Exit(int(ExitCode.ERROR)) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if os.environ.get("CTX_DEBUG"):
                raise
            report(
                CtxError(
                    f"internal error: {type(exc).__name__}: {exc}",
                    "a bug in ctxtree: rerun with CTX_DEBUG=1 for a traceback and report it",
                ),
                as_json,
            )
            raise typer.Exit(int(ExitCode.ERROR)) from None

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
