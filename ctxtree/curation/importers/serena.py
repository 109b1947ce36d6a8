"""Serena's project memories (`.serena/memories/`) into entries. Pure.

Input: the folder's files as `{path relative to .serena/memories/: text}`. A memory is a
markdown file named by the agent (`suggested_commands.md`, `style_and_conventions.md`, ...;
names may contain `/` for folders). Mapping:

| memory | entry |
|---|---|
| `name.md` | `<domain>/memories/name` (`_` as `-`) |
| `folder/name.md`, `folder/sub/name.md` | `<domain>/folder/name`, `<domain>/folder/sub/name` |

The title is the first `# ` heading, else the name in words; the body is kept verbatim. Kind
from the name: commands and checklists are procedures, style and conventions are
conventions, everything else a note. Serena memories carry no relations or metadata, so
nothing is dropped; non-markdown and hidden files are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping

from ctxtree.curation.importers.folders import Placement, folder_id, read_folder
from ctxtree.curation.importers.records import Imported

FORMAT = "serena"
DEFAULT_DOMAIN = "serena"
TOPIC = "memories"
# A word in the memory's name -> its kind (the first match in this order wins).
KIND_WORDS = (
    ("command", "procedure"),
    ("checklist", "procedure"),
    ("workflow", "procedure"),
    ("convention", "convention"),
    ("style", "convention"),
    ("decision", "decision"),
)


def kind_of(name: str) -> str:
    """The entry kind a memory's file name suggests (`note` when none does)."""
    lowered = name.lower()
    return next((kind for word, kind in KIND_WORDS if word in lowered), "note")


def read_memories(files: Mapping[str, str], domain: str = DEFAULT_DOMAIN) -> Imported:
    """Entries of Serena's memories folder, in path order."""

    def place(path: str) -> Placement | None:
        entry_id = folder_id(domain, path, TOPIC)
        return Placement(entry_id, kind_of(path.rsplit("/", 1)[-1])) if entry_id else None

    return read_folder(files, FORMAT, place)
