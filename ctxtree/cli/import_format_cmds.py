"""`ctx import byterover|memory-bank|serena|basic-memory|mcp-memory`: other agent-memory
tools' stores into the tree, each through the import use case (cli/import_cmds.run_import)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.import_cmds import ReplaceOpt, TrustOpt, read_input, run_import
from ctxtree.cli.options import AuthorOpt, DryRunOpt, JsonOpt, TreeOpt

if TYPE_CHECKING:
    from ctxtree.curation.importers.records import Imported

DirArg = Annotated[
    str, typer.Argument(metavar="DIR", help="The folder, or the project holding it.")
]


FOLDER_DOCS = {
    "memory-bank": """Import a Cline or Roo Code memory bank (`memory-bank/`): its core files into
    DOMAIN/core (each depending on the files it builds on: projectbrief, then product, system
    and tech context, then activeContext, then progress), other files by folder.

    \b
    Examples:
      ctx import memory-bank .
      ctx import memory-bank memory-bank --domain project
    """,
    "serena": """Import Serena's project memories (`.serena/memories/*.md`) into DOMAIN/memories,
    one entry per memory (commands and checklists as procedures, style as conventions).

    \b
    Examples:
      ctx import serena .
      ctx import serena .serena/memories --dry-run
    """,
    "basic-memory": """Import a Basic Memory project: one entry per note under DOMAIN by folder;
    `- relation_type [[Target]]` lines become typed relations (requires -> depends_on,
    part_of, extends -> derived_from, implements -> example_of, others related), other
    [[links]] related; observations and their #tags are kept.

    \b
    Examples:
      ctx import basic-memory ~/basic-memory
      ctx import basic-memory ~/basic-memory --domain notes --dry-run
    """,
}


def _folder_command(app: typer.Typer, name: str, doc: str) -> None:
    """`ctx import NAME DIR [--domain D]`: a folder of notes read by format_imports."""

    def command(
        folder: DirArg,
        domain: Annotated[str, typer.Option("--domain", help="Domain to import into.")] = name,
        trust: TrustOpt = "agent",
        replace: ReplaceOpt = False,
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        from ctxtree.service import format_imports

        def read() -> Imported:
            return format_imports.read_notes(name, Path(folder), domain)

        run_import(
            read, fmt=name, label=folder, tree=tree, author=author, trust=trust,
            dry_run=dry_run, replace=replace, json_out=json_out,
        )  # fmt: skip

    command.__doc__ = doc
    app.command(name)(handled(command))


def register(app: typer.Typer) -> None:
    """Add the five format commands to the `ctx import` group."""

    @app.command("byterover")
    @handled
    def byterover(
        folder: DirArg,
        trust: TrustOpt = "agent",
        replace: ReplaceOpt = False,
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Import a ByteRover context tree (`.brv/context-tree`): entries keep their
        domain/topic paths, frontmatter and sections; `related` paths and `@domain/topic/
        file.md` mentions become related relations; `context.md` files become overviews.
        Derived files and `_archived/` are skipped. Importing again changes only what changed.

        \b
        Examples:
          ctx import byterover .
          ctx import byterover ~/work/api/.brv/context-tree --dry-run
        """
        from ctxtree.service import format_imports

        def read() -> Imported:
            return format_imports.byterover(Path(folder))

        run_import(
            read, fmt="byterover", label=folder, tree=tree, author=author, trust=trust,
            dry_run=dry_run, replace=replace, json_out=json_out,
        )  # fmt: skip

    for name, doc in FOLDER_DOCS.items():
        _folder_command(app, name, doc)

    @app.command("mcp-memory")
    @handled
    def mcp_memory(
        file: Annotated[
            str,
            typer.Argument(metavar="FILE", help="memory.jsonl (or the older memory.json), or -."),
        ],
        domain: Annotated[str, typer.Option("--domain", help="Domain to import into.")] = (
            "mcp-memory"
        ),
        trust: TrustOpt = "agent",
        replace: ReplaceOpt = False,
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Import the MCP reference memory server's knowledge graph: one entry per entity at
        DOMAIN/<entityType>/<name> with its observations; relations become typed relations
        (the original relation name stays in the body).

        \b
        Examples:
          ctx import mcp-memory memory.jsonl
          ctx import mcp-memory ~/.mcp/memory.json --domain people
        """
        from ctxtree.curation.importers.mcp_memory import read_graph
        from ctxtree.service.format_imports import checked_domain

        def read() -> Imported:
            name, text = read_input(file, "memory file")
            return read_graph(text, name, checked_domain(domain))

        run_import(
            read, fmt="mcp-memory", label=file, tree=tree, author=author, trust=trust,
            dry_run=dry_run, replace=replace, json_out=json_out,
        )  # fmt: skip
