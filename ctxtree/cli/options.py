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
