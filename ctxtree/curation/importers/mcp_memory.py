"""The MCP reference memory server's knowledge graph (`memory.jsonl`, formerly `memory.json`)
into entries. Pure.

Input: the file's text, one JSON object a line (the server writes entities, then relations):
`{"type": "entity", "name", "entityType", "observations": [str]}` and
`{"type": "relation", "from", "to", "relationType"}`. Mapping:

- entity `name` of `entityType` -> entry `<domain>/<entityType slug>/<name slug>`, titled
  `name`, tagged `entityType`;
- its observations -> the body's `## Observations` list; the first is the summary;
- relation `from` -> `to` -> a typed relation on `from`'s entry (relation_names; other
  names `related`) and a line `- relationType [[<to's id>|to]]` in its body's `## Relations`,
  so the original name stays.

Skipped (as `FILE:LINE`): lines that are not JSON objects, objects of another type or with
missing fields (the server skips those too), and an entity whose id another entity already
took. Dropped and counted: relations whose end is not an entity in the file (kept as plain
text in the body).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from ctxtree.curation.importers.folders import counted, segment
from ctxtree.curation.importers.records import Imported, Skipped
from ctxtree.curation.importers.relation_names import relation_type, unique_relations
from ctxtree.tree.model import Entry, Relation, Source

FORMAT = "mcp-memory"
DEFAULT_DOMAIN = "mcp-memory"
SUMMARY_CHARS = 200


@dataclass(frozen=True)
class Entity:
    name: str
    type: str
    observations: tuple[str, ...]


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    type: str


def _strings(value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return tuple(value)


def parse_graph(text: str, name: str) -> tuple[list[Entity], list[Link], list[Skipped]]:
    """Entities, relations and skipped lines of a memory file, in file order."""
    entities: list[Entity] = []
    links: list[Link] = []
    skipped: list[Skipped] = []
    for lineno, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            item = json.loads(raw)
        except ValueError:
            skipped.append(Skipped(where, "not a JSON object"))
            continue
        if not isinstance(item, dict):
            skipped.append(Skipped(where, "not a JSON object"))
            continue
        kind = item.get("type")
        fields: tuple[object, ...]
        if kind == "entity":
            fields = (item.get("name"), item.get("entityType"))
            observations = _strings(item.get("observations", []))
            if all(isinstance(f, str) and f.strip() for f in fields) and observations is not None:
                entities.append(Entity(str(fields[0]), str(fields[1]), observations))
                continue
            skipped.append(Skipped(where, "entity without a name, entityType or observations"))
        elif kind == "relation":
            fields = (item.get("from"), item.get("to"), item.get("relationType"))
            if all(isinstance(f, str) and f.strip() for f in fields):
                links.append(Link(str(fields[0]), str(fields[1]), str(fields[2])))
                continue
            skipped.append(Skipped(where, "relation without from, to or relationType"))
        else:
            skipped.append(Skipped(where, f"type {kind!r} is neither entity nor relation"))
    return entities, links, skipped


def _summary(observations: tuple[str, ...]) -> str:
    first = " ".join(observations[0].split()) if observations else ""
    if len(first) <= SUMMARY_CHARS:
        return first
    return first[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _body(entity: Entity, lines: list[str]) -> str:
    parts = [f"# {entity.name}", "", f"Entity type: {entity.type}"]
    if entity.observations:
        parts += ["", "## Observations", *(f"- {' '.join(o.split())}" for o in entity.observations)]
    if lines:
        parts += ["", "## Relations", *lines]
    return "\n".join(parts) + "\n"


def read_graph(text: str, name: str = "memory.jsonl", domain: str = DEFAULT_DOMAIN) -> Imported:
    """Entries of a memory file, one per entity in file order, with relations resolved."""
    entities, links, skipped = parse_graph(text, name)
    ids: dict[str, str] = {}  # entity name -> id
    owner: dict[str, str] = {}  # id -> entity name
    kept: list[Entity] = []
    for entity in entities:
        where = f"{name}#{entity.name}"
        topic, stem = segment(entity.type, "type"), segment(entity.name, "entity")
        entry_id = f"{domain}/{topic}/{stem}"
        if not topic or not stem:
            skipped.append(Skipped(where, "its name or type has no letters or digits for an id"))
            continue
        if entity.name in ids:
            skipped.append(Skipped(where, "the entity is given twice; the first is imported"))
            continue
        if entry_id in owner:
            skipped.append(Skipped(where, f"its id {entry_id} is taken by {owner[entry_id]}"))
            continue
        ids[entity.name], owner[entry_id] = entry_id, entity.name
        kept.append(entity)
    dropped: Counter[str] = Counter()
    outgoing: dict[str, list[Link]] = {}
    for link in links:
        if link.source in ids:
            outgoing.setdefault(link.source, []).append(link)
        else:
            dropped["relation from an entity not in the file"] += 1
    entries: list[Entry] = []
    for entity in kept:
        entry_id = ids[entity.name]
        relations: list[Relation] = []
        lines: list[str] = []
        for link in outgoing.get(entity.name, []):
            target = ids.get(link.target)
            if target is None:
                dropped["relation to an entity not in the file"] += 1
                lines.append(f"- {link.type} {link.target}")
                continue
            relations.append(Relation(relation_type(link.type), target))
            lines.append(f"- {link.type} [[{target}|{link.target}]]")
        entries.append(
            Entry(
                id=entry_id,
                title=" ".join(entity.name.split()),
                summary=_summary(entity.observations),
                body=_body(entity, lines),
                tags=(entity.type,),
                relations=unique_relations(relations, entry_id),
                sources=(Source(FORMAT, f"{name}#{entity.name}"),),
            )
        )
    return Imported(tuple(entries), (), tuple(skipped), counted(dropped))
