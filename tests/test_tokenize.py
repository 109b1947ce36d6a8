"""Text -> terms: table tests for each helper, properties for the invariants the index relies on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctxtree.retrieval.tokenize import STOPWORDS, fold, joined, query_terms, stem, stems, terms


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hello World", "hello world"),
        ("Café Ñandú", "cafe nandu"),
        ("Việt Nam", "viet nam"),
        ("Straße", "strasse"),
        ("İstanbul", "istanbul"),
        ("Ελληνικά άέ", "ελληνικα αε"),
        ("Ёлка", "елка"),
        ("Привет", "привет"),
        # Voicing marks are part of the kana; Hangul syllables stay whole.
        ("がぎぐ パピ", "がぎぐ パピ"),
        ("한국어 텍스트", "한국어 텍스트"),
        ("東京都", "東京都"),
        # NFKC: fullwidth and compatibility forms become their plain equivalents.
        ("ＡＢＣ１２３", "abc123"),
        ("ＧＰＴ４は便利", "gpt4は便利"),
        ("ﬁle", "file"),
        ("x²", "x2"),
        ("①", "1"),
        ("ｶﾞ", "ガ"),
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("   \n\t ", []),
        ("Hello, World!", ["hello", "world"]),
        ("the cat the", ["the", "cat", "the"]),
        ("東京都", ["東京", "京都"]),
        ("東", ["東"]),
        ("東 京", ["東", "京"]),
        ("한국어 텍스트", ["한국", "국어", "텍스", "스트"]),
        ("東京タワー", ["東京", "京タ", "タワ", "ワー"]),
        ("GPT4は便利", ["gpt4", "は便", "便利"]),
        ("ＧＰＴ４は便利", ["gpt4", "は便", "便利"]),
        ("中文 English 混合", ["中文", "english", "混合"]),
        ("ab東cd", ["ab", "東", "cd"]),
        ("__init__ foo_bar _x x_", ["foo_bar", "x_"]),
        ("_東京 _привет", ["東京"]),
        ("abc 123 4.5 2024", ["abc", "123", "4", "5", "2024"]),
        ("x_y 1_000", ["x_y", "1_000"]),
        ("Café crème", ["cafe", "creme"]),
        ("Привет, мир", ["привет", "мир"]),
        ("it's", ["it", "s"]),
    ],
)
def test_terms(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("the cat and the dog", ["cat", "dog"]),
        ("cat dog cat", ["cat", "dog"]),
        ("Refresh the TOKEN refresh", ["refresh", "token"]),
        # A query made only of stopwords keeps them (deduplicated, in order).
        ("the and of the", ["the", "and", "of"]),
        ("what is it", ["what", "is", "it"]),
        # Negations and numbers are content.
        ("not the 2 keys", ["not", "2", "keys"]),
        ("東京の天気", ["東京", "京の", "の天", "天気"]),
        ("", []),
    ],
)
def test_query_terms(query: str, expected: list[str]) -> None:
    assert query_terms(query) == expected


def test_stopwords_are_folded_terms() -> None:
    # A stopword that terms() could never produce would silently never be dropped.
    assert all(terms(word) == [word] for word in STOPWORDS)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("tokens", "token"),
        ("token", "token"),
        ("tested", "test"),
        ("testing", "test"),
        ("boxes", "box"),
        ("glasses", "glass"),
        # Short words and stems that would fall under 3 characters are left alone.
        ("bus", "bus"),
        ("uses", "use"),
        ("using", "using"),
        ("ed", "ed"),
        ("s", "s"),
        ("", ""),
        # Non-ASCII terms are never stripped.
        ("cafés", "cafés"),
        ("東京", "東京"),
    ],
)
def test_stem(term: str, expected: str) -> None:
    assert stem(term) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tokens tested tokens", {"token", "test"}),
        ("Refresh tokens", {"refresh", "token"}),
        ("東京都", {"東京", "京都"}),
        ("", set()),
    ],
)
def test_stems(text: str, expected: set[str]) -> None:
    assert stems(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, World! 東京都", "hello world 東京 京都"),
        ("GPT4は便利", "gpt4 は便 便利"),
        ("_private  Café\n\nx", "cafe x"),
        ("", ""),
    ],
)
def test_joined(text: str, expected: str) -> None:
    assert joined(text) == expected


# Text drawn from the scripts the tokenizer treats differently, plus anything hypothesis likes.
_MIXED = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("aZé_ 9\t\n.,!-'東京都はがパ한국ёЁΆ²①ＡＧ４ｶﾞ")),
        st.characters(),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(_MIXED)
def test_terms_are_never_empty_or_whitespace(text: str) -> None:
    for term in terms(text):
        assert term
        assert not any(ch.isspace() for ch in term)
        assert not term.startswith("_")


@settings(max_examples=200, deadline=None)
@given(_MIXED)
def test_terms_of_folded_text_are_the_same(text: str) -> None:
    assert terms(fold(text)) == terms(text)


@settings(max_examples=200, deadline=None)
@given(_MIXED)
def test_joined_is_idempotent(text: str) -> None:
    # FTS5 indexes joined(text); a query term must find the same terms there.
    again = terms(joined(text))
    assert again == terms(text)
    assert joined(joined(text)) == joined(text)
