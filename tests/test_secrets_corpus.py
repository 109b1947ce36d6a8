"""The secret corpus (tests/data/secrets): every fake credential found with its kind and line
and masked whole; every clean text, and every file of the demo store, left alone."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from ctxtree.tree import secrets

DATA = Path(__file__).parent / "data" / "secrets"
DEMO = Path(__file__).parent.parent / "ctxtree" / "templates" / "demo"
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("secrets_corpus", DATA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATE = _generator()
RECORDS = GENERATE.load()
POSITIVE = [r for r in RECORDS if r["expect"]]
CLEAN = [r for r in RECORDS if not r["expect"]]

# The kinds the issue lists, each of which needs examples in the corpus.
REQUIRED = {
    "aws-access-key-id", "aws-secret-access-key", "aws-key-pair", "github-classic",
    "github-fine-grained", "github-oauth", "github-app", "gitlab", "slack-bot", "slack-user",
    "slack-app", "slack-webhook", "stripe", "openai", "anthropic", "google-api-key",
    "gcp-service-account", "npm", "pypi", "huggingface", "sendgrid", "twilio-api-key",
    "twilio-auth-token", "mailgun", "mailchimp", "discord-bot-token", "discord-webhook",
    "telegram", "heroku", "digitalocean", "shopify", "square", "azure-storage-key", "azure-sas",
    "azure-client-secret", "jwt", "private-key-rsa", "private-key-ec", "private-key-openssh",
    "private-key-pgp", "private-key-encrypted", "private-key-dsa", "private-key-headerless",
    "password-in-url", "env-password", "json-password", "yaml-password", "basic-auth",
    "bearer-token", "split-lines", "zero-width",
}  # fmt: skip


def ids(records: list[dict[str, object]]) -> list[str]:
    return [f"{r['kind']}-{i}" for i, r in enumerate(records)]


def test_the_corpus_file_is_what_the_generator_writes() -> None:
    assert (DATA / "corpus.jsonl").read_text(encoding="utf-8") == GENERATE.build()


def test_the_corpus_has_examples_of_every_kind_listed() -> None:
    count = {kind: sum(r["kind"] == kind for r in POSITIVE) for kind in REQUIRED}
    assert {kind: n for kind, n in count.items() if n < 2} == {}
    assert len(CLEAN) >= 50


@pytest.mark.parametrize("record", POSITIVE, ids=ids(POSITIVE))
def test_every_secret_is_found_with_its_kind_and_line(record: dict[str, object]) -> None:
    expect = record["expect"]
    assert isinstance(expect, list)
    found = [(f.kind, f.line) for f in secrets.scan(str(record["text"]))]
    assert found == [(kind, line) for kind, line, _ in expect]


@pytest.mark.parametrize("record", POSITIVE, ids=ids(POSITIVE))
def test_redact_masks_every_secret_whole(record: dict[str, object]) -> None:
    text, expect = str(record["text"]), record["expect"]
    assert isinstance(expect, list)
    out = secrets.redact(text)
    assert out.count("[REDACTED:") == len(expect)
    for kind, _, value in expect:
        assert f"[REDACTED:{kind}]" in out
        # No piece of it survives: not a line of a key block, not a part of a split token,
        # not a zero-width character from inside it.
        for piece in re.split(r"\\n|[\s\"'+.\\]+", value.translate(ZERO_WIDTH)):
            assert len(piece) < 8 or piece not in out.translate(ZERO_WIDTH)
    assert secrets.scan(out) == []
    assert secrets.redact(out) == out


@pytest.mark.parametrize("record", CLEAN, ids=ids(CLEAN))
def test_clean_text_stays_clean(record: dict[str, object]) -> None:
    text = str(record["text"])
    assert secrets.scan(text) == []
    assert secrets.redact(text) == text


@pytest.mark.parametrize(
    "path", sorted(p for p in DEMO.rglob("*") if p.is_file()), ids=lambda p: p.name
)
def test_the_demo_store_scans_clean(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert secrets.scan(text) == []
    assert all(secrets.scan(line) == [] for line in text.splitlines())
