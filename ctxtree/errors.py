"""One error hierarchy: every failure the user can cause carries an exit code and a hint.

A message or hint is text, or a sequence of parts that name parameters and commands
(ctxtree/hints.py): `message` and `hint` spell them as the CLI does (`--allow-loss`) unless
`for_python()` asked for the Python API's spelling (`allow_loss=True`). This module imports
nothing but enum: `import ctxtree` loads it.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctxtree.hints import Front, Text


class ExitCode(IntEnum):
    """Process exit codes (SPEC §5). Scripts and hooks branch on these."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    CONFLICT = 4
    INVALID = 5
    STORE = 6
    INTERRUPTED = 130


class CtxError(Exception):
    """Base class: a message naming the subject and a hint naming the next action. Both may
    be plain text or parts (see the module's docstring); `message` and `hint` are spelled
    for the CLI unless `for_python()` was called."""

    exit_code: ExitCode = ExitCode.ERROR
    code: str = "error"
    front: Front = "cli"

    def __init__(self, message: Text, hint: Text = "") -> None:
        super().__init__(message)
        self._message = message
        self._hint = hint
        # Lines that back the message up (e.g. every fact an edit would drop), printed under it.
        self.details: list[str] = []

    @property
    def message(self) -> str:
        return _spell(self._message, self.front)

    @message.setter
    def message(self, value: Text) -> None:
        self._message = value

    @property
    def hint(self) -> str:
        return _spell(self._hint, self.front)

    @hint.setter
    def hint(self, value: Text) -> None:
        self._hint = value

    def parts(self) -> tuple[Text, Text]:
        """The message and hint as given (unspelled), to build a wider hint around them."""
        return self._message, self._hint

    def for_python(self) -> CtxError:
        """This error spelled for the Python API (`allow_loss=True`, not `--allow-loss`)."""
        self.front = "python"
        return self

    def with_hint(self) -> str:
        """Message and hint on one line: `message (hint)`."""
        return self.message + (f" ({self.hint})" if self.hint else "")

    def __str__(self) -> str:
        return self.message


class UsageError(CtxError):
    """A bad argument or a combination that makes no sense (exit 2)."""

    exit_code = ExitCode.USAGE
    code = "usage"


class NotFoundError(CtxError):
    """No such entry, revision or file (exit 3)."""

    exit_code = ExitCode.NOT_FOUND
    code = "not_found"


class ConflictError(CtxError):
    """The store's state forbids it: the id is taken, another writer holds the lock (exit 4)."""

    exit_code = ExitCode.CONFLICT
    code = "conflict"


class InvalidEntryError(CtxError):
    """Bad ids, malformed frontmatter, oversized or binary content, secrets."""

    exit_code = ExitCode.INVALID
    code = "invalid"

    def __init__(self, message: Text, hint: Text = "", path: str = "", line: int = 0) -> None:
        super().__init__(message, hint)
        self.path = path
        self.line = line


def _spell(text: Text, front: Front) -> str:
    if isinstance(text, str):
        return text
    from ctxtree.hints import spell

    return spell(text, front)


class StoreError(CtxError):
    """The store or its git repository is missing, corrupt, or a git operation failed."""

    exit_code = ExitCode.STORE
    code = "store"
