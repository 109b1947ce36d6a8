"""relations: inline links, outgoing edges, retargeting on move, points_at."""

from __future__ import annotations

import pytest

from ctxtree.tree import relations
from ctxtree.tree.model import Entry, Relation


def entry(body: str = "", *rels: tuple[str, str], entry_id: str = "a/b/self") -> Entry:
    return Entry(id=entry_id, title="t", body=body, relations=tuple(Relation(*r) for r in rels))


LINKS = {
    "none": ("plain text [not a link] [[ ]]", []),
    "one": ("see [[auth/jwt/keys]].", ["auth/jwt/keys"]),
    "label": ("see [[auth/jwt/keys|the keys]]", ["auth/jwt/keys"]),
    "order-and-dedupe": ("[[b/c/d]] [[a/b/c]] [[b/c/d|again]]", ["b/c/d", "a/b/c"]),
    "folder": ("[[auth/jwt]]", ["auth/jwt"]),
    "uppercase": ("[[Auth/jwt/x]]", []),
    "dots": ("[[../etc/passwd]]", []),
    "multiline": ("first [[a/b/c]]\n\nsecond [[d/e/f|x]]\n", ["a/b/c", "d/e/f"]),
    "single-brackets": ("[a/b/c]", []),
}


@pytest.mark.parametrize(("body", "expected"), LINKS.values(), ids=LINKS.keys())
def test_inline_links(body: str, expected: list[str]) -> None:
    assert relations.inline_links(body) == expected


def test_outgoing_declared_first_then_undeclared_inline_links() -> None:
    e = entry(
        "[[x/y/z]] and [[a/b/dep|label]] and [[q/r/s]]",
        ("depends_on", "a/b/dep"),
        ("supersedes", "a/b/old"),
    )
    assert relations.outgoing(e) == [
        Relation("depends_on", "a/b/dep"),
        Relation("supersedes", "a/b/old"),
        Relation("related", "x/y/z"),
        Relation("related", "q/r/s"),
    ]


def test_outgoing_of_an_entry_without_links_is_empty() -> None:
    assert relations.outgoing(entry("no links")) == []


def test_outgoing_skips_inline_links_to_the_entry_itself() -> None:
    merged = relations.retarget(entry("[[a/b/x]] [[c/d/e]]", entry_id="a/b/y"), "a/b/x", "a/b/y")
    assert merged.body == "[[a/b/y]] [[c/d/e]]"
    assert relations.outgoing(merged) == [Relation("related", "c/d/e")]
    assert not relations.points_at(merged, "a/b/y")


RETARGET = {
    "entry-move": (
        entry("", ("depends_on", "a/b/old"), ("related", "a/b/older")),
        ("a/b/old", "c/d/new"),
        entry("", ("depends_on", "c/d/new"), ("related", "a/b/older")),
    ),
    "folder-move": (
        entry("", ("part_of", "auth/jwt"), ("related", "auth/jwt/k/x"), ("related", "auth/jwtx/y")),
        ("auth/jwt", "sec/tokens"),
        entry(
            "", ("part_of", "sec/tokens"), ("related", "sec/tokens/k/x"), ("related", "auth/jwtx/y")
        ),
    ),
    "inline-links": (
        entry("see [[a/b/old]], [[a/b/old|the old one]] and [[a/b/older]]\n"),
        ("a/b/old", "c/d/new"),
        entry("see [[c/d/new]], [[c/d/new|the old one]] and [[a/b/older]]\n"),
    ),
    "folder-inline": (
        entry("[[auth/jwt/x|x]] [[auth/jwt]] [[auth/jwt-old/x]]"),
        ("auth/jwt", "sec/tok"),
        entry("[[sec/tok/x|x]] [[sec/tok]] [[auth/jwt-old/x]]"),
    ),
    "merge-dedupes": (
        entry("", ("related", "a/b/x"), ("related", "a/b/y"), ("depends_on", "a/b/x")),
        ("a/b/x", "a/b/y"),
        entry("", ("related", "a/b/y"), ("depends_on", "a/b/y")),
    ),
    "self-relation-dropped": (
        entry("", ("related", "a/b/x"), ("depends_on", "c/d/e"), entry_id="a/b/y"),
        ("a/b/x", "a/b/y"),
        entry("", ("depends_on", "c/d/e"), entry_id="a/b/y"),
    ),
}


