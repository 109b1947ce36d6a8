"""`ctx export ...`: the store's knowledge written out for other tools."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import TOKENS, DryRunOpt, JsonOpt, TreeOpt, bounded_option
from ctxtree.cli.output import confirm, emit_json, note
from ctxtree.wording import plural

app = typer.Typer(
    help="Write the store's knowledge out for other tools.\n\n\b\nExamples:\n"
    "  ctx export agents-file CLAUDE.md --budget 1500",
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
