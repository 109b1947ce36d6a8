"""secrets: what is detected, what is not, redaction and entropy.

Fake credentials are assembled by concatenation so this file never trips a secret scanner.
"""

from __future__ import annotations

import math

import pytest

from ctxtree.tree import secrets
from ctxtree.tree.secrets import Secret

AWS = "AKIA" + "IOSFODNN7EXAMPLE"
GHP = "ghp" + "_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
GH_PAT = "github" + "_pat_" + "11ABCDEFG0" + "x7Yq2Lm9Pz" * 7
GLPAT = "glpat" + "-" + "xY7bQ2mN9pLk4RtW8vZs"
SLACK = "xoxb" + "-" + "2468013579-1357924680-AbCdEfGhIjKlMnOp"
STRIPE = "sk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
OPENAI = "sk" + "-proj-" + "T3BlbkFJ" + "q8Zr2LmP0vXs9TnB4kYwQ1aZ2sX3dC4f"
ANTHROPIC = "sk" + "-ant-api03-" + "Zq8r2LmP0vXs9TnB4kYw" + "Q1aZ2sX3dC4fV5gB6hN7"
GOOGLE = "AI" + "za" + "SyD4k9Qw3Ez8Rt7Yu6Io5Pa4Sd3Fg2Hj1Kl"
NPM = "npm" + "_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
JWT = "eyJ" + "hbGciOiJIUzI1NiJ9" + ".eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0" + ".dozjgNryP4J3jVmNHl0w5N"
# A header counts with key material after it (a header alone is prose about keys).
KEY_LINE = "MIIEpAIBAAKCAQEA" + "x7Yq2Lm9Pz" * 4 + "q8Zr2LmP0vXs9TnB"
RSA_HEADER = "-----BEGIN RSA " + "PRIVATE KEY-----"
RSA_END = "-----END RSA " + "PRIVATE KEY-----"
RSA = RSA_HEADER + "\n" + KEY_LINE
OPENSSH = "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n" + "b3BlbnNzaC1rZXktdjEAAAAA" + "Qm9vZ3" * 7
PG_URL = "postgres://user:" + "hunter2pass" + "@db:5432/x"
ASSIGNMENT = 'API_KEY = "' + "q8Zr2LmP0vXs9TnB4kYw" + '"'

DETECTED = {
    "aws": (AWS, "aws-access-key-id"),
    "github-ghp": (GHP, "github-token"),
    "github-pat": (GH_PAT, "github-token"),
    "gitlab": (GLPAT, "gitlab-token"),
    "slack": (SLACK, "slack-token"),
    "stripe": (STRIPE, "stripe-key"),
    "openai": (OPENAI, "openai-key"),
    "anthropic": (ANTHROPIC, "anthropic-key"),
    "google": (GOOGLE, "google-api-key"),
    "npm": (NPM, "npm-token"),
    "jwt": (JWT, "jwt"),
    "rsa-key": (RSA, "private-key"),
    "openssh-key": (OPENSSH, "private-key"),
    "password-url": (PG_URL, "password-in-url"),
    "assignment": (ASSIGNMENT, "high-entropy-secret"),
}


@pytest.mark.parametrize(("secret", "kind"), DETECTED.values(), ids=DETECTED.keys())
@pytest.mark.parametrize("line", [1, 3])
def test_detected_with_kind_and_line(secret: str, kind: str, line: int) -> None:
    text = "intro\n\n" * (line > 1) + f"use {secret} here\ntrailing prose\n"
    assert [(f.kind, f.line) for f in secrets.scan(text)] == [(kind, line)]


def test_finding_excerpt_is_masked() -> None:
    assert secrets.scan(f"key: {AWS}") == [Secret("aws-access-key-id", 1, "AKIA…")]
    assert secrets.scan(ASSIGNMENT)[0].describe() == "high-entropy-secret on line 1 (q8Zr…)"


