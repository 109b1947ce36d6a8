"""Counts and cut text read right: "1 entry", "(3 entries)", a title cut with an ellipsis."""

from __future__ import annotations

import pytest
from conftest import Ctx, add

from ctxtree.cli.render import nest, tree_lines
from ctxtree.tree.model import EntryRef
from ctxtree.wording import plural, shorten


@pytest.mark.parametrize(
    "n, word, many, expected",
    [
        (0, "entry", "", "0 entries"),
        (1, "entry", "", "1 entry"),
        (2, "entry", "", "2 entries"),
        (1, "commit", "", "1 commit"),
        (3, "commit", "", "3 commits"),
        (2, "id", "", "2 ids"),
        (2, "match", "", "2 matches"),
        (2, "person", "people", "2 people"),
        (1, "person", "people", "1 person"),
    ],
)
def test_plural(n: int, word: str, many: str, expected: str) -> None:
    assert plural(n, word, many) == expected


@pytest.mark.parametrize(
    "text, width, expected",
    [
        ("short", 10, "short"),
        ("exactly ten", 11, "exactly ten"),
        ("Refresh tokens rotate on every use", 20, "Refresh tokens…"),
        ("Refresh tokens rotate on every use", 16, "Refresh tokens…"),
        ("Supercalifragilisticexpialidocious", 10, "Supercali…"),
        ("a, b, c, d, e, f", 8, "a, b…"),  # trailing punctuation goes too
        ("anything", 1, "…"),
        ("anything", 0, ""),
    ],
)
def test_shorten(text: str, width: int, expected: str) -> None:
    result = shorten(text, width)
    assert result == expected
    assert len(result) <= max(width, 0)


def _refs(*pairs: tuple[str, str]) -> list[EntryRef]:
    return [EntryRef(i, t, f"tree/{i}.md") for i, t in pairs]


def test_tree_lines_fit_a_width_with_an_ellipsis_and_count_in_words() -> None:
    refs = _refs(
        ("auth/jwt/refresh", "Refresh tokens rotate on every use and the old one is revoked"),
        ("auth/jwt/keys", "Keys"),
        ("ops/ci/cache", "Cache"),
    )
    nested = nest(refs, "", None)
    assert tree_lines(nested, ".", 40) == [
        ". (3 entries)",
        "├── auth/ (2)",
        "│   └── jwt/ (2)",
        "│       ├── refresh — Refresh tokens…",
        "│       └── keys — Keys",
        "└── ops/ (1)",
        "    └── ci/ (1)",
        "        └── cache — Cache",
    ]
    assert all(len(line) <= 40 for line in tree_lines(nested, ".", 40))
    whole = tree_lines(nested, ".", None)
    assert whole[3].endswith("the old one is revoked")
    assert tree_lines(nest(refs[2:], "ops", None), "ops", None)[0] == "ops (1 entry)"


def test_piped_tree_prints_whole_titles_and_singular_counts(ctx: Ctx) -> None:
    title = "A title long enough to pass any terminal width " + "and then some more " * 4
    add(ctx, "a/b/long", title.strip())
    assert ctx.ok("tree") == (
        f". (1 entry)\n└── a/ (1)\n    └── b/ (1)\n        └── long — {title.strip()}\n"
    )
    run = ctx.proc("tree", "a")  # a real pipe, not a terminal: nothing is cut
    assert run.stdout.splitlines()[0] == "a (1 entry)"
    assert run.stdout.splitlines()[-1].endswith("and then some more")
