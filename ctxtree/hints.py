"""Words in messages and hints that each front end spells its own way.

A message or hint may name a parameter or a command. It does so with `Param`, `Call`, `Hole`
and `Alt` parts rather than spelled text, because the front ends spell them differently: the
CLI says `pass --allow-loss` and `ctx restore a/b/c`, the Python API `pass allow_loss=True` and
`memory.restore('a/b/c')`. ctxtree.errors spells an error for the CLI unless the API asks for
Python (`CtxError.for_python`).

Kept apart from ctxtree.errors so that `import ctxtree` (which loads the error classes) does not
pay for dataclasses: only a module that raises such an error imports this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Front = Literal["cli", "python"]


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

    `method` is the Python API's method for it; without one both front ends name the CLI
    command (it is installed with the package)."""

    command: str
    args: tuple[str | Param | Hole, ...] = ()
    method: str = ""

    def spell(self, front: Front) -> str:
        if front == "python" and self.method:
            words = [repr(a) if isinstance(a, str) else a.spell(front) for a in self.args]
            return f"memory.{self.method}({', '.join(w for w in words if w)})"
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
