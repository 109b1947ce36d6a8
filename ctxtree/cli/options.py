"""Options shared by every command."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ctxtree.cli.values import scope

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
# Every mutating command takes --author, defined once here. Who a write is attributed to (its
# commit's Ctx-Actor trailer, a new entry's `author`) resolves in one place,
# service/session.py `Session.actor`: --author, then CTX_ACTOR, then the store's `actor`
# setting, then human:$USER.
AuthorOpt = Annotated[
    str | None,
    typer.Option(
        "--author",
        metavar="NAME",
        help="Who is writing: an agent name (claude-code) or human:NAME. Default: CTX_ACTOR, "
        "then the store's `actor` setting (ctx config set actor NAME), then human:$USER.",
        show_default=False,
    ),
]


ScopeOpt = Annotated[
    str,
    typer.Option(
        help="Only entries under this prefix (a domain, topic or entry id).", callback=scope
    ),
]
# The language model of `ctx query`, `ctx curate` and `ctx llm` (SPEC §6).
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        metavar="MODEL",
        help="An `llm` model id or alias (default: CTX_LLM_MODEL, then llm.model).",
        show_default=False,
    ),
]
CommandOpt = Annotated[
    str | None,
    typer.Option(
        "--llm-command",
        metavar="COMMAND",
        help="A program that reads the prompt on stdin and answers on stdout, e.g. 'claude -p' "
        "(default: CTX_LLM_COMMAND, then llm.command).",
        show_default=False,
    ),
]
ExplainOpt = Annotated[bool, typer.Option(help="Show tiers, scores and cost on stderr.")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Print the diff this would commit; change nothing.")
]
MatchingOpt = Annotated[
    str | None,
    typer.Option(
        "--matching",
        "-m",
        metavar="QUERY",
        help="Select by description instead of id: an email, number or name in any written "
        "form, else names and words; each selected entry is listed with why.",
    ),
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


# Ranges of the numeric options, (low, high) inclusive. Wide enough for any real use, narrow
# enough that a slip (an extra digit, a sign) is a usage error naming the option and its range
# rather than a slow run, a SQLite overflow or an "internal error".
HITS = (1, 1000)  # search --limit
TOKENS = (1, 1_000_000)  # context --budget: the largest model windows hold about 1M tokens
COMMITS = (1, 100_000)  # log -n
UNDO_COMMITS = (1, 1000)  # undo N
DEPTH = (1, 3)  # tree --depth: domain, topic, subtopic
IMPORTANCE = (0, 100)  # SPEC §2
TURNS = (1, 10_000)  # import transcript --window


def bounded_option(*names: str, bounds: tuple[int, int], help: str) -> Any:
    """An integer option whose range the parser enforces (a usage error naming the option and
    its range: see cli/errors.py) and --help shows (`1<=x<=1000`)."""
    low, high = bounds
    return typer.Option(*names, min=low, max=high, metavar="N", help=help, show_default=True)


def bounded_argument(metavar: str, bounds: tuple[int, int], help: str) -> Any:
    """`bounded_option` for a positional argument (click shows no range for those: we do)."""
    low, high = bounds
    return typer.Argument(metavar=metavar, min=low, max=high, help=f"{help}  [{low}<=x<={high}]")
