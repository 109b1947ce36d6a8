"""frontmatter: exact round trips, canonical rewrites, strict errors with file lines."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctxtree.errors import InvalidEntryError
from ctxtree.tree import frontmatter
from ctxtree.tree.model import (
    KINDS,
    MATURITIES,
    RELATION_TYPES,
    TRUST_LEVELS,
    Entry,
    Relation,
    Source,
)
from ctxtree.tree.paths import RESERVED

CANONICAL = """\
---
schema: 1
title: Refresh tokens rotate on every use
summary: Each refresh issues a new refresh token and revokes the previous one.
kind: decision
tags: [auth, security]
keywords: [refresh token, rotation, revoke]
relations:
  - {type: depends_on, target: auth/jwt/signing-keys}
  - {type: supersedes, target: auth/jwt}
sources:
  - {type: commit, ref: 3f2a1c9}
  - {type: file, ref: src/auth/refresh.py#L40-88}
author: claude-code
trust: agent
importance: 55
maturity: draft
created: 2026-11-20T10:02:11Z
updated: 2026-11-21T09:00:00Z
anchors: [src/auth/refresh.py]
---
# Refresh tokens rotate on every use

Inline links [[auth/jwt/signing-keys]] count as related.
"""

MINIMAL = "---\nschema: 1\ntitle: x\nkind: note\ntags: []\nkeywords: []\nauthor: ''\n"
MINIMAL += "trust: user\nimportance: 50\nmaturity: draft\ncreated: ''\nupdated: ''\n---\n"

HAND = """\
---
# hand written; comments survive
title: "Quoted: title"   # trailing comment
kind: fact
custom_key: keep me
tags:
  - auth
  - 'security'
importance: 70
nested:
  a: 1
  b: [x, y]
zzz: {c: d}
---
body
"""

HAND_CHANGED = """\
---
schema: 1
title: 'Quoted: title'
kind: fact
tags: [auth, security]
keywords: []
author: ''
trust: user
importance: 90
maturity: draft
created: ''
updated: ''
custom_key: keep me
nested:
  a: 1
  b: [x, y]
zzz: {c: d}
---
body
"""

ROUND_TRIP = {
    "canonical": CANONICAL,
    "minimal": MINIMAL,
    "hand": HAND,
    "crlf": HAND.replace("\n", "\r\n"),
    "crlf-canonical": CANONICAL.replace("\n", "\r\n"),
    "fence-in-body": "---\ntitle: t\n---\n---\nnot a fence: x\n---\n\n---",
    "empty-body": "---\ntitle: t\nkind: rule\n---\n",
    "no-final-newline": "---\ntitle: t\n---",
    "empty-frontmatter-lines": "---\ntitle: t\n\n\n# only a comment\n---\n\n\nbody\n\n",
    "nulls": "---\ntitle: t\nvalid_from: null\nvalid_until: ~\nsummary:\n---\nb\n",
    "block-scalar": "---\ntitle: t\nsummary: |\n  two\n  lines\n---\nb\n",
}


@pytest.mark.parametrize("text", ROUND_TRIP.values(), ids=ROUND_TRIP.keys())
def test_parse_then_serialize_is_identical(text: str) -> None:
    assert frontmatter.serialize(frontmatter.parse(text, "a/b/c")) == text


@pytest.mark.parametrize("text", [CANONICAL, MINIMAL], ids=["canonical", "minimal"])
def test_canonical_text_is_what_the_renderer_writes(text: str) -> None:
    entry = dataclasses.replace(frontmatter.parse(text, "a/b/c"), origin=None)
    assert frontmatter.serialize(entry) == text


def test_parsed_fields_of_canonical_file() -> None:
    entry = frontmatter.parse(CANONICAL, "auth/jwt/refresh-rotation")
    assert entry.relations == (
        Relation("depends_on", "auth/jwt/signing-keys"),
        Relation("supersedes", "auth/jwt"),
    )
    assert entry.sources == (
        Source("commit", "3f2a1c9"),
        Source("file", "src/auth/refresh.py#L40-88"),
    )
    assert (entry.created, entry.updated) == ("2026-11-20T10:02:11Z", "2026-11-21T09:00:00Z")
    assert entry.anchors == ("src/auth/refresh.py",)
    assert entry.body.startswith("# Refresh tokens rotate on every use\n")


@pytest.mark.parametrize("crlf", [False, True])
def test_changing_one_field_writes_canonical_text(crlf: bool) -> None:
    text = HAND.replace("\n", "\r\n") if crlf else HAND
    entry = frontmatter.parse(text, "a/b/c")
    nested = {"a": 1, "b": ["x", "y"]}
    assert entry.extra == (("custom_key", "keep me"), ("nested", nested), ("zzz", {"c": "d"}))
    changed = dataclasses.replace(entry, importance=90)
    out = frontmatter.serialize(changed)
    # The frontmatter is rewritten canonically, in the file's line-ending style; the body is
    # kept byte for byte.
    assert out == (HAND_CHANGED.replace("\n", "\r\n") if crlf else HAND_CHANGED)
    assert frontmatter.parse(out, "a/b/c") == changed


@pytest.mark.parametrize(
    ("body", "crlf", "expected"),
    [
        ("a\nb\n", True, "a\r\nb\r\n"),
        ("a\r\nb\n", True, "a\r\nb\r\n"),
        ("a\r\nb\r\n", True, "a\r\nb\r\n"),
        ("a\r\nb\r\n", False, "a\nb\n"),
        ("a\nb", False, "a\nb"),
        ("", True, ""),
    ],
)
def test_a_rewrite_keeps_the_files_line_endings(body: str, crlf: bool, expected: str) -> None:
    text = HAND.replace("\n", "\r\n") if crlf else HAND
    entry = dataclasses.replace(frontmatter.parse(text, "a/b/c"), body=body)
    for changed in (entry, dataclasses.replace(entry, importance=90)):
        out = frontmatter.serialize(changed)
        assert out.endswith("---" + ("\r\n" if crlf else "\n") + expected)
        head = out.removesuffix(expected)
        assert head.count("\n") == head.count("\r\n" if crlf else "\n")
        assert frontmatter.parse(out, "a/b/c").body == expected


def test_a_bom_is_skipped_and_not_written() -> None:
    entry = frontmatter.parse("\ufeff" + CANONICAL, "a/b/c")
    assert entry == frontmatter.parse(CANONICAL, "a/b/c")
    assert frontmatter.serialize(entry) == CANONICAL
    assert frontmatter.serialize(dataclasses.replace(entry, importance=90)).startswith("---\n")


@pytest.mark.parametrize(
    ("text", "line", "key", "first"),
    [
        ("---\ntitle: a\ntitle: b\n---\n", 3, "title", 2),
        ("---\ntitle: a\nkind: fact\n\n# c\nkind: rule\n---\n", 6, "kind", 3),
        ("---\ntitle: a\nx:\n  y: 1\n  y: 2\n---\n", 5, "y", 4),
        ("---\ntitle: a\nrelations:\n  - {type: related, type: related, target: a/b}\n---\n",
         4, "type", 4),
        ("---\r\ntitle: a\r\nsummary: s\r\ntitle: b\r\n---\r\n", 4, "title", 2),
        ("---\n1: a\n1: b\ntitle: t\n---\n", 3, "1", 2),
    ],
)  # fmt: skip
def test_duplicate_keys_name_path_line_and_key(text: str, line: int, key: str, first: int) -> None:
    with pytest.raises(InvalidEntryError) as info:
        frontmatter.parse(text, "a/b/c")
    assert info.value.message == f"{PATH}:{line}: duplicate key {key!r} (first on line {first})"
    assert (info.value.path, info.value.line) == (PATH, line)


def test_equal_keys_of_different_types_are_not_duplicates() -> None:
    entry = frontmatter.parse("---\ntitle: t\nx: {1: a, '1': b}\n---\n", "a/b/c")
    assert entry.extra == (("x", {1: "a", "1": "b"}),)


def test_timestamps_stay_strings_and_are_written_unquoted() -> None:
    text = "---\ntitle: t\ncreated: 2026-11-20T10:02:11Z\nupdated: 2026-11-20\n---\n"
    entry = frontmatter.parse(text, "a/b/c")
    assert entry.created == "2026-11-20T10:02:11Z"
    assert entry.updated == "2026-11-20"
    out = frontmatter.serialize(dataclasses.replace(entry, title="u"))
    assert "\ncreated: 2026-11-20T10:02:11Z\nupdated: 2026-11-20\n" in out


def test_strings_that_look_like_other_scalars_stay_strings() -> None:
    entry = Entry(
        id="a/b/c",
        title="2024",
        summary="null",
        tags=("yes", "no", "on", "1.5", "0x1f", "~", "12:30"),
        sources=(Source("commit", "0012345"), Source("ticket", "1e3")),
        author="true",
        created="2026-11-20T10:02:11Z",
    )
    text = frontmatter.serialize(entry)
    assert "\ntitle: '2024'\n" in text
    assert "\ntags: ['yes', 'no', 'on', '1.5', '0x1f', '~', '12:30']\n" in text
    assert "  - {type: commit, ref: '0012345'}\n" in text
    assert frontmatter.parse(text, "a/b/c") == entry


slugs = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,12}", fullmatch=True).filter(
    lambda s: s not in RESERVED
)
one_line = st.text().filter(lambda s: not any(ch in s for ch in "\n\r\x85\u2028\u2029"))
targets = st.lists(slugs, min_size=2, max_size=4).map("/".join)
entries = st.builds(
    Entry,
    id=st.just("a/b/c"),
    title=one_line,
    body=st.text(),
    summary=st.text(),
    kind=st.sampled_from(KINDS),
    tags=st.lists(st.text(), max_size=4).map(tuple),
    keywords=st.lists(st.text(), max_size=4).map(tuple),
    relations=st.lists(st.builds(Relation, st.sampled_from(RELATION_TYPES), targets)).map(tuple),
    sources=st.lists(st.builds(Source, st.text(), st.text()), max_size=3).map(tuple),
    author=st.text(),
    trust=st.sampled_from(TRUST_LEVELS),
    importance=st.integers(0, 100),
    maturity=st.sampled_from(MATURITIES),
    created=st.text(),
    updated=st.text(),
    valid_from=st.none() | st.text(),
    valid_until=st.none() | st.text(),
    anchors=st.lists(st.text(), max_size=3).map(tuple),
    extra=st.dictionaries(
        st.from_regex(r"x_[a-z]{1,6}", fullmatch=True),
        st.text() | st.integers() | st.lists(st.text(), max_size=2),
        max_size=3,
    ).map(lambda d: tuple(d.items())),
)


# 100 examples (hypothesis' default) cover the strategy's kinds of value; 300 cost 7% of the
# whole suite. `pytest --hypothesis-profile=explore` runs 1000.
@settings(max_examples=100)
@given(entries)
def test_serialize_then_parse_is_identity(entry: Entry) -> None:
    text = frontmatter.serialize(entry)
    # An LF file is written all LF (the module's line-ending rule): a CRLF inside the body
    # comes back as LF; nothing else changes.
    expected = replace(entry, body=entry.body.replace("\r\n", "\n"))
    assert frontmatter.parse(text, entry.id) == expected
    assert frontmatter.serialize(frontmatter.parse(text, entry.id)) == text


@pytest.mark.parametrize("text", ["标题：认证令牌", "rotate 🔑 keys 🚀", "---", 'it\'s "quoted"'])
def test_unicode_and_odd_titles_round_trip(text: str) -> None:
    entry = Entry(id="a/b/c", title=text, tags=(text,), body=f"# {text}\n")
    assert frontmatter.parse(frontmatter.serialize(entry), "a/b/c") == entry


PATH = "tree/a/b/c.md"
MALFORMED = {
    "no-opening-fence": ("title: x\n---\nbody\n", 1),
    "leading-blank-line": ("\n---\ntitle: x\n---\n", 1),
    "unclosed-fence": ("---\ntitle: x\nbody\n", 1),
    "yaml-syntax": ("---\ntitle: x\nsummary: a: b\n---\n", 3),
    "yaml-unclosed-list": ("---\ntitle: x\n# c\nkind: [fact\n---\n", 5),
    "list-not-mapping": ("---\n- title\n- x\n---\n", 2),
    "scalar-not-mapping": ("---\njust text\n---\n", 2),
    "missing-title": ("---\nkind: fact\n---\n", 1),
    "null-title": ("---\nkind: fact\ntitle:\n---\n", 3),
    "bool-title": ("---\nkind: fact\ntitle: true\n---\n", 3),
    "bad-kind": ("---\ntitle: x\n\n# comment\nkind: idea\n---\n", 5),
    "importance-101": ("---\ntitle: x\nimportance: 101\n---\n", 3),
    "importance-high": ("---\ntitle: x\nkind: fact\nimportance: high\n---\n", 4),
    "importance-true": ("---\ntitle: x\nimportance: true\n---\n", 3),
    "importance-over": ("---\ntitle: x\nimportance: 100.5\n---\n", 3),
    "relation-type": ("---\ntitle: x\nrelations:\n  - {type: likes, target: a/b}\n---\n", 3),
    "relation-target": (
        "---\ntitle: x\nkind: fact\nrelations:\n  - {type: related, target: ../x}\n---\n",
        4,
    ),
    "relation-not-list": ("---\ntitle: x\nrelations: a/b/c\n---\n", 3),
    "relation-no-target": ("---\ntitle: x\nrelations:\n  - {type: related}\n---\n", 3),
    "tags-string": ("---\ntitle: x\ntags: auth\n---\n", 3),
    "tags-mapping-item": ("---\ntitle: x\ntags:\n  - {a: b}\n---\n", 3),
    "schema-newer": ("---\nschema: 2\ntitle: x\n---\n", 2),
    "trust-unknown": ("---\ntitle: x\ntrust: me\n---\n", 3),
    "crlf-bad-kind": ("---\r\ntitle: x\r\n\r\nkind: idea\r\n---\r\n", 4),
}


@pytest.mark.parametrize(("text", "line"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_entries_name_path_and_file_line(text: str, line: int) -> None:
    with pytest.raises(InvalidEntryError) as info:
        frontmatter.parse(text, "a/b/c")
    assert str(info.value).startswith(f"{PATH}:{line}: ")
    assert (info.value.path, info.value.line) == (PATH, line)
    assert info.value.hint


def test_error_uses_the_given_path() -> None:
    with pytest.raises(InvalidEntryError, match=r"^archive/a/b/c\.md:2: "):
        frontmatter.parse("---\nkind: bad\ntitle: x\n---\n", "a/b/c", "archive/a/b/c.md")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0012345", "0012345"),
        ("12:30", "12:30"),
        ("0x1f", "0x1f"),
        ("yes", "yes"),
        ("off", "off"),
        ("1_000", "1_000"),
        ("1e5", "1e5"),
    ],
)
def test_hand_written_scalars_are_not_reinterpreted(raw: str, expected: str) -> None:
    text = f"---\ntitle: T\nsources:\n  - {{type: commit, ref: {raw}}}\n---\nbody\n"
    entry = frontmatter.parse(text, "a/b/c")
    assert entry.sources[0].ref == expected
    assert (
        frontmatter.parse(frontmatter.serialize(dataclasses.replace(entry, title="U")), "a/b/c")
        .sources[0]
        .ref
        == expected
    )
