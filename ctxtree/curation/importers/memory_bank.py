"""A Cline or Roo Code memory bank (`memory-bank/`) into entries. Pure.

Input: the folder's files as `{path relative to memory-bank/: text}`. The memory bank is plain
markdown without frontmatter; its core files make one topic, `<domain>/core`, and build on
each other in the hierarchy Cline documents (projectbrief -> productContext, systemPatterns,
techContext -> activeContext -> progress), written as `depends_on` relations to the files
each builds on (only to core files that exist). Roo Code's `decisionLog.md` is a decision.

| file (name matched case-insensitively) | entry | kind |
|---|---|---|
| projectbrief.md | `<domain>/core/project-brief` | note |
| productContext.md | `<domain>/core/product-context` | note |
| systemPatterns.md | `<domain>/core/system-patterns` | convention |
| techContext.md | `<domain>/core/tech-context` | fact |
| activeContext.md | `<domain>/core/active-context` | note |
| progress.md | `<domain>/core/progress` | note |
| decisionLog.md (Roo) | `<domain>/core/decision-log` | decision |
| any other `x.md` at the top | `<domain>/notes/x` | note |
| `folder/x.md`, `folder/sub/x.md` | `<domain>/folder/x`, `<domain>/folder/sub/x` | note |

Bodies are kept verbatim; the title is the first `# ` heading, else the file's role. Nothing
in the format is dropped; non-markdown and hidden files are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ctxtree.curation.importers.folders import Placement, folder_id, read_folder
from ctxtree.curation.importers.records import Imported
from ctxtree.tree.model import Relation

FORMAT = "memory-bank"
DEFAULT_DOMAIN = "memory-bank"
CORE_TOPIC = "core"
# lowercase file name -> (entry name, kind, title, the core files it builds on)
CORE: Mapping[str, tuple[str, str, str, tuple[str, ...]]] = {
    "projectbrief.md": ("project-brief", "note", "Project brief", ()),
    "productcontext.md": ("product-context", "note", "Product context", ("projectbrief.md",)),
    "systempatterns.md": ("system-patterns", "convention", "System patterns", ("projectbrief.md",)),
    "techcontext.md": ("tech-context", "fact", "Tech context", ("projectbrief.md",)),
    "activecontext.md": (
        "active-context",
        "note",
        "Active context",
        ("productcontext.md", "systempatterns.md", "techcontext.md"),
    ),
    "progress.md": ("progress", "note", "Progress", ("activecontext.md",)),
    "decisionlog.md": ("decision-log", "decision", "Decision log", ()),
}


def read_bank(files: Mapping[str, str], domain: str = DEFAULT_DOMAIN) -> Imported:
    """Entries of a memory bank, in path order, with the core hierarchy as relations."""

    def place(path: str) -> Placement | None:
        core = CORE.get(path.lower()) if "/" not in path else None
        if core is not None:
            name, kind, title, _ = core
            return Placement(f"{domain}/{CORE_TOPIC}/{name}", kind, title)
        entry_id = folder_id(domain, path, "notes")
        return Placement(entry_id) if entry_id else None

    read = read_folder(files, FORMAT, place)
    core_ids = {
        e.sources[0].ref.lower(): e.id for e in read.entries if e.sources[0].ref.lower() in CORE
    }
    entries = []
    for entry in read.entries:
        name = entry.sources[0].ref.lower()
        parents = CORE[name][3] if name in core_ids else ()
        relations = tuple(Relation("depends_on", core_ids[p]) for p in parents if p in core_ids)
        entries.append(replace(entry, relations=relations) if relations else entry)
    return replace(read, entries=tuple(entries))
