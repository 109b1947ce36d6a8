"""Plain output: stdout carries data only; notes and warnings go to stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# `-q`: set by cli/errors.handled for the length of one command, read by note() and confirm().
_QUIET: ContextVar[bool] = ContextVar("ctx_quiet", default=False)


@contextmanager
def quiet(on: bool) -> Iterator[None]:
    """Within the block, notes and confirmations are not printed (errors and data are)."""
    token = _QUIET.set(on)
    try:
        yield
    finally:
        _QUIET.reset(token)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    """A diagnostic on stderr (counts, timings, hints); `-q` silences it."""
    if not _QUIET.get():
        sys.stderr.write(text + "\n")


def confirm(text: str) -> None:
    """A write's confirmation on stdout ("added a/b/c (3f2a1c9e01)"); `-q` silences it."""
    if not _QUIET.get():
        sys.stdout.write(text + "\n")


def warn(text: str) -> None:
    sys.stderr.write(f"ctx: warning: {text}\n")


def table(rows: Sequence[tuple[str, ...]], gap: int = 2) -> list[str]:
    """Left-aligned columns; the last column is not padded."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i] + gap) for i, cell in enumerate(row[:-1])]
        lines.append(("".join(cells) + row[-1]).rstrip())
    return lines
