"""One error hierarchy: every failure the user can cause carries an exit code and a hint.

Messages and hints may name a parameter or a command. They do so with `Param`, `Call` and
`Hole` parts rather than spelled text, because the front ends spell them differently: the CLI
says `pass --allow-loss` and `ctx restore a/b/c`, the Python API `pass allow_loss=True` and
`memory.restore('a/b/c')`. An error reads as the CLI spells it unless the API re-spells it
(`for_python`), so CLI messages are what they always were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

Front = Literal["cli", "python"]


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


@dataclass(frozen=True)
class Param:
    """A parameter a message names: `--allow-loss` / `allow_loss=True`.

    `name` is the Python keyword; `example` a value to show (None: just the name, True: a
    switch); `flag` the CLI option when it is not `--name-with-dashes`; `cli_only` marks an
    option the Python API has no use for (it is left out of the Python spelling)."""

    name: str
    example: str | int | bool | None = None
    flag: str = ""
    cli_only: bool = False

    def spell(self, front: Front) -> str:
        if front == "python":
            if self.cli_only:
                return ""
            return self.name if self.example is None else f"{self.name}={self.example!r}"
        flag = self.flag or "--" + self.name.replace("_", "-")
        if self.example is None or self.example is True:
            return flag
        import shlex  # only an error being shown needs it

        value = self.example
        return f"{flag} {shlex.quote(value) if isinstance(value, str) else value}"


@dataclass(frozen=True)
class Hole:
    """A placeholder in a command: `NEW_ID` on the CLI, `new_id` in Python; `[PREFIX]` when
    optional."""

    name: str
    optional: bool = False

    def spell(self, front: Front) -> str:
        if front == "python":
            return self.name.lower()
        return f"[{self.name}]" if self.optional else self.name


@dataclass(frozen=True)
class Call:
    """A command a hint points to: `ctx restore a/b/c` / `memory.restore('a/b/c')`.

    `method` is the Python API's method for it (`Memory.init` for a class method); without
    one both front ends name the CLI command (it is installed with the package)."""

    command: str
    args: tuple[str | Param | Hole, ...] = ()
    method: str = ""

    def spell(self, front: Front) -> str:
        if front == "python" and self.method:
            words = [repr(a) if isinstance(a, str) else a.spell(front) for a in self.args]
            owner = "" if "." in self.method else "memory."  # Memory.init: a class method
            return f"{owner}{self.method}({', '.join(w for w in words if w)})"
        words = [a if isinstance(a, str) else a.spell("cli") for a in self.args]
        return " ".join(["ctx", self.command, *words])


@dataclass(frozen=True)
class Alt:
    """Wording that differs between the front ends beyond a name (how to choose the store:
    `--tree PATH` on the CLI, `Memory.open(path)` in Python)."""

    cli: str
    python: str

    def spell(self, front: Front) -> str:
        return self.python if front == "python" else self.cli


Part = str | Param | Hole | Call | Alt
Text = str | Sequence[Part]


def spell(text: Text, front: Front = "cli") -> str:
    """A message or hint as `front` writes it."""
    if isinstance(text, str):
        return text
    return "".join(p if isinstance(p, str) else p.spell(front) for p in text)


class CtxError(Exception):
    """Base class: a message naming the subject and a hint naming the next action. Both may
    be plain text or parts (see the module's docstring); `message` and `hint` are spelled
    for the CLI unless `for_python()` was called."""

    exit_code: ExitCode = ExitCode.ERROR
    code: str = "error"
    front: Front = "cli"

    def __init__(self, message: Text, hint: Text = "") -> None:
        super().__init__(spell(message))
        self._message = message
        self._hint = hint

    @property
    def message(self) -> str:
        return spell(self._message, self.front)

    @message.setter
    def message(self, value: Text) -> None:
        self._message = value

    @property
    def hint(self) -> str:
        return spell(self._hint, self.front)

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


class StoreError(CtxError):
    """The store or its git repository is missing, corrupt, or a git operation failed."""

    exit_code = ExitCode.STORE
    code = "store"
