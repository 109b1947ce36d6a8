"""Units, greedy packing and token counting: tables, properties, and the real tokenizer."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ctxtree.retrieval.budget import (
    LONG_LINE,
    Block,
    CachedCounter,
    Packed,
    exact_counts,
    pack,
    text_hash,
    units_of,
)


def words(texts: Sequence[str]) -> list[int]:
    """A stand-in tokenizer: one token per whitespace-separated word and per newline."""
    return [len(t.split()) + t.count("\n") for t in texts]


def text_cost(text: str) -> int:
    """What the packer promises to bound: each line's count plus one per newline."""
    return sum(words(text.split("\n"))) + text.count("\n")


SENTENCES = [f"Sentence number {i} talks about caching layers in depth." for i in range(20)]
LONG_PROSE = " ".join(SENTENCES)
assert len(LONG_PROSE) > LONG_LINE


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", []),
        ("\n\n  \n", []),
        ("first\nsecond", ["first", "second"]),
        ("  first  \n\n\n\tsecond\r\nthird", ["first", "second", "third"]),
        ("First. Second! Third?", ["First. Second! Third?"]),  # short lines stay whole
        ("- a list item. With two sentences.", ["- a list item. With two sentences."]),
        (LONG_PROSE, SENTENCES),
        ("intro\n" + LONG_PROSE + "\noutro", ["intro", *SENTENCES, "outro"]),
        # Split only before a capital, a digit, a quote, a bracket or emphasis.
        ("word. " * 120, [("word. " * 120).strip()]),
        ("Step one is done. 2 more remain. " * 20, ["Step one is done.", "2 more remain."] * 20),
        ("Really? Yes! " * 60, ["Really?", "Yes!"] * 60),
        ('One said. "Two" said. ' * 40, ["One said.", '"Two" said.'] * 40),
        # Tables and code are not prose.
        ("| Cell. Next |" * 60, ["| Cell. Next |" * 60]),
        ("```" + LONG_PROSE, ["```" + LONG_PROSE]),
        ("```\n" + LONG_PROSE + "\n```", ["```", LONG_PROSE, "```"]),
        ("~~~text\n" + LONG_PROSE + "\n~~~", ["~~~text", LONG_PROSE, "~~~"]),
        ("```\ncode\n```\n" + LONG_PROSE, ["```", "code", "```", *SENTENCES]),
        ("~~~\n```\n" + LONG_PROSE + "\n~~~", ["~~~", "```", LONG_PROSE, "~~~"]),
    ],
)
def test_units_of(body: str, expected: list[str]) -> None:
    assert units_of(body) == expected


def block(
    id: str, header: tuple[str, ...], units: tuple[str, ...] = (), scores: tuple[float, ...] = (),
    footer: tuple[str, ...] = (), weight: float = 1.0, standalone: bool = True,
) -> Block:  # fmt: skip
    return Block(id, header, units, scores or (0.0,) * len(units), footer, weight, standalone)


# Priorities: b0's first unit 1.3, b0's header 0.6, b1's unit 0.4, then b0's second unit and
# b1's header (0.3 each; the tie goes to the earlier block). Costs with `words`: each header
# 1 + 2 separators = 3; units "a b" 3, "c" 2, "d" 2.
TWO = [
    block("b0", ("T0",), ("a b", "c"), (1.0, 0.0)),
    block("b1", ("T1",), ("d",), (0.5,), weight=0.5),
]


