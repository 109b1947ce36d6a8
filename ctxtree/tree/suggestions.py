""" "Did you mean ...?" for a mistyped entry id or prefix: one rule, used by every command.

The errors are built here so that show, related, blame, log, forget, edit, rm, ls, tree and
lint say the same thing; rapidfuzz loads only when an id was not found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ctxtree.errors import NotFoundError
from ctxtree.tree.paths import list_entries
from ctxtree.wording import did_you_mean

if TYPE_CHECKING:
    from ctxtree.hints import Text
    from ctxtree.tree.store import Store


def list_hint() -> Text:
    return ("list entries with `", list_entries(), "`")


def entry_ids(store: Store) -> list[str]:
    """Every entry id, current and archived."""
    ids = [entry_id for entry_id, _path in store.entry_paths()]
    return ids + [entry_id for entry_id, _path in store.entry_paths(area="archive")]


def folders(store: Store) -> set[str]:
    """Every folder prefix that holds an entry (domain, domain/topic, .../subtopic)."""
    found: set[str] = set()
    for entry_id in entry_ids(store):
        parts = entry_id.split("/")
        found.update("/".join(parts[:n]) for n in range(1, len(parts)))
    return found


def missing_entry(store: Store, entry_id: str, message: str = "") -> NotFoundError:
    """The error for an id that names no entry: `message` (default "no entry 'ID'") and a
    "did you mean" hint over the store's current and archived ids."""
    hint = did_you_mean(entry_id, entry_ids(store), list_hint())
    return NotFoundError(message or f"no entry {entry_id!r}", hint)


def missing_prefix(store: Store, prefix: str) -> NotFoundError:
    """The error for a prefix under which there is nothing (`ctx ls auth/jw`)."""
    known = folders(store) | set(entry_ids(store))
    return NotFoundError(f"nothing under {prefix!r}", did_you_mean(prefix, known, list_hint()))
