"""The format parsers (byterover, memory-bank, serena, basic-memory, mcp-memory) on fixtures
built from each format's published documentation: exact ids, relations, skips and drops."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctxtree.curation.importers import basic_memory, byterover, mcp_memory, memory_bank, serena
from ctxtree.curation.importers.byterover import RawConcept, raw_concept
from ctxtree.curation.importers.folders import folder_id, segment
from ctxtree.curation.importers.records import Imported
from ctxtree.curation.importers.relation_names import relation_type

DATA = Path(__file__).parent / "data" / "import"


def folder(path: Path) -> dict[str, str]:
    return {p.relative_to(path).as_posix(): p.read_text() for p in path.rglob("*") if p.is_file()}


def relations(read: Imported) -> dict[str, list[str]]:
    return {e.id: [r.render() for r in e.relations] for e in read.entries}


def skipped(read: Imported) -> dict[str, str]:
    return {s.path: s.reason for s in read.skipped}


# ---- pure pieces -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "ours"),
    [
        ("relates_to", "related"),
        ("requires", "depends_on"),
        ("dependsOn", "depends_on"),
        ("depends on", "depends_on"),
        ("is part of", "part_of"),
        ("part-of", "part_of"),
        ("implements", "example_of"),
        ("extends", "derived_from"),
        ("inspired_by", "derived_from"),
        ("replaces", "supersedes"),
        ("conflicts_with", "contradicts"),
        ("supersedes", "supersedes"),
        ("works_at", "related"),
        ("contrasts_with", "related"),
        ("", "related"),
    ],
)
def test_relation_names_map_onto_ours(name: str, ours: str) -> None:
    assert relation_type(name) == ours


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("refresh_token_rotation", "refresh-token-rotation"),
        ("Café Notes", "cafe-notes"),
        ("context", "context-notes"),
        ("_index", "index"),
        ("???", ""),
    ],
)
def test_segments_become_our_slugs(text: str, slug: str) -> None:
    assert segment(text) == slug


@pytest.mark.parametrize(
    ("path", "entry_id"),
    [
        ("note.md", "d/loose/note"),
        ("a/note.md", "d/a/note"),
        ("a/b/note.md", "d/a/b/note"),
        ("a/b/c/note.md", "d/a/b-c/note"),
        ("A Folder/My Note.md", "d/a-folder/my-note"),
        ("a/context.md", "d/a/context-note"),
        ("a/!!.md", None),
    ],
)
def test_folder_ids(path: str, entry_id: str | None) -> None:
    assert folder_id("d", path, "loose") == entry_id


def test_raw_concept_labels() -> None:
    body = (
        "## Raw Concept\n**Task:** t\n**Files:**\n- src/a.py\n- `src/b.py`\n"
        "**Timestamp:** 2026-04-24\n**Author:** dana\n\n## Facts\n- **Files:** not these\n"
    )
    assert raw_concept(body) == RawConcept(("src/a.py", "src/b.py"), "dana", "2026-04-24")
    assert raw_concept("no sections") == RawConcept()


# ---- byterover ---------------------------------------------------------------------------------
def test_byterover_tree() -> None:
    read = byterover.read_tree(folder(DATA / "byterover" / ".brv" / "context-tree"))
    assert relations(read) == {
        "authentication/jwt/refresh-token-rotation": [
            "related:authentication/jwt/signing-keys",
            "related:database/postgres/connection-pooling",
        ],
        "authentication/jwt/rotation/reuse-detection": [
            "related:authentication/jwt/refresh-token-rotation"
        ],
        "authentication/jwt/signing-keys": [],
        "database/postgres/connection-pooling": ["related:authentication/jwt/signing-keys"],
    }
    assert [(o.folder, o.title, o.summary) for o in read.overviews] == [
        (
            "authentication",
            "authentication",
            "How users and services prove who they are: token issuing, refresh and key management.",
        ),
        (
            "authentication/jwt",
            "jwt",
            "Access tokens are short-lived JWTs; refresh tokens rotate on every use.",
        ),
    ]
    archived = "archived in ByteRover (_archived/): archived entries are not imported"
    derived = "derived by ByteRover (regenerated from the entries)"
    assert skipped(read) == {
        "_archived/database/postgres/old_pool_settings.full.md": archived,
        "_archived/database/postgres/old_pool_settings.stub.md": archived,
        "_index.md": derived,
        "_manifest.json": derived,
        "authentication/_index.md": derived,
        "authentication/jwt/refresh_token_rotation.abstract.md": derived,
        "authentication/jwt/rotation/context.md": (
            "subtopic overview: ctx keeps overviews for domains and topics only"
        ),
        "database/postgres/broken_entry.md": (
            "frontmatter not read: frontmatter is not YAML (ParserError)"
        ),
        "notes.md": "not inside a domain/topic folder",
    }
    assert read.dropped == (
        ("lifecycle field accessCount", 1),
        ("lifecycle field recency", 1),
        ("lifecycle field updateCount", 1),
        ("other frontmatter field", 1),
        ("relation to a file not in the tree", 2),
    )


def test_byterover_entry_fields() -> None:
    read = byterover.read_tree(folder(DATA / "byterover" / ".brv" / "context-tree"))
    by_id = {e.id: e for e in read.entries}
    rotation = by_id["authentication/jwt/refresh-token-rotation"]
    assert rotation.title == "Refresh token rotation"
    assert (
        rotation.summary == "Each refresh issues a new refresh token and revokes the previous one."
    )
    assert rotation.tags == ("auth", "security")
    assert rotation.keywords == ("refresh token", "rotation", "revoke")
    assert [s.render() for s in rotation.sources] == [
        "byterover:authentication/jwt/refresh_token_rotation.md",
        "file:src/auth/refresh.ts",
        "file:src/auth/token_family.ts",
    ]
    assert (rotation.author, rotation.importance, rotation.maturity) == ("dana", 72, "validated")
    assert (rotation.created, rotation.updated) == (
        "2026-03-02T10:15:00.000Z",
        "2026-04-24T08:30:00.000Z",
    )
    assert rotation.body.startswith("## Reason\nA stolen refresh token")
    assert (
        "## Facts\n- **refresh lifetime**: refresh tokens live 14 days [project]" in rotation.body
    )
    legacy = by_id["authentication/jwt/rotation/reuse-detection"]
    assert (legacy.title, legacy.importance, legacy.maturity, legacy.created) == (
        "Reuse detection",
        50,
        "draft",
        "",
    )


# ---- memory bank -------------------------------------------------------------------------------
def test_memory_bank() -> None:
    read = memory_bank.read_bank(folder(DATA / "memory-bank" / "memory-bank"))
    core = "memory-bank/core/"
    assert relations(read) == {
        core + "active-context": [
            f"depends_on:{core}product-context",
            f"depends_on:{core}system-patterns",
            f"depends_on:{core}tech-context",
        ],
        "memory-bank/features/csv-import": [],
        core + "product-context": [f"depends_on:{core}project-brief"],
        core + "progress": [f"depends_on:{core}active-context"],
        core + "project-brief": [],
        core + "system-patterns": [f"depends_on:{core}project-brief"],
        core + "tech-context": [f"depends_on:{core}project-brief"],
    }
    kinds = {e.id.removeprefix(core): e.kind for e in read.entries}
    assert (kinds["system-patterns"], kinds["tech-context"], kinds["progress"]) == (
        "convention",
        "fact",
        "note",
    )
    assert skipped(read) == {"scratch.txt": "not a markdown file"}
    assert read.dropped == ()


def test_memory_bank_roo_files_without_projectbrief() -> None:
    files = {"decisionLog.md": "# Decision Log\n\n- use SQLite\n", "progress.md": "Done: x\n"}
    read = memory_bank.read_bank(files, domain="roo")
    assert [(e.id, e.kind, e.title, e.summary) for e in read.entries] == [
        ("roo/core/decision-log", "decision", "Decision Log", "use SQLite"),
        ("roo/core/progress", "note", "Progress", "Done: x"),
    ]
    assert relations(read) == {"roo/core/decision-log": [], "roo/core/progress": []}


# ---- serena ------------------------------------------------------------------------------------
def test_serena_memories() -> None:
    read = serena.read_memories(folder(DATA / "serena" / ".serena" / "memories"))
    assert [(e.id, e.kind, e.title) for e in read.entries] == [
        ("serena/architecture/storage-layer", "note", "Storage layer"),
        ("serena/memories/project-overview", "note", "Project overview"),
        ("serena/memories/style-and-conventions", "convention", "Code style and conventions"),
        ("serena/memories/suggested-commands", "procedure", "Suggested commands"),
        ("serena/memories/task-completion-checklist", "procedure", "When a task is done"),
    ]
    assert read.skipped == () and read.dropped == ()
    assert read.entries[3].body.startswith("Commands to run while developing:")


# ---- basic memory ------------------------------------------------------------------------------
def test_basic_memory_project() -> None:
    read = basic_memory.read_project(folder(DATA / "basic-memory"))
    bm = "basic-memory/"
    assert relations(read) == {
        bm + "notes/brewing-ratio-decision": [],
        bm + "coffee/beans/coffee-bean-origins": [f"part_of:{bm}coffee/coffee-brewing-methods"],
        bm + "coffee/coffee-brewing-methods": [
            f"related:{bm}coffee/grinder-settings",
            f"related:{bm}coffee/beans/coffee-bean-origins",
            f"depends_on:{bm}coffee/proper-grinding-technique",
            f"example_of:{bm}notes/brewing-ratio-decision",
        ],
        bm + "coffee/grinder-settings": [f"part_of:{bm}coffee/proper-grinding-technique"],
        bm + "coffee/proper-grinding-technique": [f"related:{bm}coffee/coffee-brewing-methods"],
        bm + "people/james-hoffmann": [f"derived_from:{bm}coffee/coffee-brewing-methods"],
    }
    by_id = {e.id: e for e in read.entries}
    assert by_id[bm + "notes/brewing-ratio-decision"].kind == "decision"
    assert by_id[bm + "people/james-hoffmann"].tags == ("coffee", "person")
    assert by_id[bm + "coffee/grinder-settings"].tags == (
        "coffee",
        "equipment",
        "grind",
        "espresso",
    )
    methods = by_id[bm + "coffee/coffee-brewing-methods"]
    assert methods.tags == ("coffee", "brewing")
    assert (
        "- requires [[basic-memory/coffee/proper-grinding-technique|Proper Grinding" in methods.body
    )
    assert "- contrasts_with [[Tea Brewing Methods]]" in methods.body
    assert "- [ ] try the inverted AeroPress method" in methods.body
    assert read.dropped == (
        ("other frontmatter field", 1),
        ("permalink (ids come from paths)", 6),
        ("relation to a note not in the project", 2),
    )
    assert read.skipped == ()


# ---- mcp memory --------------------------------------------------------------------------------
def test_mcp_memory_graph() -> None:
    text = (DATA / "mcp-memory" / "memory.jsonl").read_text()
    read = mcp_memory.read_graph(text, "memory.jsonl")
    m = "mcp-memory/"
    assert relations(read) == {
        m + "person/john-smith": [
            f"related:{m}organization/anthropic",
            f"related:{m}project/project-atlas",
        ],
        m + "organization/anthropic": [],
        m + "project/project-atlas": [f"depends_on:{m}component/search-backend"],
        m + "component/search-backend": [f"part_of:{m}project/project-atlas"],
        m + "person/jane-doe": [],
    }
    assert skipped(read) == {
        "memory.jsonl:7": "entity without a name, entityType or observations",
        "memory.jsonl:8": "not a JSON object",
        "memory.jsonl#John Smith": "its id mcp-memory/person/john-smith is taken by John_Smith",
    }
    assert read.dropped == (
        ("relation from an entity not in the file", 1),
        ("relation to an entity not in the file", 1),
    )
    john = read.entries[0]
    assert (john.title, john.summary, john.tags) == (
        "John_Smith",
        "Speaks fluent Spanish",
        ("person",),
    )
    assert john.body == (
        "# John_Smith\n\nEntity type: person\n\n## Observations\n- Speaks fluent Spanish\n"
        "- Graduated in 2019\n- Prefers morning meetings\n\n## Relations\n"
        f"- works_at [[{m}organization/anthropic|Anthropic]]\n"
        f"- leads [[{m}project/project-atlas|Project Atlas]]\n"
    )
    jane = read.entries[4]
    assert jane.body.endswith("## Relations\n- works_at Acme Corp\n")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[1, 2]", "not a JSON object"),
        ('{"type": "note"}', "type 'note' is neither entity nor relation"),
        (
            '{"type": "relation", "from": "a", "to": "b"}',
            "relation without from, to or relationType",
        ),
        (
            '{"type": "entity", "name": "a", "entityType": "t", "observations": [1]}',
            "entity without a name, entityType or observations",
        ),
        ('{"type": "entity", "name": "!!", "entityType": "t", "observations": []}', None),
    ],
)
def test_mcp_memory_bad_lines(line: str, reason: str | None) -> None:
    read = mcp_memory.read_graph(line + "\n", "m.json")
    if reason is None:
        assert read.entries == ()
        assert skipped(read) == {"m.json#!!": "its name or type has no letters or digits for an id"}
    else:
        assert skipped(read) == {"m.json:1": reason}
