"""The pure half of tiers 3-4 (retrieval/answers.py): parsing the model's JSON and checking
each citation against its entry's text."""

from __future__ import annotations

import pytest

from ctxtree.retrieval.answers import Citation, Malformed, contains, parse, verify

ENTRY = (
    "Sessions last twelve hours\n"
    "A login session expires **twelve hours** after sign-in.\n"
    "Idle sessions are not   extended;\nthe user signs in again. It’s by design."
)


@pytest.mark.parametrize(
    ("quote", "found"),
    [
        ("expires twelve hours after sign-in", True),  # emphasis in the entry is not text
        ("EXPIRES Twelve Hours", True),  # case
        ("not extended; the user signs", True),  # whitespace and line breaks
        ('"Idle sessions are not extended."', True),  # the model's quote marks and full stop
        ("It's by design", True),  # typographic apostrophe
        ("A login session ... after sign-in", True),  # ellipsis: pieces in order
        ("A login session … after sign-in", True),
        ("after sign-in ... A login session", False),  # pieces out of order
        ("expires after twelve hours", False),  # reworded
        ("sessions last seven days", False),
        ("twelve", True),  # a short quote is fine
        ("a", False),  # too short to prove anything
        ("", False),
        ("... ", False),
    ],
)
def test_contains(quote: str, found: bool) -> None:
    assert contains(ENTRY, quote) is found


def test_verify_names_why_a_citation_fails() -> None:
    checked = verify(
        [
            Citation("auth/sessions/length", "twelve hours after sign-in"),
            Citation("auth/sessions/length", "forty days"),
            Citation("auth/sessions/forever", "twelve hours"),
        ],
        {"auth/sessions/length": ENTRY, "auth/sessions/forever": None},
    )
    assert [(c.verified, c.why) for c in checked] == [
        (True, ""),
        (False, "the quote is not in the entry"),
        (False, "no such entry"),
    ]


def test_parse_takes_json_in_fences_and_prose() -> None:
    text = (
        'Here you go:\n```json\n{"answer": " Twelve hours. ", "citations": [{"id": "a/b/c", '
        '"quote": "q"}], "found": true}\n```'
    )
    answer = parse(text)
    assert (answer.text, answer.found, answer.enough) == ("Twelve hours.", True, True)
    assert answer.citations == (Citation("a/b/c", "q"),)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Twelve hours.", "the reply holds no JSON object"),
        ('["a"]', "the reply holds no JSON object"),
        ('{"answer": "x"}', "the JSON object lacks citations, found"),
        ('{"answer": 3, "citations": [], "found": true}', "answer must be a string"),
        ('{"answer": "x", "citations": [], "found": "yes"}', "found must be true or false"),
        ('{"answer": "x", "citations": {}, "found": true}', "citations must be a list"),
        ('{"answer": "x", "citations": ["a/b/c"], "found": true}', "each citation must be"),
        (
            '{"answer": "x", "citations": [], "found": true, "enough": "no"}',
            "enough must be true or false",
        ),
    ],
)
def test_parse_says_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(Malformed, match=problem):
        parse(text)
