"""Entry text <-> Entry. Strict parsing with file lines in errors; exact round-trip.

A file is `---`, a YAML mapping, `---`, then a markdown body kept verbatim. Timestamps stay
strings (the YAML timestamp resolver is switched off both ways), so nothing reflows on a
round trip. An entry whose frontmatter values did not change is written back with its original
frontmatter text, so hand formatting and comments survive.

Files as other editors leave them:
- A key given twice in one mapping (YAML keeps the last, silently) is an error naming the
  file, the line and the key, in entries and in config.yaml (see `load_yaml`).
- A UTF-8 byte order mark (Windows editors add one) is skipped when reading and never written:
  the file is rewritten without it the next time ctx changes the entry.
- Line endings: a file keeps its own style. One whose opening fence ends in CRLF is rewritten
  all CRLF (frontmatter, fences and body, a new body included); any other all LF. A
  frontmatter-only change never reflows the body: a body already in the file's style is
  written back byte for byte (`serialize`); lifecycle passes edit values in place
  (`with_scalars`), whatever the style.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from ctxtree.errors import InvalidEntryError
from ctxtree.tree.model import (
    KINDS,
    MATURITIES,
    RELATION_TYPES,
    SCHEMA_VERSION,
    TRUST_LEVELS,
    Entry,
    Origin,
    Relation,
    Source,
    Stale,
    round_importance,
)
from ctxtree.tree.paths import parse_target

FENCE = "---"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_HUGE_WIDTH = 1 << 30


# YAML 1.1 reads `0012345` as an octal int, `12:30` as 750 and `yes` as True, silently
# changing hand-written values. Our loader resolves only the unambiguous YAML 1.2 core forms
# of booleans, nulls, ints (no leading zeros) and floats; everything else stays a string.
_STRICT_RESOLVERS = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^[-+]?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?$",
        "-+0123456789",
    ),
)


BOM = "\ufeff"
CRLF = "\r\n"


class DuplicateKey(Exception):
    """A mapping gives `key` twice: on `line`, first on `first` (1-based lines of the text)."""

    def __init__(self, key: str, line: int, first: int) -> None:
        super().__init__(f"duplicate key {key!r} on line {line} (first on line {first})")
        self.key = key
        self.line = line
        self.first = first


@cache
def _loader() -> type:
    import re as _re

    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc,valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, int] = {}
                for key_node, _value in node.value:
                    key = self.construct_object(key_node, deep=True)
                    line = key_node.start_mark.line + 1
                    try:
                        if key in seen:
                            raise DuplicateKey(str(key), line, seen[key])
                        seen[key] = line
                    except TypeError:
                        continue  # an unhashable key: the base class reports it
            return super().construct_mapping(node, deep)

    Loader.yaml_implicit_resolvers = {}
    for tag, pattern, first in _STRICT_RESOLVERS:
        Loader.add_implicit_resolver(tag, _re.compile(pattern), list(first))
    # The empty scalar resolves to null too (the resolver above needs a first character).
    Loader.add_implicit_resolver("tag:yaml.org,2002:null", _re.compile(r"^$"), [""])
    return Loader


@cache
def _dumper() -> type:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[misc,valid-type]
        pass

    Dumper.yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP_TAG]
        for ch, resolvers in base.yaml_implicit_resolvers.items()
    }
    return Dumper


def load_yaml(text: str, path: str = "", first_line: int = 1) -> Any:
    """The YAML value of `text` (a leading BOM skipped). A key given twice in a mapping raises
    InvalidEntryError naming `path`, the file line (`text` starts on `first_line`) and the
    key; other syntax errors are yaml's own."""
    import yaml

    try:
        return yaml.load(text.removeprefix(BOM), Loader=_loader())
    except DuplicateKey as exc:
        line = exc.line + first_line - 1
        first = exc.first + first_line - 1
        raise InvalidEntryError(
            f"{path or 'YAML'}:{line}: duplicate key {exc.key!r} (first on line {first})",
            f"keep one {exc.key!r} line; YAML would silently use the last",
            path=path,
            line=line,
        ) from None


