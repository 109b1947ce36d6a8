""" "Did you mean ...?" for a mistyped entry id or prefix: one rule, used by every command.

The errors are built here so that show, related, blame, log, forget, edit, rm, ls, tree and
lint say the same thing; rapidfuzz loads only when an id was not found.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ctxtree.errors import NotFoundError

if TYPE_CHECKING:
    from ctxtree.tree.store import Store

LIST_HINT = "list entries with `ctx ls [PREFIX]`"
CUTOFF = 75  # rapidfuzz ratio (0-100): below it two ids are not the same id mistyped
SAME_LEAF = 90  # the right entry name in the wrong folder ("auth/tokens/rotation")


def closest(wanted: str, known: Iterable[str]) -> str | None:
    """The known id (or prefix) most like `wanted`: by rapidfuzz ratio of the whole id, with
    an id ending in the same segment scored at least SAME_LEAF; None when nothing reaches
    CUTOFF. Ties go to the smaller id, so the answer does not depend on listing order."""
    from rapidfuzz import fuzz

    leaf = wanted.rsplit("/", 1)[-1]
    best: tuple[float, str] | None = None
    for candidate in known:
        if candidate == wanted:
            continue
        score = fuzz.ratio(wanted, candidate)
        if "/" in wanted and candidate.rsplit("/", 1)[-1] == leaf:
            score = max(score, SAME_LEAF)
        if score >= CUTOFF and (best is None or (-score, candidate) < (-best[0], best[1])):
            best = (score, candidate)
    return best[1] if best else None


def did_you_mean(wanted: str, known: Iterable[str], otherwise: str = LIST_HINT) -> str:
    """A hint: "did you mean X?" for the closest known id, else `otherwise`."""
    match = closest(wanted, known)
    return f"did you mean {match}?" if match else otherwise


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
    return NotFoundError(
        message or f"no entry {entry_id!r}", did_you_mean(entry_id, entry_ids(store))
    )


def missing_prefix(store: Store, prefix: str) -> NotFoundError:
    """The error for a prefix under which there is nothing (`ctx ls auth/jw`)."""
    known = folders(store) | set(entry_ids(store))
    return NotFoundError(f"nothing under {prefix!r}", did_you_mean(prefix, known))
