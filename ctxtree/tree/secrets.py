"""Credential detection run on every write path (SPEC §8): nothing secret enters memory.

`scan` lists credentials, `redact` masks them, `looks_like_secret_token` judges one short value
(an id segment, an author). Rules run in this order; the first to claim a span names it:

1. private keys: PEM blocks, BEGIN to END (or to the end of the key body when END is missing),
   and key bodies without their header, recognised by what they decode to (a DER private key,
   an OpenSSH or OpenPGP secret key), never by length alone;
2. token formats with a vendor prefix or a fixed shape (`ghp_`, `xoxb-`, `AKIA`, JWTs, ...);
3. context: a 40-character AWS secret near an access key id, a Twilio auth token near its
   account SID, Azure connection strings and SAS signatures, passwords in URLs (user optional),
   `Basic` and `Bearer` credentials;
4. assignments (code, YAML, JSON, .env, XML, CLI flags, Kubernetes name/value pairs) whose
   name says secret and whose value is a literal: a password when it mixes letters with digits
   or symbols, any other secret when it looks random (Shannon entropy >= 3.5 bits/char over 16+
   chars, with digits, switching character class like random text does). Placeholders
   (`${X}`, `<x>`, `changeme`), references (`os.environ[...]`, `var.x`, paths, ENV_NAMES) and
   names that describe a secret without holding it (`*_path`, `*Ref`, `commit_token`) are not.

Text is read twice when needed: with zero-width characters removed (they hide a token from a
regex, not from whoever copies it), and again with tokens split across lines rejoined
(backslash continuations, string concatenations, hard wraps). Offsets map back to the
original, so line numbers stay right and `redact` masks the original characters, every line
of a key block and the zero-width characters inside a token included.
"""

from __future__ import annotations

import binascii
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_TOK = r"[A-Za-z0-9_+/=-]"  # characters a token is made of, for rejoining split ones


@dataclass(frozen=True)
class Secret:
    """A credential `scan` found: its kind, 1-based line and a masked excerpt."""

    kind: str
    line: int
    excerpt: str

    def describe(self) -> str:
        return f"{self.kind} on line {self.line} ({self.excerpt})"