def dump_yaml(value: Any, *, flow: bool | None = True) -> str:
    """One YAML value on as few lines as possible, without the document end marker."""
    import yaml

    out: str = yaml.dump(
        value,
        Dumper=_dumper(),
        default_flow_style=flow,
        sort_keys=False,
        allow_unicode=True,
        width=_HUGE_WIDTH,
    )
    if out.endswith("\n...\n"):
        out = out[: -len("\n...\n")]
    return out.rstrip("\n")


def split(text: str, path: str = "") -> tuple[str, str]:
    """Split file text into (frontmatter text, body). Fences must be alone on their lines."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != FENCE:
        raise InvalidEntryError(
            f"{path or 'entry'}:1: missing frontmatter: the first line must be '---'",
            "start the file with a '---' line, the YAML frontmatter, and another '---' line",
            path=path,
            line=1,
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") == FENCE:
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    raise InvalidEntryError(
        f"{path or 'entry'}:1: frontmatter is not closed: no second '---' line",
        "end the frontmatter with a line holding only '---'",
        path=path,
        line=1,
    )


def key_line(frontmatter: str, key: str) -> int:
    """1-based file line of a top-level key (the opening fence is line 1)."""
    match = re.search(rf"^{re.escape(key)}\s*:", frontmatter, re.MULTILINE)
    if not match:
        return 1
    return frontmatter.count("\n", 0, match.start()) + 2


class _Fields:
    """Typed access to a frontmatter mapping, raising errors that name file and line."""

    def __init__(self, data: dict[str, Any], frontmatter: str, path: str) -> None:
        self.data = data
        self.frontmatter = frontmatter
        self.path = path

    def fail(self, key: str, message: str, hint: str) -> InvalidEntryError:
        line = key_line(self.frontmatter, key)
        return InvalidEntryError(f"{self.path}:{line}: {message}", hint, path=self.path, line=line)

    def text(self, key: str, default: str = "", *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, f"'{key}' is required", f"add a line '{key}: ...'")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(key, f"'{key}' must be a string", f"quote the value of '{key}'")
        return str(value)

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if self.data.get(key) is not None else None

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(key, default)
        if value not in choices:
            raise self.fail(
                key, f"'{key}' is {value!r}, not one of {', '.join(choices)}", "use a listed value"
            )
        return value

    def words(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(key, f"'{key}' must be a list", f"write it as {key}: [a, b]")
        out = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise self.fail(key, f"'{key}' items must be strings", "quote each item")
            out.append(str(item))
        return tuple(out)

    def stale(self) -> Stale | None:
        """`stale: {since: commit:abc, paths: [...]}`; a bare `stale: true` (a hand edit)
        is a flag with no commit named."""
        value = self.data.get("stale")
        if value is None or value is False:
            return None
        if value is True:
            return Stale(since="")
        example = "stale: {since: commit:abc1234, paths: [src/a.py]}"
        if not isinstance(value, dict):
            raise self.fail("stale", "'stale' must be a mapping", f"write it as {example}")
        since = value.get("since") or ""
        paths = value.get("paths") or []
        if not isinstance(since, str | int) or not isinstance(paths, list):
            raise self.fail("stale", "'stale' needs a text 'since' and a list 'paths'", example)
        return Stale(since=str(since), paths=tuple(str(p) for p in paths))

    def pairs(self, key: str, first: str, second: str) -> list[tuple[str, str]]:
        value = self.data.get(key)
        if value is None:
            return []
        example = f"{key}:\n  - {{{first}: ..., {second}: ...}}"
        if not isinstance(value, list):
            raise self.fail(key, f"'{key}' must be a list of mappings", f"write it as {example}")
        out = []
        for item in value:
            if not isinstance(item, dict) or first not in item or second not in item:
                raise self.fail(key, f"each '{key}' item needs '{first}' and '{second}'", example)
            a, b = item[first], item[second]
            if not isinstance(a, str | int) or not isinstance(b, str | int) or isinstance(b, bool):
                raise self.fail(key, f"'{key}' values must be strings", "quote them")
            out.append((str(a), str(b)))
        return out

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.data.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(
                key, f"'{key}' must be an integer from {low} to {high}", f"e.g. {key}: {default}"
            )
        return value

    def number(self, key: str, default: int, low: int, high: int) -> float:
        """An int or a decimal number in [low, high], to two decimals (see round_importance)."""
        value = self.data.get(key, default)
        if value is None:
            return default
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if not is_number or not low <= value <= high:
            raise self.fail(
                key, f"'{key}' must be a number from {low} to {high}", f"e.g. {key}: {default}"
            )
        return round_importance(value)


KNOWN_KEYS = (
    "schema",
    "title",
    "summary",
    "kind",
    "tags",
    "keywords",
    "relations",
    "sources",
    "author",
    "trust",
    "importance",
    "maturity",
    "created",
    "updated",
    "valid_from",
    "valid_until",
    "anchors",
    "stale",
)


def parse(text: str, entry_id: str, path: str = "") -> Entry:
    """Parse an entry file strictly. Raises InvalidEntryError naming path and line."""
    path = path or f"tree/{entry_id}.md"
    text = text.removeprefix(BOM)  # see the module docstring: never written back
    frontmatter, body = split(text, path)
    try:
        data = load_yaml(frontmatter, path, first_line=2)
    except InvalidEntryError:
        raise
    except Exception as exc:  # yaml.YAMLError; yaml is imported lazily
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InvalidEntryError(
            f"{path}:{line}: malformed YAML frontmatter: {problem}",
            "fix the YAML between the '---' lines (quote values containing ': ' or '#')",
            path=path,
            line=line,
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidEntryError(
            f"{path}:2: frontmatter must be a YAML mapping of keys to values",
            "write 'key: value' lines between the '---' fences",
            path=path,
            line=2,
        )
    f = _Fields(data, frontmatter, path)
    schema = f.integer("schema", SCHEMA_VERSION, 1, 1_000_000)
    if schema > SCHEMA_VERSION:
        raise f.fail(
            "schema",
            f"schema {schema} is newer than this ctxtree understands ({SCHEMA_VERSION})",
            "upgrade ctxtree",
        )
    relations = []
    for rtype, target in f.pairs("relations", "type", "target"):
        if rtype not in RELATION_TYPES:
            raise f.fail(
                "relations",
                f"unknown relation type {rtype!r}",
                f"use one of {', '.join(RELATION_TYPES)}",
            )
        try:
            target = parse_target(target)
        except InvalidEntryError as exc:
            raise f.fail("relations", exc.message, exc.hint) from None
        relations.append(Relation(rtype, target))
    entry = Entry(
        id=entry_id,
        title=f.text("title", required=True),
        body=body,
        summary=f.text("summary"),
        kind=f.choice("kind", KINDS, "note"),
        tags=f.words("tags"),
        keywords=f.words("keywords"),
        relations=tuple(relations),
        sources=tuple(Source(t, r) for t, r in f.pairs("sources", "type", "ref")),
        author=f.text("author"),
        trust=f.choice("trust", TRUST_LEVELS, "user"),
        importance=f.number("importance", 50, 0, 100),
        maturity=f.choice("maturity", MATURITIES, "draft"),
        created=f.text("created"),
        updated=f.text("updated"),
        valid_from=f.optional_text("valid_from"),
        valid_until=f.optional_text("valid_until"),
        anchors=f.words("anchors"),
        stale=f.stale(),
        schema=schema,
        extra=tuple((k, v) for k, v in data.items() if k not in KNOWN_KEYS),
    )
    # The origin keeps the fences too, so CRLF files and a file ending at its closing fence
    # are written back byte for byte.
    origin = Origin(text=text[: len(text) - len(body)], mapping=canonical_mapping(entry))
    return _with_origin(entry, origin)


def _with_origin(entry: Entry, origin: Origin) -> Entry:
    object.__setattr__(entry, "origin", origin)
    return entry


def canonical_mapping(entry: Entry) -> tuple[tuple[str, Any], ...]:
    """The frontmatter as ordered (key, value) pairs: SPEC §2 order, then unknown keys."""
    items: list[tuple[str, Any]] = [("schema", entry.schema), ("title", entry.title)]
    if entry.summary:
        items.append(("summary", entry.summary))
    items.append(("kind", entry.kind))
    items.append(("tags", list(entry.tags)))
    items.append(("keywords", list(entry.keywords)))
    if entry.relations:
        items.append(("relations", [{"type": r.type, "target": r.target} for r in entry.relations]))
    if entry.sources:
        items.append(("sources", [{"type": s.type, "ref": s.ref} for s in entry.sources]))
    items += [
        ("author", entry.author),
        ("trust", entry.trust),
        ("importance", round_importance(entry.importance)),
        ("maturity", entry.maturity),
        ("created", entry.created),
        ("updated", entry.updated),
    ]
    if entry.valid_from is not None:
        items.append(("valid_from", entry.valid_from))
    if entry.valid_until is not None:
        items.append(("valid_until", entry.valid_until))
    if entry.anchors:
        items.append(("anchors", list(entry.anchors)))
    if entry.stale is not None:
        items.append(("stale", entry.stale.to_json()))
    items += list(entry.extra)
    return tuple(items)


def _original_head(entry: Entry) -> str | None:
    """The fences and frontmatter text the entry was parsed from, if no value changed since."""
    if entry.origin is not None and entry.origin.mapping == canonical_mapping(entry):
        return entry.origin.text
    return None


def render_frontmatter(entry: Entry) -> str:
    """Frontmatter text (without fences), reusing the original text when nothing changed."""
    head = _original_head(entry)
    if head is not None:
        return split(head)[0]
    lines = []
    for key, value in canonical_mapping(entry):
        if key in ("relations", "sources"):
            lines.append(f"{key}:")
            lines.extend(f"  - {dump_yaml(item)}" for item in value)
        elif key in KNOWN_KEYS:
            lines.append(f"{key}: {dump_yaml(value)}")
        else:
            # Block style at the top, else `{key: scalar}` would be a flow mapping as a key.
            flow = None if isinstance(value, dict | list) else False
            lines.append(dump_yaml({key: value}, flow=flow))
    return "\n".join(lines) + "\n"


def serialize(entry: Entry) -> str:
    """The full file text of an entry, in its file's line-ending style (module docstring)."""
    crlf = entry.origin is not None and entry.origin.text.startswith(FENCE + CRLF)
    head = _original_head(entry)
    if head is None:
        head = f"{FENCE}\n{render_frontmatter(entry)}{FENCE}\n"
        if crlf:
            head = head.replace("\n", CRLF)
    elif entry.body and not head.endswith("\n"):
        head += CRLF if crlf else "\n"  # the file ended at its closing fence, now has a body
    return head + _line_endings(entry.body, crlf)


