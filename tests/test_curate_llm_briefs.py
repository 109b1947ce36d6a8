"""The pure parts of curation briefs: chunking, the example-leak and evidence checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from ctxtree.curation import briefs, summaries
from ctxtree.curation.briefs import Material


def words(texts: Sequence[str]) -> list[int]:
    """A stand-in token count: one token per word."""
    return [len(t.split()) for t in texts]


def material(text: str) -> Material:
    return Material("text", text, "text", "stdin", "user")


@pytest.mark.parametrize(
    ("text", "limit", "pieces"),
    [
        ("", 5, []),
        ("   \n\n", 5, []),
        ("a b c\n", 5, ["a b c\n"]),
        ("a b c\nd e f\n", 5, ["a b c\n", "d e f\n"]),
        ("a b\nc d\ne\n", 5, ["a b\nc d\ne\n"]),
        ("a b c d e f g\n", 3, ["a b c ", "d e f ", "g\n"]),  # a long line: on words
    ],
)
def test_chunks_cut_on_lines_then_words(text: str, limit: int, pieces: list[str]) -> None:
    found = briefs.chunks([material(text)], limit, words)
    assert [c.text for c in found] == pieces
    numbers = [(n, len(pieces)) for n in range(1, len(pieces) + 1)]
    assert [(c.number, c.total) for c in found] == numbers


def test_chunks_never_mix_two_materials() -> None:
    found = briefs.chunks([material("a b"), material("c d")], 10, words)
    assert [(c.text, c.number, c.total) for c in found] == [("a b", 1, 2), ("c d", 2, 2)]


@pytest.mark.parametrize(
    ("operation", "leak"),
    [
        ({"op": "ADD", "id": "ci/runners/x", "title": "Runners"}, False),
        ({"op": "ADD", "id": "quuxhaven/moon-cheese/x", "title": "T"}, True),
        ({"op": "ADD", "id": "a/b/c", "title": "Moon-cheese wheels age for 14 lunar cycles"}, True),
        (
            {
                "op": "ADD",
                "id": "a/b/c",
                "title": "T",
                "body": "x\nThe cave runs colder since its vent was sealed.",
            },
            True,
        ),
        (
            {"op": "LINK", "source": "a/b/c", "target": "quuxhaven/moon-cheese/ageing-12-cycles"},
            True,
        ),
        ({"op": "ADD", "id": "a/b/c", "title": "Cheese ages"}, False),  # a word is no leak
    ],
)
def test_leaks(operation: dict[str, Any], leak: bool) -> None:
    assert (briefs.leaks(operation) is not None) == leak


@pytest.mark.parametrize(
    ("operation", "refused"),
    [
        ({"op": "UPDATE", "id": "sessions/claude-code/s1"}, True),
        ({"op": "delete", "id": "episodes/commits/abc"}, True),
        ({"op": "MERGE", "source": "a/b/c", "target": "sessions/claude-code/s1"}, True),
        ({"op": "SUPERSEDE", "old": "sessions/claude-code/s1", "new": "a/b/c"}, True),
        ({"op": "SUPERSEDE", "old": "a/b/c", "new": "sessions/claude-code/s1"}, False),
        ({"op": "LINK", "source": "a/b/c", "target": "sessions/claude-code/s1"}, False),
        ({"op": "ADD", "id": "sessions-notes/a/b"}, False),
    ],
)
def test_evidence_is_never_rewritten(operation: dict[str, Any], refused: bool) -> None:
    assert (briefs.touches_evidence(operation) is not None) == refused


@pytest.mark.parametrize(
    ("a", "b", "lower"),
    [
        ("user", "agent", "agent"),
        ("agent", "user", "agent"),
        ("external", "user", "external"),
        ("user", "user", "user"),
    ],
)
def test_lower_trust(a: str, b: str, lower: str) -> None:
    assert briefs.lower_trust(a, b) == lower


@pytest.mark.parametrize(
    ("text", "generator"),
    [
        ("---\ngenerated_by: ctx\ninputs: x\n---\n# a\n", "ctx"),
        ('---\ngenerated_by: "library: gpt"\n---\n', "library: gpt"),
        ("---\ntitle: Auth\n---\n# Auth\ngenerated_by: ctx\n", None),  # in the body: not it
        ("# no frontmatter\n", None),
    ],
)
def test_recorded_generator(text: str, generator: str | None) -> None:
    assert summaries.recorded_generator(text) == generator


@pytest.mark.parametrize(
    ("answer", "parsed"),
    [
        ('{"title": "T", "summary": "S", "abstract": "A"}', ("T", "S", "A")),
        ('Here: ```json\n{"title": " T ", "summary": "S", "abstract": "A"}\n```', ("T", "S", "A")),
        ('{"title": "T", "summary": "", "abstract": "A"}', None),
        ("no json", None),
    ],
)
def test_parse_abstract(answer: str, parsed: tuple[str, str, str] | None) -> None:
    result = briefs.parse_abstract(answer)
    assert (result if isinstance(result, tuple) else None) == parsed