NOT_DETECTED = {
    "prose": "Refresh tokens rotate on every use; the secret is never logged.",
    "env-name": "the STRIPE_SECRET_KEY variable, held in Vault",
    "password-pointer": "password: see the vault",
    "git-sha": "fixed in commit 3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
    "url": "https://example.com/a/b",
    "url-with-user": "https://user@host/path",
    "url-with-port": "http://localhost:8080/health",
    "token-none": "token = None",
    "secret-santa": "secret_santa = true",
    "low-entropy": "password = aaaaaaaaaaaaaaaaaaaa1",
    "no-digit": "api_key: ReadTheDocsForThisValue",
    "short-value": "token = abc123",
    "pem-public": "-----BEGIN PUBLIC KEY-----",
    "sk-short": "sk-learn is a library",
    "aws-too-short": "AKIA" + "SHORT",
    "stripe-name": "sk_live_ prefix is documented",
    "path": "/run/secrets/db_password",
    # False positives found by the outside reliability test.
    "commit-token": "commit_token: 3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
    "key-path": "private_key_path: /etc/ssl/key.pem",
    "secret-key-ref": "valueFrom:\n  secretKeyRef:\n    name: db\n    key: password\n",
    "secret-key-ref-flat": "valueFrom: secretKeyRef: name: db key: password",
    # Placeholders and references name a secret kept elsewhere (changeme is the documented
    # default everyone knows, not a leak).
    "env-reference": "password: ${DB_PASSWORD}",
    "redacted": "password: <redacted>",
    "changeme": "password=changeme",
    "template": 'password: "{{ vault_db_password }}"',
    "code-reference": 'password = os.environ["DB_PASSWORD"]',
    "markers": "password: [REDACTED:password]\ntoken [REDACTED:github-token]",
    "pem-header-in-prose": f"the file must start with {RSA_HEADER} and end with {RSA_END}",
    "iam-role-id": "role id AROA" + "3XFRBF535PLBIFPI4",
}


@pytest.mark.parametrize("text", NOT_DETECTED.values(), ids=NOT_DETECTED.keys())
def test_not_detected(text: str) -> None:
    assert secrets.scan(text) == []
    assert secrets.redact(text) == text


@pytest.mark.parametrize(("secret", "kind"), DETECTED.values(), ids=DETECTED.keys())
def test_redact_removes_the_value_and_keeps_the_rest(secret: str, kind: str) -> None:
    text = f"# Title\n\nuse {secret} here\n"
    out = secrets.redact(text)
    assert secret not in out
    assert f"[REDACTED:{kind}]" in out
    assert out.startswith("# Title\n\nuse ")
    assert out.endswith(" here\n")
    assert secrets.scan(out) == []


REDACTED = {
    "token": (f"export GITHUB_TOKEN={GHP}\n", "export GITHUB_TOKEN=[REDACTED:github-token]\n"),
    "assignment": (ASSIGNMENT, 'API_KEY = "[REDACTED:high-entropy-secret]"'),
    # Only the password goes: the host and the user stay useful and are not secret.
    "url": (f"dsn {PG_URL} ok", "dsn postgres://user:[REDACTED:password-in-url]@db:5432/x ok"),
    "anthropic": (f"k={ANTHROPIC}", "k=[REDACTED:anthropic-key]"),
    "two": (f"{AWS} and {NPM}.", "[REDACTED:aws-access-key-id] and [REDACTED:npm-token]."),
    # The whole block goes, BEGIN to END: masking the BEGIN line alone kept the key.
    "key-block": (
        f"key:\n{RSA}\n{KEY_LINE}\nMIIE\n{RSA_END}\nrotate it\n",
        "key:\n[REDACTED:private-key]\nrotate it\n",
    ),
    "key-no-end": (f"{RSA}\n{KEY_LINE}\nAbC=\n\nprose\n", "[REDACTED:private-key]\n\nprose\n"),
    "key-headerless": (f"a\n{KEY_LINE}\n{KEY_LINE}\nb\n", "a\n[REDACTED:private-key]\nb\n"),
}


@pytest.mark.parametrize(("text", "expected"), REDACTED.values(), ids=REDACTED.keys())
def test_redact_exact(text: str, expected: str) -> None:
    assert secrets.redact(text) == expected


def test_scan_reports_every_finding_in_order() -> None:
    text = f"a {AWS}\nb\nc {GLPAT} {SLACK}\n"
    assert [(f.kind, f.line) for f in secrets.scan(text)] == [
        ("aws-access-key-id", 1),
        ("gitlab-token", 3),
        ("slack-token", 3),
    ]


ENTROPY = {
    "empty": ("", 0.0),
    "one-char": ("aaaa", 0.0),
    "two-even": ("abab", 1.0),
    "four-distinct": ("abcd", 2.0),
    "skewed": ("aaab", -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))),
    "sixteen-distinct": ("0123456789abcdef", 4.0),
    "twenty-distinct": ("q8Zr2LmP0vXs9TnB4kYw", math.log2(20)),
}


@pytest.mark.parametrize(("text", "expected"), ENTROPY.values(), ids=ENTROPY.keys())
def test_entropy(text: str, expected: float) -> None:
    assert secrets.entropy(text) == pytest.approx(expected, abs=1e-12)


def test_skewed_entropy_hand_value() -> None:
    assert secrets.entropy("aaab") == pytest.approx(0.8112781244591328)


ZW = "\u200b"


def test_zero_width_characters_inside_a_token_are_seen_through() -> None:
    laced = GHP[:9] + ZW + GHP[9:20] + "\u2060\ufeff" + GHP[20:]
    text = f"one\ntwo\nexport GITHUB_TOKEN={laced}\n"
    assert [(f.kind, f.line, f.excerpt) for f in secrets.scan(text)] == [
        ("github-token", 3, "ghp_…")
    ]
    assert secrets.redact(text) == "one\ntwo\nexport GITHUB_TOKEN=[REDACTED:github-token]\n"


