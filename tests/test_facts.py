"""curation/facts.py: what an entry's facts are, how one is found, dropped, replaced, added."""

from __future__ import annotations

import pytest

from ctxtree.curation import facts

CASES = [
    # (body, facts)
    ("# T\n\nWorks at Google; married to Jamie.\n", ["Works at Google", "married to Jamie"]),
    ("- works at Google\n- married to Jamie\n", ["works at Google", "married to Jamie"]),
    (
        "Alice works at Google. She is married to Jamie.",
        ["Alice works at Google", "She is married to Jamie"],
    ),
    (
        "Dr. Who likes tea, e.g. green tea. J. Smith agrees.",
        ["Dr. Who likes tea, e.g. green tea", "J. Smith agrees"],
    ),
    ("Version 3.5 is out.", ["Version 3.5 is out"]),
    ("Intro.\n\n## Facts\n\n1. a\n2. b\n", ["Intro", "a", "b"]),
    ("```\nx; y. Z\n```\n", []),
    ("| a; b | c. D |\n", ["| a; b | c. D |"]),
    ("> quoted; two\n", ["quoted", "two"]),
    ("", []),
]


@pytest.mark.parametrize(("body", "expected"), CASES)
def test_facts_of_a_body(body: str, expected: list[str]) -> None:
    assert [f.text for f in facts.facts(body)] == expected


BODY = "# Alice\n\n- Works at Google\n- married to Jamie\n- lives in Paris; likes jazz\n"
FIND = [
    ("Works at Google", "Works at Google"),  # exact
    ("works at google.", "Works at Google"),  # case and closing punctuation
    ("  WORKS   at Google ", "Works at Google"),  # spacing
    ("Jamie", "married to Jamie"),  # the only fact with these words
    ("likes jazz", "likes jazz"),  # a clause of a line
    ("no longer works at Google", "Works at Google"),  # closest, clearly
]


@pytest.mark.parametrize(("query", "found"), FIND)
def test_find_a_fact(query: str, found: str) -> None:
    assert facts.find(BODY, query).text == found


@pytest.mark.parametrize("query", ["zebra stripes", "a", "Google Paris jazz Jamie"])
def test_no_match_lists_every_fact(query: str) -> None:
    with pytest.raises(facts.FactLookup) as raised:
        facts.find(BODY, query)
    assert not raised.value.ambiguous
    assert [f.text for f in raised.value.candidates] == [
        "Works at Google", "married to Jamie", "lives in Paris", "likes jazz"
    ]  # fmt: skip


def test_several_matches_are_ambiguous() -> None:
    body = "- married to Jamie\n- married to Jim\n"
    with pytest.raises(facts.FactLookup) as raised:
        facts.find(body, "married")
    assert raised.value.ambiguous
    assert [f.text for f in raised.value.candidates] == ["married to Jamie", "married to Jim"]


EDITS = [
    # (body, query, new ("" drops), expected body)
    ("Works at Google; married to Jamie.\n", "works at Google", "", "Married to Jamie.\n"),
    ("Married to Jamie; works at Google.\n", "works at Google", "", "Married to Jamie.\n"),
    ("A; b; c.\n", "b", "", "A; c.\n"),
    ("- works at Google\n- married to Jamie\n", "Google", "", "- married to Jamie\n"),
    ("Intro.\n\nOnly fact.\n\nEnd.\n", "Only fact", "", "Intro.\n\nEnd.\n"),
    (
        "User works at Google; married to Jamie.\n",
        "works at Google",
        "works at Stripe",
        "User works at Stripe; married to Jamie.\n",
    ),
    (
        "- Works at Google\n- married\n",
        "works at google",
        "works at Stripe",
        "- Works at Stripe\n- married\n",
    ),
    (
        "Lives in Paris. Likes jazz.\n",
        "Lives in Paris",
        "Lives in Rome.",
        "Lives in Rome. Likes jazz.\n",
    ),
]


@pytest.mark.parametrize(("body", "query", "new", "expected"), EDITS)
def test_drop_and_replace_keep_the_neighbours(
    body: str, query: str, new: str, expected: str
) -> None:
    fact = facts.find(body, query)
    got = facts.replace(body, fact, query, new) if new else facts.drop(body, fact)
    assert got == expected


ADDS = [
    (
        "Intro.\n\n## Facts\n\n- a\n\n```\ncode\n```\n",
        "b",
        "Intro.\n\n## Facts\n\n- a\n- b\n\n```\ncode\n```\n",
    ),
    ("- a\n- b\n", "c", "- a\n- b\n- c\n"),
    ("1. a\n2. b\n", "c", "1. a\n2. b\n3. c\n"),
    ("# T\n\nA sentence.\n", "Another", "# T\n\nA sentence.\n\nAnother\n"),
    ("", "First", "First\n"),
]


@pytest.mark.parametrize(("body", "text", "expected"), ADDS)
def test_add_a_fact(body: str, text: str, expected: str) -> None:
    assert facts.add(body, text) == expected


def test_scrub_removes_the_fact_from_every_part_of_a_file() -> None:
    text = (
        "---\ntitle: Bob\nsummary: Phone 555-0100; likes chess\n---\n"
        "# Bob\n\n- phone 555-0100 (home)\n- likes chess\n\nCall 555-0100; or write.\n"
    )
    assert facts.scrub(text, "555-0100", "(forgotten)") == (
        "---\ntitle: Bob\nsummary: Phone (forgotten); likes chess\n---\n"
        "# Bob\n\n- likes chess\n\nOr write.\n"
    )
