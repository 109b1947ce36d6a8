"""The one place that turns errors into output and exit codes."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from ctxtree.errors import CtxError, ExitCode

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
        sys.stderr.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    sys.stderr.write(f"ctx: error: {error.message}\n")
    if error.hint:
        sys.stderr.write(f"  hint: {error.hint}\n")


def handled(func: F) -> F:
    """Run a command body; CtxError, OS errors, Ctrl-C and bugs become one line and an exit
    code, never a traceback (set CTX_DEBUG=1 to see one)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("json_out"))
        try:
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
