"""secrets: what is detected, what is not, redaction and entropy.

Fake credentials are assembled by concatenation so this file never trips a secret scanner.
"""

from __future__ import annotations

import math

import pytest

from ctxtree.curation import secrets
from ctxtree.curation.secrets import Finding

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
RSA = "-----BEGIN RSA " + "PRIVATE KEY-----"
OPENSSH = "-----BEGIN OPENSSH " + "PRIVATE KEY-----"
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
    assert secrets.scan(f"key: {AWS}") == [Finding("aws-access-key-id", 1, "AKIA…")]
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
    "url": (f"dsn {PG_URL} ok", "dsn [REDACTED:password-in-url]/x ok"),
    "anthropic": (f"k={ANTHROPIC}", "k=[REDACTED:anthropic-key]"),
    "two": (f"{AWS} and {NPM}.", "[REDACTED:aws-access-key-id] and [REDACTED:npm-token]."),
    "key-block": (f"{RSA}\nMIIE\n", "[REDACTED:private-key]\nMIIE\n"),
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
