"""Text -> search terms, the same way for documents and queries.

Lowercased, NFKC-normalised, accents folded; CJK runs become overlapping character bigrams
(a lone CJK character stays a unigram), so Chinese, Japanese and Korean text is searchable
without a dictionary. English stemming is left to FTS5's porter tokenizer, which sees our
space-joined terms. Documents and queries also carry canonical identity terms (tree/identity.py):
a number written with separators (`123-45-6789`) as its digits alone, and a name in a non-Latin
script as its transliterated syllables and their concatenations, so each form finds the others.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK_RANGES = (
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]+"
)


@cache
def _cjk() -> re.Pattern[str]:
    """Compiled on first use (~3 ms): only words with non-ASCII letters need it."""
    return re.compile(_CJK_RANGES)


# Function words that carry no topic: dropped from queries (documents keep them; BM25's IDF
# already discounts them there). Short on purpose: negations and numbers are kept.
STOPWORDS = frozenset(
    (
        "a an the and or but if then so of to in on at by for with from as into onto about over "
        "under is are was were be been being am do does did done have has had having i me my "
        "mine we us our you your he him his she her it its they them their what which who whom "
        "whose this that these those there here when where why how can could would should will "
        "shall may might must just also very too than s t d ll re ve m any some such own same "
        "other"
    ).split()
)


def fold(text: str) -> str:
    """Lowercase, NFKC, and strip combining accents (é -> e) outside CJK."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    out = []
    for ch in text:
        # Only alphabetic scripts below U+2000 lose accents; kana voicing marks and Hangul
        # jamo are part of the letter, not decoration.
        if ch.isascii() or ord(ch) >= 0x2000:
            out.append(ch)
        else:
            out.append(
                "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
            )
    return "".join(out)


def _split_cjk(word: str) -> list[str]:
    out: list[str] = []
    pos = 0
    for match in _cjk().finditer(word):
        if match.start() > pos:
            out.append(word[pos : match.start()])
        run = match.group(0)
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        pos = match.end()
    if pos < len(word):
        out.append(word[pos:])
    return out


def terms(text: str) -> list[str]:
    """All terms of `text`, in order, duplicates kept (document side)."""
    folded = fold(text)
    out: list[str] = []
    for word in _WORD.findall(folded):
        if word.isascii():
            out.append(word)
        else:
            out.extend(_split_cjk(word))
    return [t for t in out if t and not t.startswith("_")]


# Cheap pre-checks so plain ASCII prose without long numbers skips the identity pass.
_LONG_NUMBER = re.compile(r"\d(?:[ .\-/()]{0,2}\d){6}")


def _may_identify(text: str) -> bool:
    return not text.isascii() or _LONG_NUMBER.search(text) is not None


def query_terms(text: str) -> list[str]:
    """Distinct content terms of a query, in order (stopwords dropped unless nothing is left).
    A number is one term, its digits (`123-45-6789` -> 123456789, as documents index it), and
    a short non-Latin run (a name: at most identity.MAX_NAME_CHARS letters) adds its
    transliterated syllables and their concatenations; a longer one is a sentence, matched by
    its own bigrams rather than by homophones."""
    extra: list[str] = []
    if _may_identify(text):
        from ctxtree.tree import identity  # its patterns cost ~2 ms: ASCII prose skips them

        text = identity.replace_numbers(text)
        extra = identity.name_terms(text, identity.MAX_NAME_CHARS)
    all_terms = list(dict.fromkeys([*terms(text), *extra]))
    content = [t for t in all_terms if t not in STOPWORDS]
    return content or all_terms


def joined(text: str) -> str:
    """Text as the space-joined terms FTS5 sees (idempotent: joined(joined(t)) == joined(t))."""
    return " ".join(terms(text))


def document(text: str) -> str:
    """A document field as FTS5 indexes it: its joined terms, then its identity terms."""
    if _may_identify(text):
        from ctxtree.tree import identity

        return " ".join([*terms(text), *identity.index_terms(text)])
    return " ".join(terms(text))


_SIBILANTS = ("s", "x", "z", "ch", "sh")


def stem(term: str) -> str:
    """A light English suffix strip for matching passages to a query (FTS5's porter stemmer
    does the real work in the index), so tokens/token, rotated/rotate, files/file,
    classes/class and strings/string meet: -ing (leaving 4+ letters), -ed, -es after a
    sibilant, else -s (not -ss); then a final -e."""
    if not term.isascii() or len(term) <= 3:
        return term
    if term.endswith("ing") and len(term) >= 7:
        term = term[:-3]
    elif len(term) >= 5 and (
        term.endswith("ed") or (term.endswith("es") and term[:-2].endswith(_SIBILANTS))
    ):
        term = term[:-2]
    elif term.endswith("s") and not term.endswith("ss") and len(term) >= 4:
        term = term[:-1]
    if term.endswith("e") and len(term) > 3:
        term = term[:-1]
    return term


def stems(text: str) -> set[str]:
    return {stem(t) for t in terms(text)}