@pytest.mark.parametrize(
    ("budget", "text", "tokens", "chosen"),
    [
        (0, "", 0, ()),
        (2, "", 0, ()),
        (3, "T0", 3, (("b0", ()),)),
        # The best unit does not fit with its header; the header does, then a weaker unit.
        (5, "T0\nc", 5, (("b0", (1,)),)),
        (6, "T0\na b", 6, (("b0", (0,)),)),
        # b1's unit (5) does not fit after b0's best; b0's weaker unit (2) still does.
        (9, "T0\na b\nc", 8, (("b0", (0, 1)),)),
        (11, "T0\na b\n\nT1\nd", 11, (("b0", (0,)), ("b1", (0,)))),
        (13, "T0\na b\nc\n\nT1\nd", 13, (("b0", (0, 1)), ("b1", (0,)))),
        (100, "T0\na b\nc\n\nT1\nd", 13, (("b0", (0, 1)), ("b1", (0,)))),
    ],
)
def test_pack_table(
    budget: int, text: str, tokens: int, chosen: tuple[tuple[str, tuple[int, ...]], ...]
) -> None:
    packed = pack(TWO, budget, words)
    full = f"{text}\n" if text else ""  # every packed line ends with its newline
    assert packed == Packed(full, tokens, tuple(i for i, _ in chosen), chosen)


def test_pack_skips_an_entry_too_big_for_the_budget_but_not_the_next() -> None:
    blocks = [block("big", ("one two three four five",)), block("small", ("six",), weight=0.9)]
    assert pack(blocks, 4, words) == Packed("six\n", 3, ("small",), (("small", ()),))


def test_pack_sends_a_non_standalone_header_only_with_a_passage() -> None:
    blocks = [block("ep", ("### Episode",), ("turn one",), (0.0,), standalone=False)]
    assert pack(blocks, 5, words).text == ""
    assert pack(blocks, 7, words) == Packed("### Episode\nturn one\n", 7, ("ep",), (("ep", (0,)),))


def test_pack_keeps_the_footer_with_its_header() -> None:
    blocks = [block("x", ("<entry>",), ("body",), (1.0,), footer=("</entry>",))]
    assert pack(blocks, 4, words).text == ""
    assert pack(blocks, 5, words) == Packed("<entry>\n</entry>\n", 5, ("x",), (("x", ()),))
    assert pack(blocks, 7, words).text == "<entry>\nbody\n</entry>\n"


LINE = st.text(alphabet=st.sampled_from(list("ab ")), max_size=10)


@st.composite
def blocks(draw: st.DrawFn) -> list[Block]:
    out = []
    for index in range(draw(st.integers(0, 5))):
        units = tuple(draw(st.lists(LINE, max_size=5)))
        scores = tuple(
            draw(st.lists(st.floats(0.0, 1.0), min_size=len(units), max_size=len(units)))
        )
        out.append(
            Block(
                f"b{index}",
                tuple(draw(st.lists(LINE, min_size=1, max_size=3))),
                units,
                scores,
                tuple(draw(st.lists(LINE, max_size=1))),
                draw(st.floats(0.01, 1.0)),
                draw(st.booleans()),
            )
        )
    return out


def costs(b: Block) -> tuple[int, list[int]]:
    lines = [*b.header, *b.footer]
    return sum(words(lines)) + len(lines) + 1, [n + 1 for n in words(b.units)]


@settings(max_examples=200, deadline=None)
@given(blocks(), st.integers(0, 60))
def test_pack_properties(bs: list[Block], budget: int) -> None:
    packed = pack(bs, budget, words)
    assert packed.tokens <= budget
    assert text_cost(packed.text) <= packed.tokens
    if budget == 0:
        assert packed == Packed("", 0, (), ())
    by_id = {b.id: b for b in bs}
    # Entries keep their rank order; each one's units keep their text order.
    assert list(packed.ids) == [b.id for b in bs if b.id in packed.ids]
    assert [i for i, _ in packed.chosen] == list(packed.ids)
    parts = []
    spent = 0
    for entry_id, picked in packed.chosen:
        b = by_id[entry_id]
        assert list(picked) == sorted(set(picked))
        assert b.standalone or picked, "a header without a passage, for a non-standalone entry"
        parts.append("\n".join([*b.header, *(b.units[i] for i in picked), *b.footer]))
        header, units = costs(b)
        spent += header + sum(units[i] for i in picked)
    # Every passage comes under its own header, and the reported tokens are what was spent.
    assert packed.text == ("\n\n".join(parts) + "\n" if parts else "")
    assert packed.tokens == spent
    # Greedy: an entry left out has no piece that would still fit.
    left = budget - packed.tokens
    for b in bs:
        if b.id not in packed.ids:
            header, units = costs(b)
            fits = [header] if b.standalone else []
            fits += [header + u for u in units]
            assert all(cost > left for cost in fits)