@dataclass(frozen=True)
class _Hit:
    start: int  # offsets in the original text
    end: int
    kind: str
    excerpt: str
    rank: int  # the rule that found it, most specific first


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _mask(value: str) -> str:
    """At most 4 leading characters, fewer for short values: never the secret whole."""
    return value[: min(4, len(value) // 4)] + "…"


# ---- value shapes --------------------------------------------------------------------------
def _mixed_case(value: str) -> bool:
    return any(c.islower() for c in value) and any(c.isupper() for c in value)


def _has_digit(value: str) -> bool:
    return any(c.isdigit() for c in value)


def _switch_rate(value: str) -> float:
    """Share of adjacent characters switching letter<->digit or lower->upper: about 0.45 in
    random base62, 0.4 in random hex, under 0.15 in CamelCase words and slugs."""
    switches = 0
    prev = ""
    for c in value:
        cls = "d" if c.isdigit() else "u" if c.isupper() else "l" if c.islower() else ""
        if cls and prev and cls != prev and not (prev == "u" and cls == "l"):
            switches += 1
        prev = cls or prev
    return switches / max(len(value), 1)


def _looks_random(value: str, min_len: int = 16) -> bool:
    return (
        len(value) >= min_len
        and _has_digit(value)
        and any(c.isalpha() for c in value)
        and entropy(value) >= 3.5
        and _switch_rate(value) >= 0.22
    )


_CHECKS: dict[str, Callable[[str], bool]] = {
    "": bool,
    "mixed": _mixed_case,
    "digit": _has_digit,
    "random": lambda value: _random_parts(value, 20),  # `sk-` also starts names: sk-learn-...
}


def _random_parts(value: str, min_len: int) -> bool:
    """Whether `value` looks random once its words, numbers and hex runs between separators
    are set aside (they make slugs, dates, UUIDs and digests, not tokens)."""
    parts = [p for p in _rx("[-_.]").split(value) if not _rx(_NAME_PART).fullmatch(p)]
    return _looks_random("".join(parts), min_len)


_NAME_PART = r"[a-z]*|(?:[A-Z]?[a-z]+)+|[A-Z]+|[0-9]+|[0-9a-f]{1,12}|[0-9A-F]{1,12}"


# ---- token formats -------------------------------------------------------------------------
# (kind, regex, check). Each regex starts with its literal prefix: `re` then finds candidates
# with a fast scan (~1 µs per 2 KB); a leading \b or lookbehind would cost 30x that. The
# character before a match is checked in code instead.
_TOKEN_SOURCES: tuple[tuple[str, str, str], ...] = (
    # AKIA long-term, ASIA temporary; AIDA/AROA/... are ids of users and roles, not secrets.
    ("aws-access-key-id", r"A(?:KIA|SIA|BIA|CCA)[0-9A-Z]{16}(?![0-9A-Za-z])", ""),
    ("github-token", r"gh[pousr]_[A-Za-z0-9]{36,255}", ""),
    ("github-token", r"github_pat_[A-Za-z0-9_]{60,255}", ""),
    ("gitlab-token", r"gl(?:pat|dt|rt|ptt|ft|cbt|imt|soat|oas|wt)-[A-Za-z0-9_-]{20,}", "mixed"),
    ("gitlab-token", r"GR1348941[A-Za-z0-9_-]{20,}", ""),
    ("slack-token", r"xox[abposre]-[0-9A-Za-z-]{10,}", "digit"),
    ("slack-token", r"xapp-[0-9]-[A-Za-z0-9-]{20,}", ""),
    ("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/-]{20,}", ""),
    ("stripe-key", r"sk_(?:live|test)_[A-Za-z0-9]{16,}", ""),
    ("stripe-key", r"rk_(?:live|test)_[A-Za-z0-9]{16,}", ""),
    ("stripe-webhook-secret", r"whsec_[A-Za-z0-9+/=]{24,}", "mixed"),
    ("anthropic-key", r"sk-ant-[A-Za-z0-9_-]{32,}", ""),
    ("openrouter-key", r"sk-or-v1-[0-9a-f]{64}", ""),
    ("openai-key", r"sk-(?!ant-|or-v1-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}", "random"),
    ("google-api-key", r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", ""),
    ("google-oauth-secret", r"GOCSPX-[A-Za-z0-9_-]{28}(?![A-Za-z0-9_-])", ""),
    ("npm-token", r"npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])", ""),
    ("pypi-token", r"pypi-AgE[A-Za-z0-9_-]{50,}", ""),
    ("huggingface-token", r"hf_[A-Za-z0-9]{30,}(?![A-Za-z0-9])", "mixed"),
    ("huggingface-token", r"api_org_[A-Za-z0-9]{30,}(?![A-Za-z0-9])", "mixed"),
    ("sendgrid-key", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])", ""),
    ("twilio-api-key", r"SK[0-9a-fA-F]{32}(?![0-9A-Za-z])", "digit"),
    ("mailgun-key", r"key-[0-9a-f]{32}(?![0-9A-Za-z])", "digit"),
    ("heroku-api-key", r"HRKU-[A-Za-z0-9_-]{30,}", ""),
    ("digitalocean-token", r"do[opr]_v1_[a-f0-9]{64}", ""),
    ("shopify-token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", ""),
    ("square-token", r"EAAA[A-Za-z0-9_-]{60}(?![A-Za-z0-9_-])", "mixed"),
    ("square-token", r"sq0(?:atp|csp)-[A-Za-z0-9_-]{22,43}", ""),
    ("jwt", r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}", ""),
    ("vault-token", r"hv[sb]\.[A-Za-z0-9_-]{24,}", "mixed"),
    ("databricks-token", r"dapi[0-9a-f]{32}(?![0-9A-Za-z])", "digit"),
    ("docker-hub-token", r"dckr_pat_[A-Za-z0-9_-]{27,}", ""),
    ("rubygems-key", r"rubygems_[0-9a-f]{48}", ""),
    ("atlassian-token", r"ATATT3[A-Za-z0-9_=-]{100,}", ""),
    ("postman-key", r"PMAK-[0-9a-f]{24}-[0-9a-f]{34}", ""),
    ("grafana-token", r"glsa_[A-Za-z0-9]{32}_[0-9a-f]{8}", ""),
    ("grafana-token", r"glc_[A-Za-z0-9+/]{32,}={0,2}", "mixed"),
    ("newrelic-key", r"NRAK-[A-Z0-9]{27}", ""),
    ("sentry-token", r"sntry[us]_[A-Za-z0-9+/=_-]{40,}", ""),
    ("supabase-token", r"sbp_[0-9a-f]{40}", ""),
    ("linear-key", r"lin_api_[A-Za-z0-9]{40}", ""),
    ("replicate-token", r"r8_[A-Za-z0-9]{37}(?![A-Za-z0-9])", "mixed"),
    ("groq-key", r"gsk_[A-Za-z0-9]{52}", ""),
    ("perplexity-key", r"pplx-[A-Za-z0-9]{48}", ""),
    ("xai-key", r"xai-[A-Za-z0-9]{80}", ""),
    ("notion-token", r"ntn_[A-Za-z0-9]{40,}", ""),
    ("notion-token", r"secret_[A-Za-z0-9]{43}(?![A-Za-z0-9])", "mixed"),
    (
        "doppler-token",
        r"dp\.(?:st|ct|sa|scim|audit|pt)\.(?:[a-z0-9_-]{1,40}\.)?[A-Za-z0-9]{40,}",
        "",
    ),
    ("private-key", r"AGE-SECRET-KEY-1[0-9A-Z]{58}", ""),
)

# Shapes without a literal prefix, tried only when their trigger is in the text.
_SHAPED_SOURCES: tuple[tuple[str, str, str, str], ...] = (
    # kind, trigger, regex, check
    # The lookbehind follows the first character: a leading one would cost a try per position.
    (
        "discord-bot-token",
        "",
        r"[MNO](?<![\w-].)[\w-]{23,27}\.[\w-]{6}\.[\w-]{27,40}(?![\w-])",
        "mixed",
    ),
    (
        "telegram-bot-token",
        ":AA",
        r"(?<![0-9])[0-9]{8,10}:AA[\w-]{33}(?![\w-])",
        "",
    ),  # after /bot too
    ("mailchimp-key", "-us", r"(?<![0-9A-Za-z])[0-9a-f]{32}-us[0-9]{1,2}(?![0-9A-Za-z])", "digit"),
    ("azure-client-secret", "Q~", r"(?<![\w~.-])[\w~.-]{3}[0-9]Q~[\w~.-]{31,34}(?![\w~.-])", ""),
    (
        "discord-webhook",
        "discord",
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[\w-]{60,}",
        "",
    ),
)


@cache
def _token_rules() -> tuple[tuple[str, re.Pattern[str], Callable[[str], bool]], ...]:
    """Compiled on first use: importing this module stays free for read-only commands."""
    return tuple((kind, re.compile(rx), _CHECKS[check]) for kind, rx, check in _TOKEN_SOURCES)


@cache
def _shaped_rules() -> tuple[tuple[str, str, re.Pattern[str], Callable[[str], bool]], ...]:
    return tuple(
        (kind, trigger, re.compile(rx), _CHECKS[check])
        for kind, trigger, rx, check in _SHAPED_SOURCES
    )


@cache
def _rx(source: str) -> re.Pattern[str]:
    return re.compile(source)


# ---- private keys --------------------------------------------------------------------------
_PEM_BEGIN = r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
_PEM_END = r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
# Lines of a key body after a header or a first line: base64 runs, armor headers, blank lines;
# a newline may be written `\n` (a key inside a JSON string).
_NL = r"(?:\r?\n|(?:\\r)?\\n)"
_B64_RUN = r"[A-Za-z0-9+/]{16,}={0,2}"
_BODY = (
    rf"(?:[ \t]*{_NL}[ \t]*(?:{_B64_RUN}|"
    r"(?:(?=[A-Za-z]*[0-9+/=])[A-Za-z0-9+/]{1,15}={0,2}"  # a short last line (not a word)
    r"|=[A-Za-z0-9+/]{4}"  # a PGP checksum
    r"|(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset):[^\r\n\\]*)?"  # armor, blank lines
    rf"(?=[ \t]*(?:{_NL}|$|[\"',])))"
    rf"|[ \t]+{_B64_RUN})*"  # a key pasted on one line, spaces for newlines
)

_FOOTER = rf"(?:[ \t]*{_NL})?[ \t]*{_PEM_END}"
_MATERIAL = rf"(?:[ \t]*{_NL})*[ \t]*(?:[A-Za-z0-9+/]{{16}}|(?:Proc-Type|Version|Comment):)"

_KEY_START = r"[Mbxl][A-Za-z0-9+/]{39,}"  # DER starts with M, OpenSSH with b, OpenPGP l/x
_PUTTY = r"PuTTY-User-Key-File-[0-9]:[^\n]*(?:\r?\n[A-Za-z-]+:[^\n]*|\r?\n[A-Za-z0-9+/=]+)*"
_PBE_OIDS = (
    b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x05\x0d",  # PBES2
    b"\x06\x0a\x2a\x86\x48\x86\xf7\x0d\x01\x0c\x01",  # PKCS#12 PBE
)
_PGP_ALGORITHMS = frozenset({1, 2, 3, 16, 17, 18, 19, 20, 22, 25, 26, 27, 28})


def _is_key_body(run: str) -> bool:
    """Whether a base64 run starts a private key: a DER SEQUENCE opening with a small version
    INTEGER (PKCS#1, SEC1, PKCS#8, DSA, PKCS#12), an encrypted PKCS#8, an OpenSSH key, or an
    OpenPGP secret-key packet. Certificates, public keys and images decode to none of these."""
    try:
        raw = binascii.a2b_base64(run[:24])
    except binascii.Error:
        return False
    if raw.startswith(b"openssh-key-v1\0"):
        return True
    if raw[0] == 0x30:
        size = raw[1]
        at = 2 if size < 0x80 else 2 + size - 0x80 if size <= 0x83 else 0
        if not at:
            return False
        if raw[at : at + 2] == b"\x02\x01" and raw[at + 2] <= 3:
            return True
        return raw[at] == 0x30 and any(oid in raw for oid in _PBE_OIDS)
    tag = raw[0]
    if tag & 0xC0 == 0x80 and (tag >> 2) & 0x0F == 5 and tag & 3 != 3:
        head = 1 + (1, 2, 4)[tag & 3]
    elif tag == 0xC5:
        head = 2 if raw[1] < 192 else 3 if raw[1] < 224 else 6 if raw[1] == 255 else 0
    else:
        return False
    return bool(head) and raw[head] in (4, 5, 6) and raw[head + 5] in _PGP_ALGORITHMS


def _body_end(text: str, start: int) -> int:
    """Where the key body going on from `start` ends (trailing blank lines left out)."""
    body = _rx(_BODY).match(text, start)
    return _trim(text, start, body.end() if body else start)


def _trim(text: str, start: int, end: int) -> int:
    """`end` moved back over trailing blanks and escaped newlines, not past `start`."""
    while end > start:
        if text[end - 1] in " \t\r\n":
            end -= 1
        elif text.endswith(("\\n", "\\r"), start, end):
            end -= 2
        else:
            break
    return end


# ---- the scan of one view of the text ------------------------------------------------------
class _Scan:
    """Spans claimed so far in one view; the first rule to claim a span names it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.low = text.lower() if text.isascii() else text.translate(_ASCII_LOWER)
        self.spans: list[tuple[int, int, str, int]] = []
        self.rank = 0  # the rule running

    def add(self, start: int, end: int, kind: str) -> None:
        for s, e, _, _ in self.spans:
            if start < e and s < end:
                return
        self.spans.append((start, end, kind, self.rank))

    def boundary(self, start: int) -> bool:
        return start == 0 or self.text[start - 1] not in _ALNUM


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def _private_keys(s: _Scan) -> None:
    t = s.text
    if "PRIVATE KEY" in t:
        end_rx = _rx(_PEM_END)
        for m in _rx(_PEM_BEGIN).finditer(t):
            # A header alone is prose about keys ("the file starts with -----BEGIN ..."):
            # it counts with key material after it, up to its END line or the body's end.
            if not _rx(_MATERIAL).match(t, m.end()):
                continue
            end = end_rx.search(t, m.end(), m.end() + 20_000)
            stop = end.end() if end else _body_end(t, m.end())
            s.add(m.start(), stop, "private-key")
    if "PuTTY-User-Key-File-" in t:
        for m in _rx(_PUTTY).finditer(t):
            s.add(m.start(), m.end(), "private-key")
    for m in _rx(_KEY_START).finditer(t):
        start = m.start()
        if (start and t[start - 1] in _ALNUM + "+/") or not _is_key_body(m.group()):
            continue
        stop = _body_end(t, m.end())
        footer = _rx(_FOOTER).match(t, stop)
        s.add(start, footer.end() if footer else stop, "private-key")


def _tokens(s: _Scan) -> None:
    t = s.text
    for kind, rx, check in _token_rules():
        for m in rx.finditer(t):
            if s.boundary(m.start()) and check(m.group()):
                s.add(m.start(), m.end(), kind)
    for kind, trigger, rx, check in _shaped_rules():
        if trigger in t:
            for m in rx.finditer(t):
                if check(m.group()):
                    s.add(m.start(), m.end(), kind)


_B64_40 = r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
_HEX_32 = r"(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])"


def _pairs(s: _Scan) -> None:
    """Secrets with no shape of their own, found beside the id they belong to: an AWS secret
    access key (40 base64 characters) near an AKIA id, a Twilio auth token (32 hex) near an
    AC account SID. Within 300 characters either side."""
    t = s.text
    anchors = [(a, b) for a, b, kind, _ in s.spans if kind == "aws-access-key-id"]
    for a, b in anchors:
        for m in _rx(_B64_40).finditer(t, max(0, a - 300), b + 300):
            v = m.group()
            if _cut(t, m.end()) or not (_mixed_case(v) and _has_digit(v)):
                continue
            if entropy(v) >= 4.0:
                s.add(m.start(), m.end(), "aws-secret-access-key")
    if "AC" in t:
        for sid in _rx(r"AC[0-9a-f]{32}(?![0-9A-Za-z])").finditer(t):
            if not s.boundary(sid.start()):
                continue
            for m in _rx(_HEX_32).finditer(t, max(0, sid.start() - 300), sid.end() + 300):
                if not _cut(t, m.end()) and _has_digit(m.group()):
                    s.add(m.start(), m.end(), "twilio-auth-token")


def _cut(text: str, end: int) -> bool:
    """Whether a match ending at `end` was cut short by a search window (the lookahead of a
    search with `endpos` sees the window's end, not the text's)."""
    return end < len(text) and text[end] in _ALNUM + "+/="


_AZURE_KEY = r"(?i)(account|sharedaccess)key[ \t]*=[ \t]*([A-Za-z0-9+/]{20,}={0,2})"
_SAS_SIG = r"sig=([A-Za-z0-9%+/]{20,}(?:%3[Dd]|=){0,2})"
_URL_PASSWORD = r"://([^\s:/@?#\[\]]*):([^\s/@]{3,})@(?=[\w\[])"
_BASIC = r"[Bb][Aa][Ss][Ii][Cc][ \t]+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])"
_BEARER = r"[Bb][Ee][Aa][Rr][Ee][Rr][ \t]+([A-Za-z0-9._~+/=-]{20,})"
_AUTH_TOKEN = r"[Aa]uthorization[\"']?[ \t]*[:=][ \t]*[\"']?[Tt]oken[ \t]+([A-Za-z0-9._~+/=-]{20,})"


def _contextual(s: _Scan) -> None:
    t, low = s.text, s.low
    if "accountkey" in low or "sharedaccesskey" in low:
        for m in _rx(_AZURE_KEY).finditer(t):
            kind = "azure-storage-key" if m.group(1).lower() == "account" else "azure-shared-key"
            s.add(m.start(2), m.end(2), kind)
    if "sig=" in t and "sv=" in t:
        for m in _rx(_SAS_SIG).finditer(t):
            s.add(m.start(1), m.end(1), "azure-sas-token")
    if "://" in t and "@" in t:
        for m in _rx(_URL_PASSWORD).finditer(t):
            user, password = m.group(1), m.group(2)
            scheme = m.start() and t[m.start() - 1].isalpha()
            if scheme and password != user and _literal(password):
                s.add(m.start(2), m.end(2), "password-in-url")
    if "basic" in low:
        for m in _rx(_BASIC).finditer(t):
            if s.boundary(m.start()) and _basic_credentials(m.group(1)):
                s.add(m.start(1), m.end(1), "basic-auth")
    if "bearer" in low:
        for m in _rx(_BEARER).finditer(t):
            if s.boundary(m.start()) and _looks_random(m.group(1), 20):
                s.add(m.start(1), m.end(1), "bearer-token")
    if "authorization" in low:
        for m in _rx(_AUTH_TOKEN).finditer(t):
            if _looks_random(m.group(1), 20):
                s.add(m.start(1), m.end(1), "bearer-token")


def _basic_credentials(value: str) -> bool:
    """Whether `value` is base64 of `user:password`, as in an HTTP Basic header."""
    try:
        raw = binascii.a2b_base64(value + "=" * (-len(value) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, colon, password = raw.partition(":")
    return bool(colon and user and password) and raw.isprintable()


# ---- assignments ---------------------------------------------------------------------------
_STEMS = ("pass", "pwd", "secret", "token", "key", "cred", "auth")
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "passcode", "pw"})
_SECRET_WORDS = frozenset(
    {"secret", "token", "credential", "credentials", "creds", "apikey", "authtoken",
     "apitoken", "accesstoken", "secretkey", "accesskey", "privatekey", "accountkey", "authkey"}
)  # fmt: skip
# `pass` is a password only after one of these (DB_PASS, smtp_pass), not in `last_pass`.
_PASS_OWNERS = frozenset(
    {"db", "database", "smtp", "mail", "email", "user", "admin", "root", "mysql", "postgres",
     "pg", "redis", "ftp", "sftp", "ldap", "proxy", "vnc", "wifi", "app", "api", "service", "svc",
     "bind", "keystore", "truststore", "store", "key", "rabbitmq", "mongo", "sql", "login", "web"}
)  # fmt: skip
_KEY_QUALIFIERS = frozenset(
    {"api", "access", "auth", "private", "account", "signing", "encryption", "master", "shared",
     "client", "app", "consumer", "session", "webhook", "license", "storage", "service", "secret",
     "subscription", "admin", "deploy", "sas", "hmac", "jwt", "cookie"}
)  # fmt: skip
# A word in the name saying the value describes a secret instead of holding it.
_NOT_A_SECRET = frozenset(
    {"path", "file", "filename", "dir", "ref", "name", "id", "ids", "url", "uri", "endpoint",
     "type", "kind", "env", "var", "field", "length", "len", "size", "count", "ttl", "expiry",
     "expires", "expiration", "lifetime", "age", "header", "policy", "rotation", "hint", "prompt",
     "version", "format", "alg", "algorithm", "hash", "hashed", "digest", "public", "commit",
     "page", "next", "continuation", "pagination", "sync", "cursor", "max", "min", "num",
     "total", "limit", "usage", "used", "budget", "rate", "regex", "pattern", "label", "class",
     "placeholder", "description", "location", "provider", "source", "mode", "enabled",
     "required", "reset", "manager", "template", "validator", "strength", "issuer", "audience",
     "scope", "scopes", "timeout", "arn", "mgr", "ciphertext", "encrypted"}
)  # fmt: skip
# Tokens that are not credentials: pagination, idempotency, concurrency (ChangeToken,
# LockToken, ClientToken in AWS APIs), CSRF. A `client_secret` stays one.
_NOT_A_SECRET_TOKEN = frozenset(
    {"page", "next", "continuation", "pagination", "sync", "cursor", "starting", "idempotency",
     "client", "request", "change", "lock", "update", "commit", "verification", "purchase",
     "cancel", "cancellation", "resume", "csrf", "xsrf", "max", "num"}
)  # fmt: skip
_PLACEHOLDERS = (
    "changeme", "change_me", "change-me", "changeit", "example", "placeholder", "dummy",
    "redacted", "your_", "your-", "yourpass", "xxxx", "****", "...", "fake", "sample",
    "replace_me", "replaceme", "todo", "notset", "not_set",
)  # fmt: skip
_PLACEHOLDER_VALUES = frozenset(
    {"password", "passwd", "pass", "secret", "pw", "pwd", "none", "null", "nil", "true",
     "false", "empty", "string", "required", "optional", "username:password", "user:password"}
)  # fmt: skip
_REFERENCE_PREFIXES = (
    "env:", "env.", "vault:", "secret:", "secrets.", "ssm:", "arn:", "file:", "http://",
    "https://", "/", "./", "../", "~/", "process.env", "os.environ", "os.getenv", "getenv",
    "settings.", "config.", "var.", "local.", "data.", "module.", "self.", "this.", "!", "&",
    "*", "$", "%", "{", "<", "[", "(", "@", "#", "\\",
)  # fmt: skip
_REFERENCE = (
    r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(.*\))?"  # dotted names: config.db.password
    r"|[A-Za-z_][\w.]*[(\[].*"  # calls and subscripts: get_secret("db"), ENV["X"]
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]+"  # ENV_VAR_NAMES
    r"|[a-z]+(?:[_-][a-z]+)*|[A-Z][A-Za-z]*[a-z][A-Za-z]*"  # words, slugs, CamelCase types
    r"|[0-9a-f]{7,12}"  # a short git sha
)
_NAME_WORDS = r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+"
_IDENT = frozenset(_ALNUM + "_.-")
_VALUE = (
    r"(?:(?P<q>[\"'`])(?P<qv>[^\"'`\s]{1,300})(?P=q)"
    r"|(?P<v>[^\s\"'`,;:=|<>()\[\]{}][^\s\"'`]{0,300}))"
)
_ASSIGN_TAIL = (
    r"(?P<close>[\"']?)(?:"
    r"[ \t]*(?::=|=>|=|:(?![:/\\]))[ \t]*"  # = := => :
    r"|[ \t]*:[ \t]*[A-Za-z_][\w.\[\], |]{0,40}?[ \t]*=[ \t]*"  # password: str = "..."
    r"|[ \t]*\r?\n[ \t]*(?:-[ \t]*)?value[ \t]*:[ \t]*"  # - name: DB_PASSWORD \n value: ...
    r"|\s*,\s*[\"']?[Vv]alue[\"']?\s*:\s*"  # {"name": "DB_PASSWORD", "value": "..."}
    rf"){_VALUE}"
)
_FLAG_TAIL = rf"[ \t]+{_VALUE}"  # --password VALUE
_XML_VALUE = r">([^<\s]{1,300})</"


def _unbalanced(value: str) -> bool:
    return any(value.count(o) < value.count(c) for o, c in ("()", "[]", "{}", "<>"))


def _literal(value: str) -> bool:
    """Whether `value` is written out, not a placeholder or a reference to a secret kept
    elsewhere (`${X}`, `<x>`, `changeme`, `os.environ[...]`, a path, an ENV_NAME, a word)."""
    low = value.lower()
    if low in _PLACEHOLDER_VALUES or low.startswith(_REFERENCE_PREFIXES):
        return False
    if any(p in low for p in _PLACEHOLDERS) or _rx(_REFERENCE).fullmatch(value):
        return False
    return len(set(value)) >= 4 and entropy(value) >= 2.0


def _password_like(value: str) -> bool:
    return (
        len(value) >= 6
        and any(c.isalpha() for c in value)
        and any(not c.isalpha() for c in value)
        and _literal(value)
    )


def _secret_kind(name: str) -> str | None:
    """The kind a secret named `name` gets, or None when the name does not say secret."""
    words = [w.lower() for w in _rx(_NAME_WORDS).findall(name)]
    if not words or any(w in _NOT_A_SECRET for w in words):
        return None
    if "token" in words and any(w in _NOT_A_SECRET_TOKEN for w in words):
        return None
    password = any(w in _PASSWORD_WORDS for w in words) or any(
        w == "pass" and i and words[i - 1] in _PASS_OWNERS for i, w in enumerate(words)
    )
    keyed = any(w == "key" and i and words[i - 1] in _KEY_QUALIFIERS for i, w in enumerate(words))
    if not (password or keyed or any(w in _SECRET_WORDS for w in words)):
        return None
    if password:
        return "password"
    if "aws" in words or ("secret" in words and "access" in words):
        return "aws-secret-access-key"
    for vendor, kind in _VENDOR_KINDS:
        if vendor in words:
            return kind
    return "high-entropy-secret"


_VENDOR_KINDS = (
    ("twilio", "twilio-auth-token"),
    ("heroku", "heroku-api-key"),
    ("azure", "azure-client-secret"),
    ("mailgun", "mailgun-key"),
)
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _secret_value(kind: str, value: str) -> bool:
    if kind == "password":
        return _password_like(value)
    if not _literal(value):
        return False
    if _rx(_UUID).fullmatch(value):  # many API keys and tokens are UUIDs
        return True
    if len(value) < 32 and _rx("[0-9a-f]+").fullmatch(value):  # short hex: an id or a digest
        return False
    return _looks_random(value)


def _assignments(s: _Scan) -> None:
    low = s.low
    found = []
    for stem in _STEMS:
        at = low.find(stem)
        while at >= 0:
            found.append(at)
            at = low.find(stem, at + 1)
    done = -1
    for at in sorted(found):
        if at >= done:  # one look per name, however many stems it holds
            done = _assignment_at(s, at)


def _assignment_at(s: _Scan, at: int) -> int:
    """Checks the name around offset `at`; returns where that name ends."""
    t = s.text
    start = at
    while start and t[start - 1] in _IDENT:
        start -= 1
    end = at
    while end < len(t) and t[end] in _IDENT:
        end += 1
    after = end + 1 if t.startswith(("'", '"'), end) else end
    while after < len(t) and t[after] in " \t":
        after += 1
    if after == len(t) or (t[after] not in ":=>,\r\n" and not t.startswith("--", start)):
        return end  # prose ("the token is rotated"): no value follows the name
    name = t[start:end].strip(".-")
    # A segment of a path or an ARN (`...:secret:MyDbSecret-a1b2c3`) names nothing.

    segment = start >= 2 and t[start - 1] in ":/" and t[start - 2] in _IDENT
    kind = None if segment else _secret_kind(name)
    if kind is None:
        return end
    if t.startswith("--", start):
        m = _rx(_ASSIGN_TAIL).match(t, end) or _rx(_FLAG_TAIL).match(t, end)
    elif start and t[start - 1] == "<" and t.startswith(">", end):
        xml = _rx(_XML_VALUE).match(t, end)
        if xml and _secret_value(kind, xml.group(1)):
            s.add(xml.start(1), xml.end(1), kind)
        return end
    else:
        m = _rx(_ASSIGN_TAIL).match(t, end)
    if m is None:
        return end
    end = m.end()  # names inside a value looked at (`${DB_PASSWORD:-x}`) are not looked at again
    group = "qv" if m.group("qv") is not None else "v"
    v_start, v_end = m.span(group)
    if group == "v":  # an unquoted value loses trailing punctuation and unbalanced brackets
        while v_end > v_start and (
            t[v_end - 1] in ",;.:" or (t[v_end - 1] in ")]}>" and _unbalanced(t[v_start:v_end]))
        ):
            v_end -= 1
    value = t[v_start:v_end]
    if value and _secret_value(kind, value):
        s.add(v_start, v_end, kind)
    return end


_RULES: tuple[Callable[[_Scan], None], ...] = (
    _private_keys,
    _tokens,
    _pairs,
    _contextual,
    _assignments,
)
_ANY_LENGTH = (_contextual, _assignments)  # `redis://:pw@h`, `Basic dTpw`, `pwd=x9!kq2`


# ---- views: the text as scanned, and the way back to the original ---------------------------
@dataclass(frozen=True)
class _View:
    text: str
    cuts: tuple[int, ...]  # view offsets where characters were removed
    removed: tuple[int, ...]  # characters removed up to and including each cut

    @classmethod
    def of(cls, text: str, segments: list[tuple[int, int]]) -> _View:
        """`text` without the (sorted, disjoint) `segments`."""
        parts, cuts, removed = [], [], []
        last = total = 0
        for a, b in segments:
            parts.append(text[last:a])
            cuts.append(a - total)
            total += b - a
            removed.append(total)
            last = b
        parts.append(text[last:])
        return cls("".join(parts), tuple(cuts), tuple(removed))

    def origin(self, pos: int) -> int:
        i = bisect_right(self.cuts, pos)
        return pos + (self.removed[i - 1] if i else 0)

    def hits(self) -> list[_Hit]:
        scan = _Scan(self.text)
        # Keys, token formats and pairs need a run of 16+ token characters, which lies inside
        # a word as long: short fields (titles, tags) without one skip them, at C speed.
        text = self.text
        long_word = len(text) > 1024 or max(map(len, text.split()), default=0) >= 16

        for scan.rank, rule in enumerate(_RULES):
            if long_word or rule in _ANY_LENGTH:
                rule(scan)
        return [
            _Hit(self.origin(a), self.origin(b - 1) + 1, kind, _mask(self.text[a:b]), rank)
            for a, b, kind, rank in scan.spans
        ]


_OP = r"(?:(?:\+|\.|\|\|)[ \t]*)?"  # + (most languages), . (PHP, Perl), || (SQL)
_CONCAT = rf"[ \t]*{_OP}(?:\\?\r?\n[ \t]*{_OP})?"
_JOIN = (
    rf"\\(?<={_TOK}\\)\r?\n[ \t]*(?={_TOK})"  # backslash continuation
    rf"|\"(?<={_TOK}\"){_CONCAT}\"(?={_TOK})"  # "ghp_abc" + "def", "abc" "def"
    rf"|'(?<={_TOK}'){_CONCAT}'(?={_TOK})"
    rf"|\n(?<={_TOK}{{6}}\n)[ \t]*(?={_TOK}{{8}})"  # hard wrap, checked in _joins
)


def _tokenish(run: str) -> bool:
    """Whether a piece of a hard-wrapped line looks like part of a random token: at least two
    of lower, upper and digits, switching between them (words and CamelCase rarely do)."""
    classes = sum(any(f(c) for c in run) for f in (str.islower, str.isupper, str.isdigit))
    return classes >= 2 and _switch_rate(run) >= 0.15


def _joins(text: str) -> list[tuple[int, int]]:
    """Spans whose removal rejoins a token split across lines or string literals. A hard wrap
    is rejoined only when a piece beside it looks like part of a token, not a word."""
    out = []
    tok = _rx(f"{_TOK}+")
    for m in _rx(_JOIN).finditer(text):
        if m.group()[0] == "\n":
            a = m.start()
            while a and text[a - 1] in _IDENT_TOK:
                a -= 1
            head = tok.match(text, m.end())
            tail = text[a : m.start()]
            if head is None or not (_tokenish(tail) and _tokenish(head.group())):
                continue
        out.append(m.span())
    return out


_IDENT_TOK = frozenset(_ALNUM + "_+/=-")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _hits(text: str) -> list[_Hit]:
    """Every secret in `text`: disjoint spans of the original text, in order."""
    hidden = [m.span() for m in _rx(f"[{_ZERO_WIDTH}]+").finditer(text)] if _has_zw(text) else []
    hits = _View.of(text, hidden).hits()
    joins = _joins(text)
    if joins:
        for extra in _View.of(text, _merge(hidden + joins)).hits():
            overlapping = [h for h in hits if h.start < extra.end and extra.start < h.end]
            if not overlapping:
                hits.append(extra)
                continue
            # One secret seen whole once rejoined: the most specific rule names it.
            best = min([*overlapping, extra], key=lambda h: (h.rank, h.start))
            for h in overlapping:
                hits.remove(h)
            start = min(h.start for h in [*overlapping, extra])
            end = max(h.end for h in [*overlapping, extra])
            hits.append(_Hit(start, end, best.kind, best.excerpt, best.rank))
    hits.sort(key=lambda h: h.start)
    return hits


def _has_zw(text: str) -> bool:
    return not text.isascii() and any(c in text for c in _ZERO_WIDTH)


# ---- the API -------------------------------------------------------------------------------
def scan(text: str) -> list[Secret]:
    """All credential-like strings in `text`, with 1-based line numbers and masked excerpts."""
    return [Secret(h.kind, text.count("\n", 0, h.start) + 1, h.excerpt) for h in _hits(text)]


def redact(text: str) -> str:
    """`text` with every finding replaced by `[REDACTED:<kind>]`: the whole secret, all the
    lines of a key block and the zero-width characters inside a token included. Idempotent."""
    # A mask can end a token's boundary (`EAAA...-----BEGIN` becomes `EAAA...[REDACTED`), so
    # mask again until nothing is found: redacting twice then changes nothing, by construction.
    for _ in range(8):
        hits = _hits(text)
        if not hits:
            break
        out = []
        last = 0
        for h in hits:
            out += [text[last : h.start], f"[REDACTED:{h.kind}]"]
            last = h.end
        out.append(text[last:])
        text = "".join(out)
    return text


def looks_like_secret_token(value: str) -> str | None:
    """The kind of token `value` is or holds, for short values that must never be one (an id
    segment, an author, a relation target, a turn id); None for ordinary names.

    `ghp_...`, `sk-...`, `AKIA...`, `xoxb-...` and the other formats `scan` knows, a private key
    header, or a piece of 32+ characters that looks random (letters and digits switching class
    like random text does, entropy >= 3.5). UUIDs and hex digests are ids here, not tokens."""
    text = value.translate({ord(c): None for c in _ZERO_WIDTH}) if _has_zw(value) else value
    s = _Scan(text)
    _tokens(s)
    if s.spans:
        return min(s.spans)[2]
    if "PRIVATE KEY" in text and _rx(_PEM_BEGIN).search(text):
        return "private-key"
    for piece in _rx(r"[\s/:@,;|]+").split(text):
        hexadecimal = _rx("[0-9a-fA-F-]+").fullmatch(piece)  # a digest or a UUID
        if len(piece) >= 32 and not hexadecimal and _random_parts(piece, 24):
            return "high-entropy-token"
    return None
