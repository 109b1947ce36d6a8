"""Checks every piece of text passes before it is written: size, binary data, secrets."""

from __future__ import annotations

from ctxtree.errors import InvalidEntryError
from ctxtree.hints import Param, Text
from ctxtree.tree import secrets


def decode_input(data: bytes, what: str) -> str:
    """Bytes from stdin or a file as text; binary input is refused with where it was seen."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise InvalidEntryError(
            f"{what} is binary data (NUL byte at offset {nul}), not text",
            (
                "store a text description and point at the file with ",
                Param("sources", "file:PATH", flag="--source"),
            ),
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEntryError(
            f"{what} is not UTF-8 text (invalid byte at offset {exc.start})",
            "convert it to UTF-8 first, e.g. with iconv",
        ) from None


def check_text(text: str, what: str, max_bytes: int) -> None:
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise InvalidEntryError(
            f"{what} is {size:,} bytes, over the {max_bytes:,}-byte limit for one entry",
            "split it into several entries (one idea each), or raise "
            "`ctx config set limits.max_entry_bytes N`",
        )
    if "\0" in text:
        raise InvalidEntryError(f"{what} contains NUL bytes", "store text, not binary data")


REDACT = Param("redact", True)


def guard_secrets(fields: dict[str, str], redact: bool) -> dict[str, str]:
    """Refuse (or, with redact, mask) credentials in any field; returns the fields to write."""
    out = {}
    for name, text in fields.items():
        found = secrets.scan(text)
        if found and not redact:
            raise InvalidEntryError(
                f"refusing to store a secret: {found[0].describe()} in {name}"
                + (f" (and {len(found) - 1} more)" if len(found) > 1 else ""),
                ("remove it and refer to the secret by name, or pass ", REDACT, " to mask it"),
            )
        out[name] = secrets.redact(text) if found else text
    return out


def refuse_token(value: str, what: Text) -> None:
    """Refuse a short value that is itself a credential (an id, a target, an author), without
    echoing it: scan() finds tokens in text, this finds bare token-shaped values too."""
    from ctxtree.tree.secrets import looks_like_secret_token

    kind = looks_like_secret_token(value)
    if kind is not None:
        raise InvalidEntryError(
            (
                "refusing to store a secret: ",
                *([what] if isinstance(what, str) else what),
                f" looks like a {kind}",
            ),
            "name things after their subject; never put a credential in an id or a name",
        )
