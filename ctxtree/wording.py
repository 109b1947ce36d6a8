"""How messages read: "1 entry", "3 entries", "a long tit…", "did you mean X?".

On the lowest floor beside errors.py, because messages are worded on every floor (an id
error in tree/, a summary in curation/, a count in cli/)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")

ELLIPSIS = "…"
CUTOFF = 75  # rapidfuzz ratio (0-100): below it two names are not one name mistyped
SAME_LEAF = 90  # the right entry name in the wrong folder ("auth/tokens/rotation")

# Plurals that do not just add an "s".
_IRREGULAR = {"entry": "entries", "match": "matches", "id": "ids", "is": "are", "was": "were"}


def plural(n: int, word: str, many: str = "") -> str:
    """`n` and `word`, in the plural unless n is 1: plural(1, "entry") == "1 entry",
    plural(3, "entry") == "3 entries". `many` overrides the plural form."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {many or _IRREGULAR.get(word) or word + 's'}"


def shorten(text: str, width: int) -> str:
    """`text` in at most `width` characters: cut with an ellipsis when it is longer (at a
    word boundary when one falls in the last third), never mid-way without saying so."""
    if width < 1:
        return ""
    if len(text) <= width:
        return text
    head = text[: width - 1]
    whole_words = head.endswith(" ") or text[width - 1] == " "
    cut = head if whole_words or " " not in head else head.rsplit(" ", 1)[0]
    if len(cut) < (width - 1) * 2 // 3:
        cut = head
    return cut.rstrip(" ,;:-—") + ELLIPSIS


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


def did_you_mean(wanted: str, known: Iterable[str], otherwise: T) -> str | T:
    """A hint: "did you mean X?" for the closest known id, else `otherwise` (text, or the
    parts of a hint each front end spells: ctxtree.hints)."""
    match = closest(wanted, known)
    return f"did you mean {match}?" if match else otherwise
