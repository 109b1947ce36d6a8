"""`ctx export json` read back (`ctx import json FILE`): every field of every entry, so an
import into a fresh store writes the files the export was made from. The document's format
is described in service/export.py; this module checks its marker and version and turns
each record into an Entry, or a Skipped naming the record and what is wrong with it."""

from __future__ import annotations

import json
from typing import Any

from ctxtree.curation.importers.records import Imported, Skipped
from ctxtree.errors import InvalidEntryError
from ctxtree.tree.model import Entry, Relation, Source, Stale

FORMAT = "json"
MARKER = "ctxtree-export"
VERSIONS = (1,)


def _strings(record: dict[str, Any], key: str) -> tuple[str, ...]:
    value = record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} is not a list of strings")
    return tuple(value)


def _pairs(record: dict[str, Any], key: str, a: str, b: str) -> list[tuple[str, str]]:
    value = record.get(key) or []
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and isinstance(v.get(a), str) and isinstance(v.get(b), str)
        for v in value
    ):
        raise ValueError(f"{key} is not a list of {{{a}, {b}}} objects")
    return [(v[a], v[b]) for v in value]


def _text(record: dict[str, Any], key: str, default: str = "") -> str:
    value = record.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _optional(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} is not a string or null")
    return value


def entry_of(record: Any) -> Entry:
    """One exported record as an Entry; ValueError naming the first bad field."""
    if not isinstance(record, dict):
        raise ValueError("not an object")
    stale = record.get("stale")
    if stale is not None and not (isinstance(stale, dict) and isinstance(stale.get("since"), str)):
        raise ValueError("stale is not {since, paths} or null")
    importance = record.get("importance", 50)
    if isinstance(importance, bool) or not isinstance(importance, int | float):
        raise ValueError("importance is not a number")
    extra = record.get("extra") or {}
    schema = record.get("schema", 1)
    if not isinstance(extra, dict) or not isinstance(schema, int):
        raise ValueError("extra is not an object or schema not a number")
    return Entry(
        id=_text(record, "id"),
        title=_text(record, "title"),
        body=_text(record, "body"),
        summary=_text(record, "summary"),
        kind=_text(record, "kind", "note"),
        tags=_strings(record, "tags"),
        keywords=_strings(record, "keywords"),
        relations=tuple(Relation(t, r) for t, r in _pairs(record, "relations", "type", "target")),
        sources=tuple(Source(t, r) for t, r in _pairs(record, "sources", "type", "ref")),
        author=_text(record, "author"),
        trust=_text(record, "trust", "agent"),
        importance=importance,
        maturity=_text(record, "maturity", "draft"),
        created=_text(record, "created"),
        updated=_text(record, "updated"),
        valid_from=_optional(record, "valid_from"),
        valid_until=_optional(record, "valid_until"),
        anchors=_strings(record, "anchors"),
        stale=None
        if stale is None
        else Stale(stale["since"], tuple(str(p) for p in stale.get("paths") or ())),
        schema=schema,
        extra=tuple(extra.items()),
    )


def read(text: str, name: str) -> Imported:
    """The entries of an export document; a document that is not one is refused."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidEntryError(
            f"{name} is not JSON ({exc.msg}, line {exc.lineno})", "pass a `ctx export json` file"
        ) from None
    if not isinstance(document, dict) or document.get("format") != MARKER:
        raise InvalidEntryError(
            f'{name} is not a ctx export (no "format": "{MARKER}")',
            "make one with `ctx export json --out FILE`",
        )
    if document.get("version") not in VERSIONS:
        raise InvalidEntryError(
            f"{name} is export version {document.get('version')!r}; this ctx reads "
            + ", ".join(map(str, VERSIONS)),
            "upgrade ctx, or export again with this version",
        )
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    records = document.get("entries")
    for number, record in enumerate(records if isinstance(records, list) else [], 1):
        try:
            entries.append(entry_of(record))
        except ValueError as exc:
            skipped.append(Skipped(f"{name}#{number}", str(exc)))
    return Imported(tuple(entries), skipped=tuple(skipped))
