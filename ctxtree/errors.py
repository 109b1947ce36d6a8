"""One error hierarchy: every failure the user can cause carries an exit code and a hint."""

from __future__ import annotations

from enum import IntEnum


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
    """Base class: a message naming the subject and a hint naming the next action."""

    exit_code: ExitCode = ExitCode.ERROR
    code: str = "error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Lines that back the message up (e.g. every fact an edit would drop), printed under it.
        self.details: list[str] = []


class UsageError(CtxError):
    exit_code = ExitCode.USAGE
    code = "usage"


class NotFoundError(CtxError):
    exit_code = ExitCode.NOT_FOUND
    code = "not_found"


class ConflictError(CtxError):
    exit_code = ExitCode.CONFLICT
    code = "conflict"


class InvalidEntryError(CtxError):
    """Bad ids, malformed frontmatter, oversized or binary content, secrets."""

    exit_code = ExitCode.INVALID
    code = "invalid"

    def __init__(self, message: str, hint: str = "", path: str = "", line: int = 0) -> None:
        super().__init__(message, hint)
        self.path = path
        self.line = line


class StoreError(CtxError):
    """The store or its git repository is missing, corrupt, or a git operation failed."""

    exit_code = ExitCode.STORE
    code = "store"
