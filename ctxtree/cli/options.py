"""Options shared by every command."""

from __future__ import annotations

from typing import Annotated

import typer

TreeOpt = Annotated[
    str | None,
    typer.Option(
        "--tree",
        metavar="PATH",
        help="Store to use (or a project holding .ctx/); default: CTX_TREE, then the nearest "
        ".ctx/ above the current directory, then the global store.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
ScopeOpt = Annotated[str, typer.Option(help="Only entries under this prefix.")]
ExplainOpt = Annotated[bool, typer.Option(help="Show tiers, scores and cost on stderr.")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Print the diff this would commit; change nothing.")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Answer as the store stood at DATE (its git history and validity windows): "
        "YYYY-MM-DD (end of that day, UTC) or an ISO 8601 time with Z or an offset.",
        show_default=False,
    ),
]
