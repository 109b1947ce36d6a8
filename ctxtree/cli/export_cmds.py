"""`ctx export ...`: the store's knowledge written out for other tools."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import TOKENS, DryRunOpt, JsonOpt, ScopeOpt, TreeOpt, bounded_option
from ctxtree.cli.output import confirm, emit_json, note
from ctxtree.wording import plural

app = typer.Typer(
    help="Write the store's knowledge out for other tools.\n\n\b\nExamples:\n"
    "  ctx export agents-file CLAUDE.md --budget 1500\n"
    "  ctx export json --out team.json\n"
    "  ctx export obsidian --out ~/vaults/project",
    rich_markup_mode=None,
    no_args_is_help=True,
)


@app.command("agents-file")
@handled
def agents_file(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="The agent's instruction file: CLAUDE.md, AGENTS.md, .cursor/rules/ctx.mdc...",
        ),
    ],
    budget: Annotated[
        int,
        bounded_option("--budget", "-b", bounds=TOKENS, help="Tokens of knowledge in the section."),
    ] = 1500,
    dry_run: DryRunOpt = False,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Compile the store's core knowledge into an agent's instruction file, between two
    markers: text outside them is never touched, and running it again on an unchanged store
    changes nothing. A file without markers gets the section appended; a missing file is
    created (a .mdc Cursor rule with frontmatter that always applies).

    \b
    Examples:
      ctx export agents-file CLAUDE.md
      ctx export agents-file AGENTS.md --budget 800 --dry-run
      ctx export agents-file .cursor/rules/ctx.mdc
    """
    from ctxtree.service import agents_file as compiler
    from ctxtree.service.session import open_session

    result = compiler.export(open_session(tree), file, budget, dry_run)
    if json_out:
        emit_json(result.to_json())
        return
    if result.diff is not None:
        sys.stdout.write(result.diff)
        note(f"dry run: {file} would be {result.status}; nothing changed")
        return
    what = f"{plural(len(result.ids), 'entry')}, {plural(result.tokens, 'token')}"
    if result.status == "unchanged":
        note(f"{file} is up to date ({what})")
    else:
        confirm(f"{result.status} {file}: {what} between the ctx markers")


OutDirOpt = Annotated[Path, typer.Option("--out", "-o", help="Folder to write the files into.")]


def write_export(fmt: str, out: Path, scope: str, dry_run: bool, tree: str | None,
                 json_out: bool) -> None:  # fmt: skip
    """Export to the folder `out` (a file for json), or list what would be written."""
    from ctxtree.service.export import export
    from ctxtree.service.session import open_session
    from ctxtree.tree.sourcefiles import write_folder

    result = export(open_session(tree), fmt, scope)
    folder, files = out, result.files
    if fmt == "json":
        folder, files = out.parent, {out.name: result.files["export.json"]}
    if not dry_run:
        write_folder(folder, files)
    for problem in result.invalid:
        note(f"left out {problem}")
    if json_out:
        emit_json(result.to_json(str(out), dry_run))
        return
    what = f"{plural(len(result.ids), 'entry')} " + (
        f"to {out}" if fmt == "json" else f"as {plural(len(files), 'file')} in {out}"
    )
    if dry_run:
        sys.stdout.writelines(f"{name}\n" for name in sorted(files))
        note(f"dry run: would write {what}")
    else:
        confirm(f"exported {what}")


@app.command("json")
@handled
def json_cmd(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: stdout).")
    ] = None,
    scope: ScopeOpt = "",
    dry_run: DryRunOpt = False,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export every entry with all its fields as one JSON document (format
    "ctxtree-export", version 1), which `ctx import json` reads back into the same entry
    files. Without --out the document goes to stdout.

    \b
    Examples:
      ctx export json --out team.json
      ctx export json --scope auth | jq '.entries[].title'
    """
    if out is None:
        from ctxtree.service.export import export
        from ctxtree.service.session import open_session

        result = export(open_session(tree), "json", scope)
        sys.stdout.write(result.files["export.json"])
        return
    write_export("json", out, scope, dry_run, tree, json_out)


@app.command("markdown")
@handled
def markdown_cmd(
    out: OutDirOpt,
    scope: ScopeOpt = "",
    dry_run: DryRunOpt = False,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export the tree as plain markdown files with frontmatter (`<id>.md`, and each
    folder's context.md), readable by any editor and by `ctx import markdown`.

    \b
    Examples:
      ctx export markdown --out backup/
      ctx export markdown --out auth-notes --scope auth
    """
    write_export("markdown", out, scope, dry_run, tree, json_out)


@app.command("obsidian")
@handled
def obsidian_cmd(
    out: OutDirOpt,
    scope: ScopeOpt = "",
    dry_run: DryRunOpt = False,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export the tree as an Obsidian vault: relations as [[wikilinks]] (typed link
    properties and a Relations section), tags and the title as aliases in the
    properties, so the graph view and backlinks show the tree's links.

    \b
    Examples:
      ctx export obsidian --out ~/vaults/project-memory
    """
    write_export("obsidian", out, scope, dry_run, tree, json_out)