def test_exact_counts() -> None:
    assert exact_counts(["hello world", "", "東京", "Refresh tokens rotate on every use."]) == [
        2, 0, 3, 7,
    ]  # fmt: skip


_PIECES = [
    "Refresh", " tokens", "rotate", ".", "!", "?", " ", "  ", "\t", "#", "##", "- ", "* ",
    "**", "`", "```", "|", ">", "=>", "+/-", "{", "}", "});", "${", '"', "'", "...", "—",
    "é", "ü", "ß", "Привет", "東京", "は", "便利", "한국어", "😀", "🚀", "👍🏽", "1", "2024",
    "\u00a0", "\u3000",
]  # fmt: skip
REAL_LINE = st.lists(
    st.one_of(
        st.sampled_from(_PIECES),
        st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=3),
    ),
    max_size=8,
).map("".join)


@settings(max_examples=100, deadline=None)
@given(st.lists(REAL_LINE, min_size=1, max_size=6))
@example(['"=>', "a"])  # '"=>' + '\n' fuses into 3 tokens: counting lines alone undercounts
@example(["+-+-+-+-", "", "x"])
@example(["Refresh +/-."])  # 4 tokens alone, 3 with its newline: the text keeps the newline
def test_lines_charged_with_their_newline_bound_the_joined_text(lines: list[str]) -> None:
    # pack() charges each (stripped) line the count of line + "\n"; this is the bound.
    lines = [line.strip() for line in lines]
    joined = exact_counts(["".join(f"{line}\n" for line in lines)])[0]
    assert joined <= sum(exact_counts([f"{line}\n" for line in lines]))


@pytest.mark.parametrize("unit", ['"=>', "+-+-+-+-", "`${", ";;;;;;;;"])
def test_packed_text_fits_its_reported_tokens_under_the_real_tokenizer(unit: str) -> None:
    blocks = [
        Block("a/b/c", ("### T",), (unit,) * 4, (1.0,) * 4),
        Block("a/b/d", ("### U", "id: a/b/d"), (unit, "tail"), (0.5, 0.1)),
    ]
    for budget in range(0, 40):
        packed = pack(blocks, budget, exact_counts)
        assert packed.tokens <= budget
        assert exact_counts([packed.text])[0] <= packed.tokens


class Table:
    """A dict standing in for the index's token table."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.saved: list[dict[str, int]] = []

    def lookup(self, hashes: Sequence[str]) -> dict[str, int]:
        return {h: self.rows[h] for h in hashes if h in self.rows}

    def save(self, counts: dict[str, int]) -> None:
        self.saved.append(dict(counts))
        self.rows.update(counts)


def test_cached_counter_loads_the_encoding_only_on_a_miss() -> None:
    table = Table()
    texts = ["hello world", "東京", "", "hello world"]
    first = CachedCounter(table.lookup, table.save)
    assert first(texts) == exact_counts(texts) == [2, 3, 0, 2]
    assert first.loaded_encoding
    assert table.rows == {text_hash("hello world"): 2, text_hash("東京"): 3, text_hash(""): 0}

    second = CachedCounter(table.lookup, table.save)
    assert second(texts) == [2, 3, 0, 2]
    assert second(["東京"]) == [3]
    assert second([]) == []
    assert not second.loaded_encoding
    assert second.misses == 0
    assert len(table.saved) == 1

    # A new text is counted once, saved alone, and then known.
    assert second(["東京", "new text here"]) == [3, 3]
    assert second.loaded_encoding
    assert second.misses == 1
    assert table.saved[-1] == {text_hash("new text here"): 3}
    third = CachedCounter(table.lookup, table.save)
    assert third(["new text here"]) == [3]
    assert not third.loaded_encoding
