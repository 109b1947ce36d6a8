"""Credential detection run on every write path (SPEC §8): nothing secret enters memory.

Patterns cover well-known token formats (their prefixes make false positives rare), private
key blocks, passwords inside URLs, and `name = value` assignments whose name says secret and
whose value looks random (Shannon entropy >= 3.5 bits/char over >= 16 chars).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

_PATTERN_SOURCES: tuple[tuple[str, str], ...] = (
    ("aws-access-key-id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b"),
    ("gitlab-token", r"\bglpat-[A-Za-z0-9_-]{20,}\b"),
    ("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    ("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b"),
    # `sk-ant-` is Anthropic's prefix: report it once, under its own kind.
    ("openai-key", r"\bsk-(?!ant-)(?:proj-)?[A-Za-z0-9_-]{32,}\b"),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{32,}\b"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    ("private-key", r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----"),
    ("password-in-url", r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s/@]{3,}@[^\s/]+"),
)

_ASSIGNMENT_SOURCE = (
    r"(?i)\b[\w.-]*(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|auth[_-]?key|"
    r"credential|private[_-]?key)[\w.-]*\s*[:=]\s*[\"']?([A-Za-z0-9+/_=.\-!@#$%^&*]{16,})"
)


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Compiled on first use: importing this module stays free for read-only commands."""
    return tuple((name, re.compile(rx)) for name, rx in _PATTERN_SOURCES)


@cache
def _assignment() -> re.Pattern[str]:
    return re.compile(_ASSIGNMENT_SOURCE)


@dataclass(frozen=True)
class Finding:
    kind: str
    line: int
    excerpt: str

    def describe(self) -> str:
        return f"{self.kind} on line {self.line} ({self.excerpt})"


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _mask(value: str) -> str:
    return value[:4] + "…" if len(value) > 4 else "…"


def scan(text: str) -> list[Finding]:
    """All credential-like strings in `text`, with 1-based line numbers and masked excerpts."""
    findings: list[Finding] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in _patterns():
            for match in pattern.finditer(line):
                findings.append(Finding(kind, lineno, _mask(match.group(0))))
        for match in _assignment().finditer(line):
            value = match.group(1)
            if entropy(value) >= 3.5 and any(ch.isdigit() for ch in value):
                findings.append(Finding("high-entropy-secret", lineno, _mask(value)))
    return findings


def redact(text: str) -> str:
    """`text` with every finding replaced by `[REDACTED:<kind>]`."""
    for kind, pattern in _patterns():
        text = pattern.sub(f"[REDACTED:{kind}]", text)

    def assignment(match: re.Match[str]) -> str:
        value = match.group(1)
        if entropy(value) >= 3.5 and any(ch.isdigit() for ch in value):
            return match.group(0).replace(value, "[REDACTED:high-entropy-secret]")
        return match.group(0)

    return _assignment().sub(assignment, text)
