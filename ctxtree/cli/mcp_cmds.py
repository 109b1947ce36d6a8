"""`ctx mcp`: serve the store to MCP clients (Claude Code, Codex, Cursor) over stdio."""

from __future__ import annotations

from typing import Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import JsonOpt, TreeOpt

# Who writes when the client does not say: an agent, so new entries get trust `agent`.
DEFAULT_AUTHOR = "mcp"


def register(app: typer.Typer) -> None:
    @app.command()
    @handled
    def mcp(
        author: Annotated[
            str | None,
            typer.Option(
                "--author",
                metavar="NAME",
                help="Who the agent's writes are attributed to (claude-code, codex, cursor). "
                f"Default: CTX_ACTOR, then {DEFAULT_AUTHOR}.",
                show_default=False,
            ),
        ] = None,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Serve the store over stdio as an MCP server, for coding agents.

        Tools: search, context, show, related, add, apply, link. Resources: ctx://entry/{id},
        ctx://tree, ctx://tree/{prefix}, ctx://plan-schema. Every read handed to the agent is
        listed by `ctx log --injections`. Needs the MCP SDK: pip install 'ctxtree[mcp]'.

        \b
        Examples:
          ctx mcp --tree ~/notes/.ctx
          claude mcp add ctx -- ctx mcp --author claude-code    register it with Claude Code
        """
        import os

        from ctxtree.mcpserver import serve

        serve(tree, author or os.environ.get("CTX_ACTOR") or DEFAULT_AUTHOR)
