"""How counts and long text read in messages: "1 entry", "3 entries", "a long tit…".

On the lowest floor beside errors.py, because messages are worded on every floor (an id
error in tree/, a summary in curation/, a count in cli/)."""

from __future__ import annotations

ELLIPSIS = "…"

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
