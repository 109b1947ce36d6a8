"""Store commands: init, status, config, commit, demo."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ctxtree.cli.entry_cmds import report_write
from ctxtree.cli.errors import handled
from ctxtree.cli.options import AuthorOpt, DryRunOpt, JsonOpt, TreeOpt
from ctxtree.cli.output import confirm, emit_json, note, out, table
from ctxtree.wording import plural


def register(app: typer.Typer) -> None:
    @app.command()
    @handled
    def init(
        global_: Annotated[
            bool, typer.Option("--global", help="Create the per-user store under XDG_DATA_HOME.")
        ] = False,
        here: Annotated[
            bool,
            typer.Option("--here", help="Create it even below an existing store (nested)."),
        ] = False,
        gitignore: Annotated[
            bool,
            typer.Option(
                "--gitignore",
                help="Add the store to the enclosing git repository's .gitignore.",
            ),
        ] = False,
        author: AuthorOpt = None,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Create a store: .ctx/ in the current directory (or --tree PATH, or --global).

        The store is a git repository of its own. Inside a project's git repository, either
        ignore it there (--gitignore adds it to the project's .gitignore; nothing else of
        yours is edited) or share it as a repository of its own. Below an existing store
        (which commands here already use) it refuses, unless --here.

        \b
        Examples:
          ctx init
          cd my-project && ctx init --gitignore
          ctx init --global
        """
        from ctxtree.errors import UsageError
        from ctxtree.service import admin

        if global_ and (tree or here):
            other = "--tree" if tree else "--here"
            raise UsageError(
                f"--global and {other} are exclusive", "pass --global, or --tree PATH [--here]"
            )
        result = admin.init(
            tree,
            global_,
            os.environ,
            Path.cwd(),
            here=here,
            gitignore=gitignore,
            actor=author,
        )
        if json_out:
            emit_json(result.to_json())
            return
        if result.created:
            confirm(f"initialised a ctx store at {result.root}")
        else:
            note(f"a ctx store already exists at {result.root}; nothing changed")
        if result.gitignore_added:
            note(f"added {result.gitignore_added} to {result.project}/.gitignore")
        elif result.project is not None and not result.ignored:
            rel = result.root.relative_to(result.project).as_posix()
            note(
                f"note: {result.project} is a git repository and {rel}/ is one of its own, so "
                f"`git add -A` there would add it as an embedded repository. Ignore it "
                f"(`ctx init --gitignore` adds /{rel}/ to {result.project}/.gitignore), or "
                "share it as a repository of its own (see the README: the store and your "
                "project's git)."
            )

    @app.command()
    @handled
    def status(tree: TreeOpt = None, json_out: JsonOpt = False) -> None:
        """Entry count, domains, last commit, uncommitted files, malformed files.

        \b
        Examples:
          ctx status
          ctx --tree ~/notes/.ctx status --json
        """
        from ctxtree.errors import StoreError
        from ctxtree.service import admin
        from ctxtree.service.session import open_session

        result = admin.status(open_session(tree))
        if json_out:
            emit_json(result.to_json())
        else:
            out(f"store:    {result.root}")
            out(
                f"entries:  {result.entries}"
                + (f" (+{result.archived} archived)" if result.archived else "")
            )
            domains = ", ".join(f"{d} ({n})" for d, n in result.domains.items())
            out(f"domains:  {domains or '-'}")
            if result.inbox:
                out(f"inbox:    {result.inbox} waiting for review (`ctx review list`)")
            if result.last_commit:
                c = result.last_commit
                out(f"last:     {c['sha'][:10]} {c['time']} {c['subject']}")
            for item in result.dirty:
                out(f"dirty:    {item['status']:2} {item['path']}")
            for bad in result.invalid:
                out(f"invalid:  {bad['error']}")
            for item in result.recovered[-3:]:
                out(f"repaired: {item['at']} an interrupted `{item['op']}` was {item['outcome']}")
            for problem in result.problems:
                out(f"problem:  {problem} (run `ctx doctor`)")
        if result.git_error:
            raise StoreError(result.git_error, "the markdown files are intact; repair .git")

    @app.command()
    @handled
    def config(
        action: Annotated[
            str, typer.Argument(metavar="get|set", help="Read (get) or change (set) a setting.")
        ],
        key: Annotated[
            str | None,
            typer.Argument(
                metavar="KEY", help="Dotted key, e.g. limits.max_entry_bytes (get: all if none)."
            ),
        ] = None,
        value: Annotated[
            str | None, typer.Argument(metavar="VALUE", help="New value (set only).")
        ] = None,
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Read or change store settings.

        \b
        Examples:
          ctx config get
          ctx config set limits.max_entry_bytes 200000
        """
        from ctxtree.errors import UsageError
        from ctxtree.service import admin
        from ctxtree.service.session import open_session

        session = open_session(tree, actor=author)
        if action == "get":
            if value is not None:
                raise UsageError("`config get` takes one KEY", "")
            values = admin.config_get(session, key)
            if json_out:
                emit_json(values)
            elif key is not None:
                out(str(values[key]))
            else:
                for line in table([(k, str(v)) for k, v in values.items()]):
                    out(line)
        elif action == "set":
            if key is None or value is None:
                raise UsageError("`config set` needs KEY and VALUE", "e.g. ctx config set actor me")
            result = admin.config_set(session, key, value, dry_run=dry_run)
            if json_out:
                emit_json({"key": key, "commit": result.commit} | result.to_json())
            elif result.commit or result.diff is not None:
                report_write(result, False, f"set {key}")
            else:
                note(f"{key} already has that value; no commit")
        else:
            raise UsageError(f"unknown config action {action!r}", "use `get` or `set`")

    @app.command()
    @handled
    def commit(
        message: Annotated[str, typer.Option("--message", "-m", help="Commit subject.")] = "",
        redact: Annotated[bool, typer.Option(help="Mask secrets instead of refusing.")] = False,
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Commit files edited by hand (after checking that each still parses and holds no
        credential).

        \b
        Examples:
          ctx diff && ctx commit -m "fix a typo in the refresh notes"
        """
        from ctxtree.service import admin
        from ctxtree.service.session import open_session

        changed, result = admin.commit_hand_edits(
            open_session(tree, actor=author), message, redact=redact, dry_run=dry_run
        )
        if json_out:
            emit_json({"files": changed} | result.to_json())
        elif result.diff is not None:
            report_write(result, False, f"commit {plural(len(changed), 'file')}")
        elif result.commit:
            confirm(f"committed {plural(len(changed), 'file')} ({result.commit[:10]})")
        else:
            note("nothing to commit")

    @app.command()
    @handled
    def demo(
        directory: Annotated[
            str | None, typer.Argument(help="Where to build the demo store (default: a temp dir).")
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Build only, no tour.")] = False,
        json_out: JsonOpt = False,
    ) -> None:
        """Build a sample store from shipped knowledge and tour real commands on it.

        \b
        Examples:
          ctx demo
          ctx demo ./demo -q
        """
        from ctxtree.cli import tour

        tour.run(directory, quiet=quiet, as_json=json_out)
