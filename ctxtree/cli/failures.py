"""What a failed command prints and exits with, free of typer: the typer commands
(cli/errors.py `handled`) and the fast path (cli/fastpath.py) share it."""

from __future__ import annotations

import json
import os
import sys

from ctxtree.errors import CtxError, ExitCode


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


def exit_code(exc: BaseException, as_json: bool) -> int:
    """Report `exc`, raised by a command body, in one line and return its exit code:
    CtxError, OS errors, Ctrl-C and bugs alike, never a traceback (CTX_DEBUG=1 re-raises
    a bug to show one). Call it from an `except` block."""
    if isinstance(exc, CtxError):
        report(exc, as_json)
        return int(exc.exit_code)
    if isinstance(exc, KeyboardInterrupt):
        sys.stderr.write("ctx: interrupted; nothing was committed\n")
        return int(ExitCode.INTERRUPTED)
    if isinstance(exc, BrokenPipeError):
        # The reader went away (`ctx ls | head`): not an error worth a message.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        report(
            CtxError(f"{exc.strerror or exc}{where}", "check permissions and disk space"), as_json
        )
        return int(ExitCode.ERROR)
    if os.environ.get("CTX_DEBUG") or not isinstance(exc, Exception):
        raise exc
    report(
        CtxError(
            f"internal error: {type(exc).__name__}: {exc}",
            "a bug in ctxtree: rerun with CTX_DEBUG=1 for a traceback and report it",
        ),
        as_json,
    )
    return int(ExitCode.ERROR)
