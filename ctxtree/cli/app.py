"""The typer app: the composition root that wires command modules to use cases."""

from __future__ import annotations

import typer

from ctxtree.cli import global_options
from ctxtree.cli.global_options import QuietOpt
from ctxtree.cli.options import JsonOpt, TreeOpt
from ctxtree.version import __version__

HELP = """ctxtree: a git-versioned context tree, long-term memory for coding agents and people.

Entries are markdown files with YAML frontmatter under .ctx/tree/<domain>/<topic>/; every
change is one git commit. Start with `ctx init`, or try `ctx demo`.

The global options --tree, --json and -q go before the subcommand or after it:
`ctx --tree PATH status` is `ctx status --tree PATH`. Give each one once.

Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict, 5 invalid entry, 6 store/git,
130 interrupted.

\b
Examples:
  ctx init && ctx add auth/jwt/rotation -t "Refresh tokens rotate"
  ctx --tree ~/notes/.ctx search "refresh token"
  ctx --json status
"""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ctx {__version__}")
        raise typer.Exit()


def build() -> typer.Typer:
    from ctxtree.cli import (
        curate_cmds,
        entry_cmds,
        export_cmds,
        history_cmds,
        import_cmds,
        lifecycle_cmds,
        read_cmds,
        store_cmds,
    )

    # Plain (click) help: rich help costs 20-40 ms at start-up and hooks run us on every prompt.
    from ctxtree.cli.errors import Group

    app = typer.Typer(
        cls=Group,
        help=HELP,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        add_completion=False,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    )

    @app.callback()
    def root(
        context: typer.Context,
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
        quiet: QuietOpt = False,
    ) -> None:
        """ctxtree command line."""
        global_options.record(context, {"tree": tree, "json_out": json_out, "quiet": quiet})

    store_cmds.register(app)
    entry_cmds.register(app)
    curate_cmds.register(app)
    from ctxtree.cli import curator_cmds

    curator_cmds.register(app)
    history_cmds.register(app)
    read_cmds.register(app)
    from ctxtree.cli import query_cmds

    query_cmds.register(app)
    lifecycle_cmds.register(app)
    from ctxtree.cli import care_cmds

    care_cmds.register(app)
    from ctxtree.cli import mcp_cmds

    mcp_cmds.register(app)
    from ctxtree.cli import import_format_cmds

    import_format_cmds.register(import_cmds.app)
    app.add_typer(import_cmds.app, name="import", cls=Group)
    app.add_typer(export_cmds.app, name="export", cls=Group)
    from ctxtree.cli import integration_cmds

    integration_cmds.register(app)
    from ctxtree.cli import llm_cmds

    llm_cmds.register(app)
    from ctxtree.cli import team_cmds

    team_cmds.register(app)
    return app


def _subcommand(argv: list[str]) -> str | None:
    """The subcommand's name: the first argument that is neither an option nor the value of
    a global option given before it (`ctx --tree PATH status`)."""
    from ctxtree.cli.global_options import VALUE_OPTIONS

    args = iter(argv)
    for arg in args:
        if arg in ("-h", "--help", "--version"):
            return None
        if arg in VALUE_OPTIONS:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def main(argv: list[str] | None = None) -> None:
    """Entry point of `ctx`. Only the invoked command is converted to a click command (typer
    converts every registered one otherwise, ~1.5 ms each), so start-up stays flat as the
    command set grows; `ctx --help` still lists them all."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    app = build()
    name = _subcommand(args)
    if name is not None:
        chosen = [
            info
            for info in app.registered_commands
            if (info.name or (info.callback.__name__ if info.callback else "")) == name
        ]
        groups = [info for info in app.registered_groups if info.name == name]
        if chosen or groups:
            app.registered_commands = chosen
            app.registered_groups = groups
    app(args=args, prog_name="ctx")
