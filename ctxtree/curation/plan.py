"""Curation plans: the agent-native write path (`ctx apply`). Pure: parsing, the published
JSON Schema, and impact assessment. Applying lives in `service/plans.py`.

A plan is `{"reason": "...", "operations": [OP, ...]}` (or a bare list of OPs). Each OP has
`op` (ADD, UPDATE, UPSERT, MERGE, SUPERSEDE, ARCHIVE, DELETE, LINK, FORGET, and the
fact-level SUPERSEDE_FACT, FORGET_FACT, ADD_FACT; case-insensitive) and a `reason`. SUPERSEDE
and FORGET may name entries by description (`matching`, resolved by curation/matching.py
against the store as it was before the plan). Problems are collected per operation, never
raised one at a time, so an agent sees every mistake of a plan in one round trip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ctxtree.curation import sections
from ctxtree.tree.model import KINDS, MATURITIES, RELATION_TYPES, TRUST_LEVELS, Entry, Relation

OPS = (
    "ADD", "UPDATE", "UPSERT", "MERGE", "SUPERSEDE", "ARCHIVE", "DELETE", "LINK", "FORGET",
    "SUPERSEDE_FACT", "FORGET_FACT", "ADD_FACT",
)  # fmt: skip
MAX_OPERATIONS = 1000

_STR = {"type": "string"}
_STRS = {"type": "array", "items": {"type": "string"}}
_REL = {
    "type": "object",
    "properties": {"type": {"enum": list(RELATION_TYPES)}, "target": _STR},
    "required": ["type", "target"],
    "additionalProperties": False,
}
_SRC = {
    "type": "object",
    "properties": {"type": _STR, "ref": _STR},
    "required": ["type", "ref"],
    "additionalProperties": False,
}
ENTRY_FIELDS: dict[str, Any] = {
    "title": _STR,
    "summary": _STR,
    "body": {"type": "string", "description": "Markdown; a '# title' line is added if absent."},
    "kind": {"enum": list(KINDS)},
    "tags": _STRS,
    "keywords": _STRS,
    "relations": {"type": "array", "items": _REL},
    "sources": {"type": "array", "items": _SRC},
    "trust": {"enum": list(TRUST_LEVELS)},
    "importance": {"type": "number", "minimum": 0, "maximum": 100},
    "maturity": {"enum": list(MATURITIES)},
    "valid_from": {"type": ["string", "null"]},
    "valid_until": {"type": ["string", "null"]},
    "anchors": _STRS,
}
_REASON = {"type": "string", "minLength": 1, "description": "Why; recorded in the commit."}
_ID = {"type": "string", "description": "Entry id: domain/topic[/subtopic]/entry"}
_FACT = {
    "type": "string",
    "minLength": 1,
    "description": "One fact of the entry (a body line or list item, or one clause of a line "
    "written 'A; B.'): its text, any case, or words only it contains.",
}
_MATCHING = {
    "type": "string",
    "description": "A description instead of an id (as `ctx forget --matching`): SUPERSEDE "
    "takes its one unambiguous best match, FORGET every entry it refers to.",
}


def _op_schema(op: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"op": {"enum": [op, op.lower()]}, "reason": _REASON, **props},
        "required": ["op", "reason", *required],
        "additionalProperties": False,
    }
    if op in ONE_OF:
        schema["oneOf"] = [{"required": [key]} for key in ONE_OF[op]]
    return schema


# Which keys each operation takes, and which it requires (besides op and reason).
SHAPES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "ADD": ({"id": _ID, **ENTRY_FIELDS}, ["id", "title"]),
    "UPDATE": ({"id": _ID, **ENTRY_FIELDS}, ["id"]),
    "UPSERT": ({"id": _ID, **ENTRY_FIELDS}, ["id"]),
    "MERGE": ({"source": _ID, "target": _ID}, ["source", "target"]),
    "SUPERSEDE": ({"old": _ID, "new": _ID, "matching": _MATCHING}, ["new"]),
    "ARCHIVE": ({"id": _ID}, ["id"]),
    "DELETE": ({"id": _ID, "force": {"type": "boolean"}}, ["id"]),
    "LINK": (
        {"source": _ID, "target": _ID, "type": {"enum": list(RELATION_TYPES)}},
        ["source", "target"],
    ),
    # One fact changes, the rest of the entry stays; the old text stays in git history.
    "SUPERSEDE_FACT": (
        {"id": _ID, "fact": _FACT, "with": {**_FACT, "description": "The new fact (optional)."}},
        ["id", "fact"],
    ),
    "FORGET_FACT": ({"id": _ID, "fact": _FACT}, ["id", "fact"]),
    "ADD_FACT": ({"id": _ID, "fact": {**_FACT, "description": "The fact to add."}}, ["id", "fact"]),
    "FORGET": ({"matching": _MATCHING}, ["matching"]),
}
# Exactly one of these keys, for the operations that take either.
ONE_OF = {"SUPERSEDE": ("old", "matching")}


def json_schema() -> dict[str, Any]:
    """The plan format as JSON Schema (draft 2020-12), printed by `ctx apply --schema`."""
    one_of = [_op_schema(op, *SHAPES[op]) for op in OPS]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://ctxtree.dev/schema/plan-1.json",
        "title": "ctxtree curation plan",
        "description": (
            "Operations applied in order, as one commit, only if every one is valid. "
            "UPDATE replaces the fields it names; lists are replaced, not merged, so an UPDATE "
            "that drops facts (body lines), relations or sources is high impact and refused "
            "without --allow-loss. UPSERT is ADD for a new id and UPDATE for an existing one. "
            "SUPERSEDE_FACT, FORGET_FACT and ADD_FACT change one fact of an entry and keep "
            "the rest: use them to correct a fact instead of rewriting the body."
        ),
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "reason": _STR,
                    "operations": {
                        "type": "array",
                        "items": {"oneOf": one_of},
                        "maxItems": MAX_OPERATIONS,
                    },
                },
                "required": ["operations"],
                "additionalProperties": False,
            },
            {"type": "array", "items": {"oneOf": one_of}, "maxItems": MAX_OPERATIONS},
        ],
    }


@dataclass(frozen=True)
class Operation:
    index: int
    op: str
    reason: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def subject(self) -> str:
        """The ids it touches, for reports: `a/b/c`, `a/b/c -> a/b/d`."""
        f = self.fields
        if self.op == "MERGE":
            return f"{f.get('source', '?')} -> {f.get('target', '?')}"
        if self.op == "SUPERSEDE":
            old = f.get("old") or (f"matching {f['matching']!r}" if "matching" in f else "?")
            return f"{f.get('new', '?')} supersedes {old}"
        if self.op == "FORGET":
            return f"matching {f.get('matching', '?')!r}"
        if self.op == "LINK":
            kind = f.get("type", "related")
            return f"{f.get('source', '?')} -{kind}-> {f.get('target', '?')}"
        return str(f.get("id", "?"))


def _type_problem(name: str, value: Any, schema: Mapping[str, Any]) -> str | None:
    if "enum" in schema:
        return None if value in schema["enum"] else f"{name} must be one of {schema['enum']}"
    kind = schema.get("type")
    kinds: list[str] = [str(k) for k in kind] if isinstance(kind, list) else [str(kind)]
    checks = {
        "string": lambda v: isinstance(v, str),
        "null": lambda v: v is None,
        "boolean": lambda v: isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if not any(checks[k](value) for k in kinds):
        return f"{name} must be {' or '.join(kinds)}"
    if "minimum" in schema and not schema["minimum"] <= value <= schema["maximum"]:
        return f"{name} must be from {schema['minimum']} to {schema['maximum']}"
    if kind == "array":
        for i, item in enumerate(value):
            problem = _type_problem(f"{name}[{i}]", item, schema["items"])
            if problem:
                return problem
    if kind == "object":
        props = schema.get("properties", {})
        missing = [k for k in schema.get("required", []) if k not in value]
        if missing:
            return f"{name} lacks {', '.join(missing)}"
        for key, item in value.items():
            if key not in props:
                return f"{name} has unknown key {key!r}"
            problem = _type_problem(f"{name}.{key}", item, props[key])
            if problem:
                return problem
    return None


def parse_operation(index: int, raw: Any) -> Operation:
    """One operation with every schema problem listed (an invalid one is still returned)."""
    if not isinstance(raw, dict):
        return Operation(index, "?", "", problems=("an operation must be a JSON object",))
    op = str(raw.get("op", "")).upper()
    reason = raw.get("reason")
    if op not in SHAPES:
        return Operation(
            index, op or "?", str(reason or ""), problems=(f"op must be one of {', '.join(OPS)}",)
        )
    props, required = SHAPES[op]
    problems = []
    if not isinstance(reason, str) or not reason.strip():
        problems.append("reason is required: say why, it goes into the commit")
    problems += [f"{key} is required" for key in required if key not in raw]
    either = ONE_OF.get(op)
    if either and sum(key in raw for key in either) != 1:
        problems.append(f"give one of {' or '.join(either)}")
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("op", "reason"):
            continue
        if key not in props:
            problems.append(f"unknown field {key!r} for {op}")
            continue
        problem = _type_problem(key, value, props[key])
        if problem:
            problems.append(problem)
        else:
            fields[key] = value
    return Operation(index, op, str(reason or "").strip(), fields, tuple(problems))


@dataclass(frozen=True)
class Plan:
    reason: str
    operations: tuple[Operation, ...]
    problems: tuple[str, ...] = ()  # problems of the plan as a whole


def parse_plan(raw: Any) -> Plan:
    """A plan from decoded JSON: an object with `operations`, or a bare list."""
    items: Any
    if isinstance(raw, list):
        items, reason = raw, ""
    elif isinstance(raw, dict):
        unknown = sorted(set(raw) - {"reason", "operations"})
        if unknown:
            return Plan("", (), (f"unknown plan key {unknown[0]!r}",))
        items, reason = raw.get("operations"), str(raw.get("reason") or "")
        if not isinstance(items, list):
            return Plan(reason, (), ("operations must be a list of operations",))
    else:
        return Plan("", (), ("a plan is a JSON object with operations, or a list of them",))
    if not items:
        return Plan(reason, (), ("the plan has no operations",))
    if len(items) > MAX_OPERATIONS:
        return Plan(reason, (), (f"over {MAX_OPERATIONS} operations: split the plan",))
    return Plan(reason, tuple(parse_operation(i, item) for i, item in enumerate(items)))


def losses(old: Entry, new: Entry) -> list[str]:
    """What an update drops: facts (body lines), relations and sources, one line each."""
    out = [f"drops fact: {fact[:80]}" for fact in sections.lost_facts(old.body, new.body)]
    out += [f"drops relation {r.render()}" for r in old.relations if r not in new.relations]
    out += [f"drops source {s.render()}" for s in old.sources if s not in new.sources]
    return out


def relations_of(items: Sequence[Mapping[str, str]]) -> tuple[Relation, ...]:
    return tuple(dict.fromkeys(Relation(r["type"], r["target"]) for r in items))