SPLIT = {
    "hard-wrap": (f"a\nGITHUB_TOKEN={GHP[:20]}\n{GHP[20:]}\nz\n", "github-token", 2),
    "backslash": (f"a\nb\nTOKEN={GHP[:15]}\\\n    {GHP[15:]}\n", "github-token", 3),
    "concatenation": (f'k = "{ANTHROPIC[:30]}" + "{ANTHROPIC[30:]}"\n', "anthropic-key", 1),
    "implicit": (f'k = (\n    "{OPENAI[:25]}"\n    "{OPENAI[25:]}"\n)', "openai-key", 2),
}


@pytest.mark.parametrize(("text", "kind", "line"), SPLIT.values(), ids=SPLIT.keys())
def test_a_token_split_across_lines_is_found_and_masked_whole(
    text: str, kind: str, line: int
) -> None:
    assert [(f.kind, f.line) for f in secrets.scan(text)] == [(kind, line)]
    out = secrets.redact(text)
    assert f"[REDACTED:{kind}]" in out
    for piece in (GHP[:15], GHP[20:], ANTHROPIC[:30], ANTHROPIC[30:], OPENAI[25:]):
        assert piece not in out


def test_line_numbers_count_lines_of_the_original_text() -> None:
    text = (
        f"# Notes\n\nkey {AWS[:6]}{ZW}{AWS[6:]}\n"  # line 3, a zero-width character inside
        f"{RSA_HEADER}\n{KEY_LINE}\n{KEY_LINE}\n{RSA_END}\n"  # lines 4-7
        f"token: {GHP[:20]}\\\n  {GHP[20:]}\n"  # line 8, continued on 9
        f"db {PG_URL}\n"  # line 10
    )
    assert [(f.kind, f.line) for f in secrets.scan(text)] == [
        ("aws-access-key-id", 3),
        ("private-key", 4),
        ("github-token", 8),
        ("password-in-url", 10),
    ]
    assert secrets.redact(text) == (
        "# Notes\n\nkey [REDACTED:aws-access-key-id]\n[REDACTED:private-key]\n"
        "token: [REDACTED:github-token]\ndb postgres://user:[REDACTED:password-in-url]@db:5432/x\n"
    )


def test_redact_is_idempotent_and_its_markers_are_not_findings() -> None:
    text = f"{AWS} {GHP}\n{RSA}\n{RSA_END}\npassword: Tundra42!x\n{PG_URL}\n"
    once = secrets.redact(text)
    assert secrets.redact(once) == once
    assert secrets.scan(once) == []
    assert once.count("[REDACTED:") == 5


def test_excerpts_never_hold_much_of_a_short_secret() -> None:
    assert [f.excerpt for f in secrets.scan("password: Tundra42!x")] == ["Tu…"]
    assert [f.excerpt for f in secrets.scan("DB_PASS=x9!kq2")] == ["x…"]


TOKEN_SHAPED = {
    "github": (GHP, "github-token"),
    "openai": (OPENAI, "openai-key"),
    "aws": (AWS, "aws-access-key-id"),
    "slack": (SLACK, "slack-token"),
    "inside-a-name": (f"bot-{GHP}", "github-token"),
    "zero-width": (GHP[:6] + ZW + GHP[6:], "github-token"),
    "random-32": ("q8Zr2LmP0vXs9TnB4kYwQ1aZ2sX3dC4f", "high-entropy-token"),
    "random-lowercase": ("k3j9x0q2m8v1z7c4b6n5a0s9d8f7g6h5", "high-entropy-token"),
    "jwt": (JWT, "jwt"),
}
NOT_TOKEN_SHAPED = [
    "auth/jwt/refresh-rotation",
    "human:alice",
    "claude-code",
    "2026-11-20-standup",
    "sha-3f2a1c9",
    "agent:codex-cli",
    "payments/stripe/webhook-signature",
    "my-very-long-descriptive-slug-name-for-2026",
    "3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",  # a git sha
    "123e4567-e89b-12d3-a456-426614174000",  # a uuid (Claude Code turn ids)
    "msg_01XFDUDYJgAACzvnptvVoYEL",  # a message id, under 32 characters
    "AbstractSingletonProxyFactoryBean2",
    "",
]


@pytest.mark.parametrize(("value", "kind"), TOKEN_SHAPED.values(), ids=TOKEN_SHAPED.keys())
def test_token_shaped_values(value: str, kind: str) -> None:
    assert secrets.looks_like_secret_token(value) == kind


@pytest.mark.parametrize("value", NOT_TOKEN_SHAPED)
def test_ordinary_names_are_not_token_shaped(value: str) -> None:
    assert secrets.looks_like_secret_token(value) is None
