"""ctxtree: a git-versioned context tree, long-term memory for coding agents and terminal users.

The Python API is `Memory` (ctxtree/memory.py): `Memory.open(path)`, then `add`, `get`,
`search`, `context`, `apply`... Its errors are the classes exported here. Importing the package
loads nothing heavy: `Memory` is imported on first use, git and the tokenizer on the first call
that needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ctxtree.errors import (
    ConflictError,
    CtxError,
    ExitCode,
    InvalidEntryError,
    NotFoundError,
    StoreError,
    UsageError,
)
from ctxtree.version import __version__

if TYPE_CHECKING:
    from ctxtree.memory import Memory
    from ctxtree.service.plans import PlanError

__all__ = [
    "ConflictError",
    "CtxError",
    "ExitCode",
    "InvalidEntryError",
    "Memory",
    "NotFoundError",
    "PlanError",
    "StoreError",
    "UsageError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """`Memory` and `PlanError` load when first asked for, so `import ctxtree` stays cheap."""
    if name == "Memory":
        from ctxtree.memory import Memory

        return Memory
    if name == "PlanError":
        from ctxtree.service.plans import PlanError

        return PlanError
    raise AttributeError(f"module 'ctxtree' has no attribute {name!r}")
