"""History commands: log, diff, undo."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import JsonOpt, TreeOpt
from ctxtree.cli.output import emit_json, note, out, table


def register(app: typer.Typer) -> None:
    @app.command()
    @handled
    def log(
        entry_id: Annotated[str | None, typer.Argument(metavar="[ID]")] = None,
        limit: Annotated[int, typer.Option("-n", help="How many commits.")] = 20,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """The store's history (of one entry with ID): op, actor, time, subject."""
        from ctxtree.service import history
        from ctxtree.service.session import open_session

        commits = history.log(open_session(tree), entry_id, limit)
        if json_out:
            emit_json([c.to_json() for c in commits])
            return
        rows = [
            (
                c.sha[:10],
                c.time[:19].replace("T", " "),
                c.op or "-",
                c.trailer("Ctx-Actor") or c.author,
                c.subject,
            )
            for c in commits
        ]
        for line in table(rows):
            out(line)

    @app.command()
    @handled
    def diff(
        rev: Annotated[str | None, typer.Argument(metavar="[REV]")] = None,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Changes since REV (default: uncommitted changes). Example: ctx diff HEAD~1"""
        from ctxtree.service import history
        from ctxtree.service.session import open_session

        result = history.diff(open_session(tree), rev)
        if json_out:
            emit_json(result.to_json())
        elif result.text:
            sys.stdout.write(result.text + "\n")

    @app.command()
    @handled
    def undo(
        count: Annotated[int, typer.Argument(metavar="[N]", help="How many ctx commits.")] = 1,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Revert the last N ctx commits as one new commit (refuses to clobber later edits)."""
        from ctxtree.service import history
        from ctxtree.service.session import open_session

        result = history.undo(open_session(tree), count)
        if json_out:
            emit_json(result.to_json())
            return
        for line in table([(c.sha[:10], c.subject) for c in result.undone]):
            note(f"undone: {line}")
        out(f"undid {len(result.undone)} commit(s) ({(result.commit or '')[:10]})")
