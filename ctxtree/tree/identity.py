"""Canonical identity: the forms of one identifier that people write differently.

`ALICE@ACME.IO` and `alice@acme.io` are one email; `123-45-6789`, `123 45 6789` and
`123456789` one number; `王小明` and `Wang Xiaoming` one name. Search indexes the canonical
forms beside the words (retrieval/tokenize.py) and `ctx forget --matching` selects every entry
holding any form of an identifier the request names (service/matching.py).

Rules, each a pure function of the text:
- text is NFKC-normalised and case-folded first (full-width digits and letters become ASCII);
- an email is `local@domain.tld`, kept whole and case-folded;
- a handle is `@name` not preceded by a word character (so not an email's domain);
- a number is a run of digits split by single separators people use in phone, ID and card
  numbers (space, `-`, `.`, `/`, a `(area)` group, a leading `+country`), 7 to 19 digits in all
  (shorter is a count or a year, longer is not a personal number); ISO dates are not numbers.
  Its canonical form is the digits alone; a `+`-prefixed number of more than 10 digits also
  has its last 10 (the national form people write without the country code);
- a name in a non-Latin script is transliterated to ASCII syllables with `anyascii` (the
  optional `ctxtree[names]` extra, ISC, pure Python, per-block data loaded on first use) and
  its keys are the concatenations of 2 to 4 consecutive syllables (`wangxiao`, `xiaoming`,
  `wangxiaoming`), so a Latin spelling written as one or two words in either order meets it
  (see `latin_name_keys`). Without the extra, non-Latin names have no transliterated form.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

MIN_DIGITS = 7
MAX_DIGITS = 19
NATIONAL_DIGITS = 10
MAX_NAME_SYLLABLES = 4
MAX_NAME_WORDS = 3
MAX_NAME_CHARS = 4  # a query's non-Latin run this short is taken as a name

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.ASCII)
_HANDLE = re.compile(r"(?<![\w.@])@([a-z0-9_][a-z0-9_.-]*[a-z0-9_]|[a-z0-9_])", re.ASCII)
_NUMBER = re.compile(
    r"(?<![\w+])(\+)?(?:\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d+(?:[ .\-/]\d+)*(?!\w)", re.ASCII
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")
_LATIN_WORD = re.compile(r"[a-z]+")
_SYLLABLE = re.compile(r"[A-Z][a-z]*|[a-z]+")


@dataclass(frozen=True)
class Identifier:
    """One identifier found in text: `kind` (email, handle, number, name), the text as
    written, and its canonical keys (any shared key means the same identifier)."""

    kind: str
    raw: str
    keys: tuple[str, ...]

    @property
    def canonical(self) -> str:
        return self.keys[0]


def normalize(text: str) -> str:
    """NFKC and case-fold: the form every comparison starts from."""
    return unicodedata.normalize("NFKC", text).casefold()


def number_keys(raw: str) -> tuple[str, ...]:
    """The canonical forms of a number as written, or () if it is not an identifier-like
    number (too few or too many digits, or an ISO date)."""
    raw = normalize(raw).strip()
    if _ISO_DATE.fullmatch(raw):
        return ()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return ()
    if raw.startswith("+") and len(digits) > NATIONAL_DIGITS:
        return (digits, digits[-NATIONAL_DIGITS:])
    return (digits,)


def numbers(text: str) -> list[Identifier]:
    folded = normalize(text)
    found = []
    for match in _NUMBER.finditer(folded):
        keys = number_keys(match.group(0))
        if keys:
            found.append(Identifier("number", match.group(0), keys))
    return found


def replace_numbers(text: str) -> str:
    """`text` (normalised) with each identifier-like number written as its canonical keys."""

    def canonical(match: re.Match[str]) -> str:
        keys = number_keys(match.group(0))
        return " ".join(keys) if keys else match.group(0)

    return _NUMBER.sub(
        canonical, _EMAIL.sub(lambda m: m.group(0).replace(".", " "), normalize(text))
    )


def emails(text: str) -> list[Identifier]:
    return [
        Identifier("email", m.group(0), (m.group(0),)) for m in _EMAIL.finditer(normalize(text))
    ]


def handles(text: str) -> list[Identifier]:
    return [
        Identifier("handle", m.group(0), ("@" + m.group(1),))
        for m in _HANDLE.finditer(normalize(text))
    ]


@cache
def _anyascii() -> object | None:
    try:
        from anyascii import anyascii  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return anyascii  # type: ignore[no-any-return,unused-ignore]


def transliteration_available() -> bool:
    return _anyascii() is not None


# Letters outside the Latin blocks (Basic Latin to Latin Extended-B, Latin Extended
# Additional): CJK, Hangul, Cyrillic, Greek, Arabic, ...
_NON_LATIN = re.compile(r"[^\W\d_\u0000-\u024f\u1e00-\u1eff]+")


def _non_latin_runs(text: str) -> list[str]:
    """Runs of letters outside the Latin script (CJK, Cyrillic, Greek, Hangul, ...)."""
    if text.isascii():
        return []
    return _NON_LATIN.findall(unicodedata.normalize("NFKC", text))


def syllables(run: str) -> list[str]:
    """A non-Latin run as lowercase ASCII syllables (`王小明` -> wang, xiao, ming); [] without
    the transliteration extra. anyascii capitalises each Han and Hangul syllable, which marks
    where one ends."""
    convert = _anyascii()
    if convert is None:
        return []
    ascii_text: str = convert(run)  # type: ignore[operator]
    return [s.lower() for s in _SYLLABLE.findall(ascii_text)]


def transliterated(text: str) -> list[str]:
    """Every non-Latin run of `text` as its syllables joined (`王小明` -> wangxiaoming)."""
    return [joined for run in _non_latin_runs(text) if (joined := "".join(syllables(run)))]


def name_keys(text: str) -> set[str]:
    """Keys of the non-Latin names in `text`: every 2..4-syllable window of each run,
    concatenated (one syllable alone is too common to identify anyone; a run of one
    syllable, as in an alphabetic script, counts whole)."""
    keys: set[str] = set()
    for run in _non_latin_runs(text):
        parts = syllables(run)
        if len(parts) == 1 and len(parts[0]) >= 3:
            keys.add(parts[0])
        for size in range(2, MAX_NAME_SYLLABLES + 1):
            for start in range(len(parts) - size + 1):
                keys.add("".join(parts[start : start + size]))
    return keys


def latin_name_keys(text: str) -> set[str]:
    """Keys a Latin-script spelling of a name can meet: each run of 1..3 consecutive words,
    concatenated in every order (`Xiaoming Wang` -> xiaomingwang, wangxiaoming, ...)."""
    words = _LATIN_WORD.findall(fold_latin(text))
    keys: set[str] = set()
    for size in range(1, MAX_NAME_WORDS + 1):
        for start in range(len(words) - size + 1):
            window = words[start : start + size]
            if sum(len(w) for w in window) < 4:
                continue
            for order in itertools.permutations(window):
                keys.add("".join(order))
    return keys


def fold_latin(text: str) -> str:
    """Case-folded with Latin accents stripped (Müller -> muller)."""
    decomposed = unicodedata.normalize("NFKD", normalize(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def identifiers(text: str) -> list[Identifier]:
    """Every email, handle, number and non-Latin name in `text`, in that order."""
    found = emails(text)
    without_emails = _EMAIL.sub(" ", normalize(text))
    found += handles(without_emails)
    found += numbers(without_emails)
    for run in _non_latin_runs(text):
        keys = name_keys(run)
        if keys:
            joined = "".join(syllables(run))
            found.append(Identifier("name", run, (joined, *sorted(keys - {joined}))))
    return found


def name_terms(text: str, max_chars: int = 0) -> list[str]:
    """Transliterated syllables of the non-Latin runs of `text` (each at most `max_chars`
    letters, if given) and their 2..4-syllable concatenations."""
    out: list[str] = []
    for run in _non_latin_runs(text):
        if max_chars and len(run) > max_chars:
            continue
        out.extend(syllables(run))
        out.extend(sorted(name_keys(run)))
    return out


def index_terms(text: str) -> list[str]:
    """Single-token forms for the search index: digit-only numbers and transliterated name
    syllables with their 2..4-syllable concatenations. Emails and handles need none: the
    index already splits and case-folds them into the same words."""
    out: list[str] = []
    for ident in numbers(_EMAIL.sub(" ", normalize(text))):
        out.extend(ident.keys)
    return out + name_terms(text)
