"""Canonical identity (tree/identity.py) and its index terms (retrieval/tokenize.py): table
tests and properties."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctxtree.retrieval.tokenize import document, query_terms
from ctxtree.tree import identity

needs_names = pytest.mark.skipif(
    not identity.transliteration_available(),
    reason="the ctxtree[names] extra (anyascii) is not installed",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail ALICE@ACME.IO today", [("email", "alice@acme.io")]),
        ("ping @Alice_B or @bob", [("handle", "@alice_b"), ("handle", "@bob")]),
        ("bob@x.org and @carol", [("email", "bob@x.org"), ("handle", "@carol")]),
        ("SSN 123-45-6789", [("number", "123456789")]),
        ("SSN 123 45 6789.", [("number", "123456789")]),
        ("card 4111 1111 1111 1111", [("number", "4111111111111111")]),
        ("card 4111-1111-1111-1111", [("number", "4111111111111111")]),
        ("call (555) 123-4567", [("number", "5551234567")]),
        ("call 555.123.4567", [("number", "5551234567")]),
        ("call +1 (555) 123-4567", [("number", "15551234567")]),
        ("full width １２３４５６７８９", [("number", "123456789")]),
        ("on 2026-11-20 at 10:00", []),  # a date is not an identifier
        ("born 1985, has 3 kids, zip 12345", []),  # too short to identify anyone
        ("order 12345678901234567890123", []),  # too long for a personal number
        ("version 1.2.3", []),
    ],
)
def test_identifiers(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(i.kind, i.canonical) for i in identity.identifiers(text)] == expected


def test_international_number_also_keys_its_national_form() -> None:
    (number,) = identity.numbers("+44 20 7946 0958")
    assert number.keys == ("442079460958", "2079460958")
    assert identity.number_keys("020 7946 0958") == ("02079460958",)


@needs_names
@pytest.mark.parametrize(
    ("text", "canonical"),
    [("王小明", "wangxiaoming"), ("김민수", "gimminsu"), ("Дмитрий", "dmitriy")],
)
def test_non_latin_names_are_transliterated(text: str, canonical: str) -> None:
    (name,) = identity.identifiers(text)
    assert (name.kind, name.canonical) == ("name", canonical)


@needs_names
def test_latin_spellings_meet_a_chinese_name_in_either_order() -> None:
    keys = identity.name_keys("王小明")
    assert keys == {"wangxiao", "xiaoming", "wangxiaoming"}
    for spelling in ("Xiaoming Wang", "Wang Xiaoming", "WANG Xiao Ming"):
        assert keys & identity.latin_name_keys(spelling), spelling
    assert not keys & identity.latin_name_keys("Wang Li")


def test_index_and_query_terms_share_the_digit_form() -> None:
    for written in ("123-45-6789", "123 45 6789", "123.45.6789", "123456789"):
        assert "123456789" in document(f"SSN {written}").split()
        assert "123456789" in query_terms(written)
    assert query_terms("123-45-6789") == ["123456789"]
    assert document("plain words only") == "plain words only"


@needs_names
def test_index_and_query_terms_carry_pinyin() -> None:
    assert "xiaoming" in document("朋友王小明").split()
    assert {"wang", "xiaoming"} <= set(query_terms("王小明"))


SEPARATORS = st.sampled_from([" ", "-", ".", "/", ""])
DIGITS = st.text(alphabet="0123456789", min_size=identity.MIN_DIGITS, max_size=16)


# A shared 2-core machine can make one draw slow; the property, not the speed, is tested.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@RELAXED
@given(DIGITS, st.lists(SEPARATORS, min_size=16, max_size=16), st.integers(1, 5))
def test_separators_never_change_a_number(digits: str, seps: list[str], group: int) -> None:
    pieces = [digits[i : i + group] for i in range(0, len(digits), group)]
    written = "".join(p + s for p, s in zip(pieces, seps, strict=False)).strip(" -./")
    if identity._ISO_DATE.fullmatch(written):  # a date-shaped number is a date
        return
    (number,) = identity.numbers(f"id {written} end")
    assert number.canonical == digits


IDENT_TEXT = st.one_of(
    st.emails(),
    DIGITS,
    st.text(alphabet="abcXYZ@.-_ 0123456789", max_size=40),
)


@RELAXED
@given(IDENT_TEXT)
def test_canonical_forms_are_idempotent(text: str) -> None:
    for ident in identity.identifiers(text):
        again = identity.identifiers(ident.canonical)
        assert [i.canonical for i in again] == [ident.canonical], ident
    assert identity.normalize(identity.normalize(text)) == identity.normalize(text)


@RELAXED
@given(st.emails())
def test_email_case_never_matters(email: str) -> None:
    lower = [i.canonical for i in identity.emails(email.lower())]
    upper = [i.canonical for i in identity.emails(email.upper())]
    assert lower == upper