@pytest.mark.parametrize(("before", "move", "after"), RETARGET.values(), ids=RETARGET.keys())
def test_retarget(before: Entry, move: tuple[str, str], after: Entry) -> None:
    assert relations.retarget(before, *move) == after


@pytest.mark.parametrize(
    "before",
    [
        entry("[[a/b/older]] [[a/b/ol]]", ("related", "a/b/older"), ("related", "a")),
        entry(),
        entry("", ("related", "a/b/self"), ("related", "x/y/z"), ("related", "x/y/z")),
    ],
    ids=["prefix-lookalikes", "empty", "unrelated-self-and-duplicates"],
)
def test_retarget_returns_untouched_entries_as_the_same_object(before: Entry) -> None:
    assert relations.retarget(before, "a/b/old", "c/d/new") is before


def test_retarget_keeps_other_fields() -> None:
    before = Entry(
        id="a/b/c", title="T", body="[[a/b/old]]", tags=("t",), importance=80, created="2026-01-01"
    )
    after = relations.retarget(before, "a/b/old", "a/b/new")
    assert after == Entry(
        id="a/b/c", title="T", body="[[a/b/new]]", tags=("t",), importance=80, created="2026-01-01"
    )


POINTS_AT = {
    "declared": (entry("", ("related", "a/b/c")), "a/b/c", True),
    "inline": (entry("[[a/b/c|x]]"), "a/b/c", True),
    "inside-folder": (entry("", ("part_of", "auth/jwt/x")), "auth/jwt", True),
    "inline-inside-folder": (entry("[[auth/jwt/k/x]]"), "auth/jwt", True),
    "sibling-prefix": (entry("", ("related", "auth/jwtx/y")), "auth/jwt", False),
    "folder-is-not-inside-entry": (entry("", ("part_of", "auth/jwt")), "auth/jwt/x", False),
    "no-relations": (entry("plain"), "a/b/c", False),
}


@pytest.mark.parametrize(("e", "target", "expected"), POINTS_AT.values(), ids=POINTS_AT.keys())
def test_points_at(e: Entry, target: str, expected: bool) -> None:
    assert relations.points_at(e, target) is expected


@pytest.mark.parametrize(
    ("text", "ids", "plain", "expected"),
    [
        ("See [[a/b/x]].", {"a/b/x"}, None, "See a/b/x."),
        ("See [[a/b/x|the x]] and [[a/b/y]].", {"a/b/x"}, None, "See the x and [[a/b/y]]."),
        ("[[a/b/x]][[a/b/x]]", {"a/b/x"}, None, "a/b/xa/b/x"),
        ("no links", {"a/b/x"}, None, "no links"),
        ("See [[a/b/x]] and [[a/b/x|it]].", {"a/b/x"}, "(removed)", "See (removed) and it."),
        ("A blank label: [[a/b/x|  ]].", {"a/b/x"}, None, "A blank label: a/b/x."),
        ("A blank label: [[a/b/x|]].", {"a/b/x"}, "gone", "A blank label: gone."),
        ("A folder: [[a/b]], an entry under it: [[a/b/x]].", {"a/b"}, None,
         "A folder: a/b, an entry under it: [[a/b/x]]."),
        ("Nothing asked: [[a/b/x]].", set(), None, "Nothing asked: [[a/b/x]]."),
        ("Not a link: [[Not An Id]].", {"Not An Id"}, None, "Not a link: [[Not An Id]]."),
    ],
)  # fmt: skip
def test_unwrap_links(text: str, ids: set[str], plain: str | None, expected: str) -> None:
    """One rule for lint's broken-link fix and forget's cleanup of links to what it removed."""
    assert relations.unwrap_links(text, ids, plain) == expected