def _line_endings(body: str, crlf: bool) -> str:
    """`body` with every line ending CRLF (`crlf`) or LF; unchanged when it already is."""
    if crlf:
        if body.count("\n") == body.count(CRLF):
            return body
        return body.replace(CRLF, "\n").replace("\n", CRLF)
    return body.replace(CRLF, "\n") if CRLF in body else body


def with_scalars(text: str, values: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """`text` with the top-level `key: value` lines of `values` given new plain values (YAML
    written by the caller), and the values they held. Only those values change: comments,
    hand formatting and the body stay byte for byte, so a lifecycle pass diffs as one line per
    field. None when the text has no valid fences or a key's line is not one plain
    `key: value` line (missing, repeated, quoted, over several lines): re-serialize instead."""
    try:
        _frontmatter, body = split(text)
    except InvalidEntryError:
        return None
    head = text[: len(text) - len(body)]
    old: dict[str, str] = {}
    for key, value in values.items():
        found = list(_scalar_line(key).finditer(head))
        if len(found) != 1:
            return None
        match = found[0]
        old[key] = match.group(1)
        head = f"{head[: match.start(1)]}{value}{head[match.end(1) :]}"
    return head + body, old


@cache
def _scalar_line(key: str) -> re.Pattern[str]:
    """A top-level `key: plain-scalar` line, an optional comment after it (kept)."""
    plain = r"[^\s#'\"{\[|>&*!%@`,][^\n#]*?"
    return re.compile(rf"^{re.escape(key)}:[ \t]*({plain})(?:[ \t]+#[^\n]*)?[ \t]*\r?$", re.M)
