"""Option values checked beyond their type, free of typer: the typer options (cli/options.py)
and the fast path (cli/fastpath.py) apply the same functions."""

from __future__ import annotations


def scope(value: str) -> str:
    """--scope is an id prefix (a domain, topic, subtopic or entry; a trailing '/' allowed),
    held to the rules of ids so `../..` or `/etc` is an error, not a filter matching nothing."""
    from ctxtree.errors import InvalidEntryError, UsageError
    from ctxtree.tree.paths import parse_id

    text = value.strip().rstrip("/")
    if not text:
        return ""
    try:
        return parse_id(text, min_parts=1, max_parts=4)
    except InvalidEntryError as exc:
        raise UsageError(f"bad value for --scope: {exc.message}", exc.hint) from None
