"""Properties of secret detection over generated text (hypothesis): redaction is idempotent and
leaves nothing to find, prose is never flagged, a secret is found wherever it sits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_secrets_corpus import POSITIVE, RECORDS

from ctxtree.tree import secrets

FAST = settings(max_examples=200, deadline=None)

# Pieces that meet at the edges of the rules: quotes and joins, separators, markers, prefixes.
FRAGMENTS = [
    '"', "'", " + ", "\\\n", "\n", "\n    ", "\u200b", "\ufeff", " ", "=", ": ", "://", "@",
    "password=", "token: ", "DB_PASSWORD=", "--password ", "<password>", "</password>",
    "[REDACTED:github-token]", "[REDACTED:password]", "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----", "MII", "AKIA", "ghp_", "sk-", "xoxb-", "AC", "-us",
    "Authorization: Basic ", "Bearer ", "sig=", "sv=", "AccountKey=", "\\n", "q8Zr2LmP0vXs9TnB",
]  # fmt: skip
pieces = st.one_of(
    st.sampled_from([str(r["text"]) for r in RECORDS]),
    st.sampled_from([str(r["text"])[: len(str(r["text"])) // 2] for r in RECORDS]),
    st.sampled_from(FRAGMENTS),
    st.text(alphabet="aZq09+/=_-.:@ \n\"'\\\u200b", max_size=40),
)
texts = st.lists(pieces, max_size=6).map("".join)

WORDS = [
    "the", "token", "tokens", "key", "keys", "secret", "password", "passwords", "rotate",
    "refresh", "tokens.", "Authorization", "Basic", "API", "AWS", "GitHub", "Slack",

    "deploy", "staging", "prod", "db", "cache", "v1.2.3", "4096", "2026-11-20", "3f2a1c9",
    "123e4567-e89b-12d3-a456-426614174000", "/etc/ssl/key.pem", "https://example.com/a/b",
    "OAuth2", "refresh_tokens", "family_id", "AbstractSingletonProxyFactoryBean", "PKCE",
    "sk-learn", "key-value", "JWT", "RS256", "HttpOnly", "(see", "below)", "and", "is", "in",
    "`ctx", "lint`", "#", "-", "*", ",", ".", ";", "secretKeyRef", "private_key_path",
]  # fmt: skip
prose_line = st.lists(st.sampled_from(WORDS), min_size=1, max_size=14).map(" ".join)
prose = st.lists(prose_line, min_size=1, max_size=12).map("\n".join)


@FAST
@given(texts)
def test_redact_is_idempotent_and_leaves_nothing_to_find(text: str) -> None:
    once = secrets.redact(text)
    assert secrets.redact(once) == once
    assert secrets.scan(once) == []


@FAST
@given(texts)
def test_findings_point_into_the_text_and_never_show_a_secret(text: str) -> None:
    lines = text.count("\n") + 1
    for found in secrets.scan(text):
        assert 1 <= found.line <= lines
        assert found.excerpt.endswith("…") and len(found.excerpt) <= 5


@FAST
@given(prose)
def test_engineering_prose_is_never_flagged(text: str) -> None:
    assert secrets.scan(text) == []
    assert secrets.redact(text) == text


@FAST
@given(st.sampled_from(POSITIVE), st.lists(prose_line, max_size=4), prose)
def test_a_secret_is_found_wherever_it_sits(
    record: dict[str, object], before: list[str], after: str
) -> None:
    expect = record["expect"]
    assert isinstance(expect, list)
    text = "".join(f"{line}\n" for line in before) + f"{record['text']}\n\n{after}\n"
    found = [(f.kind, f.line) for f in secrets.scan(text)]
    assert found == [(kind, line + len(before)) for kind, line, _ in expect]


@FAST
@given(st.lists(st.sampled_from(WORDS[:40]), min_size=1, max_size=6))
def test_names_made_of_words_are_not_token_shaped(words: list[str]) -> None:
    for separator in ("-", "/", "_", ":"):
        assert secrets.looks_like_secret_token(separator.join(words)) is None
