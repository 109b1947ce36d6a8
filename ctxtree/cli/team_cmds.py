"""Team commands: `ctx remote`, `ctx sync`, `ctx clone` and `ctx merge-driver` (SPEC §8)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ctxtree.cli import global_options
from ctxtree.cli.errors import handled
from ctxtree.cli.options import AuthorOpt, JsonOpt, TreeOpt
from ctxtree.cli.output import confirm, emit_json, note, out, table

remote_app = typer.Typer(
    help="The store repository's git remotes: where `ctx sync` fetches from and pushes to. "
    "Without a subcommand, list them.\n\n\b\n"
    "Examples:\n  ctx remote add origin git@github.com:team/memory.git\n  ctx remote --json\n"
    "  ctx remote remove origin",
    rich_markup_mode=None,
    invoke_without_command=True,
)


@remote_app.callback()
@handled
def remote_list(context: typer.Context, tree: TreeOpt = None, json_out: JsonOpt = False) -> None:
    """List remotes (name and URL)."""
    if context.invoked_subcommand is not None:
        global_options.record_group(context, {"tree": tree, "json_out": json_out})
        return
    from ctxtree.service import sharing
    from ctxtree.service.session import open_session

    found = sharing.list_remotes(open_session(tree))
    if json_out:
        emit_json([r.to_json() for r in found])
        return
    for line in table([(r.name, r.url) for r in found]):
        out(line)
    if not found:
        note("no remotes; add one with `ctx remote add origin URL`")


@remote_app.command("add")
@handled
def remote_add(
    name: Annotated[str, typer.Argument(help="Remote name, e.g. origin.")],
    url: Annotated[str, typer.Argument(help="Repository URL (ssh, https, file:// or a path).")],
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Add a remote to the store repository (git config only; no commit).

    \b
    Examples:
      ctx remote add origin git@github.com:team/memory.git
    """
    from ctxtree.service import sharing
    from ctxtree.service.session import open_session

    added = sharing.add_remote(open_session(tree), name, url)
    if json_out:
        emit_json(added.to_json())
        return
    confirm(f"added remote {added.name} ({added.url}); `ctx sync` shares the store with it")


@remote_app.command("remove")
@handled
def remote_remove(
    name: Annotated[str, typer.Argument(help="Remote name.")],
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Remove a remote from the store repository (nothing is deleted on the remote).

    \b
    Examples:
      ctx remote remove origin
    """
    from ctxtree.service import sharing
    from ctxtree.service.session import open_session

    removed = sharing.remove_remote(open_session(tree), name)
    if json_out:
        emit_json(removed.to_json())
        return
    confirm(f"removed remote {removed.name} ({removed.url})")


def register(app: typer.Typer) -> None:
    from ctxtree.cli.errors import Group

    app.add_typer(remote_app, name="remote", cls=Group)

    @app.command()
    @handled
    def sync(
        remote: Annotated[
            str | None, typer.Argument(help="Remote name (default: origin, or the only one).")
        ] = None,
        dry_run: Annotated[
            bool,
            typer.Option("--dry-run", help="Fetch only; say what a sync would change."),
        ] = False,
        push_purge: Annotated[
            bool,
            typer.Option(
                "--push-purge",
                help="After `ctx forget --purge`: replace the remote's branch with the purged "
                "history (teammates' newer commits there re-applied on top).",
            ),
        ] = False,
        author: AuthorOpt = None,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Share the store with a remote: fetch, merge (entries field by field through
        `ctx merge-driver`; the merge is one commit of ours), push; under the store's lock.

        A rejected push (someone pushed meanwhile) fetches and merges once more. A file
        both sides changed so that it cannot be merged stops the sync with the merge aborted
        (exit 4, the files named); an unreachable remote changes nothing here (exit 6).
        A history that still holds a commit a purge removed is never merged or pushed
        (exit 4): after your own purge, `--push-purge` cleans the remote; a teammate whose
        store predates the purge is told to re-clone.

        \b
        Examples:
          ctx sync
          ctx sync origin --json
          ctx sync --dry-run
          ctx sync --push-purge
        """
        from ctxtree.cli import render
        from ctxtree.service import sharing
        from ctxtree.service.session import open_session

        with render.progress("indexing") as advance:
            session = open_session(tree, actor=author)
            result = sharing.sync(session, remote, advance, dry_run, push_purge)
        if json_out:
            emit_json(result.to_json())
            return
        confirm(result.line())

    @app.command()
    @handled
    def clone(
        url: Annotated[str, typer.Argument(help="The team store's repository URL.")],
        directory: Annotated[
            str | None,
            typer.Argument(metavar="[DIR]", help="Project folder to put .ctx/ in (default: .)."),
        ] = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Start from a team's store: clone it into DIR/.ctx (default ./.ctx), set it up as
        `ctx init` does (cache/ ignored, the store's pre-commit hook, the merge driver) and
        build its search index. `ctx sync` then shares it with `origin`.

        \b
        Examples:
          ctx clone git@github.com:team/memory.git
          ctx clone https://example.com/team/memory.git ~/src/project
        """
        from ctxtree.cli import render
        from ctxtree.service import sharing

        with render.progress("indexing") as advance:
            result = sharing.clone(url, directory, Path.cwd(), os.environ, advance)
        if json_out:
            emit_json(result.to_json())
            return
        confirm(f"cloned {result.url} into {result.root} ({result.entries} entries)")

    @app.command("merge-driver", hidden=True)
    def merge_driver(
        base: Annotated[str, typer.Argument(metavar="BASE", help="%O: the common ancestor.")],
        ours: Annotated[str, typer.Argument(metavar="OURS", help="%A: ours; the result.")],
        theirs: Annotated[str, typer.Argument(metavar="THEIRS", help="%B: theirs.")],
        path: Annotated[str, typer.Argument(metavar="PATH", help="%P: the file's path.")],
    ) -> None:
        """git's merge driver for entry files (set up by init, clone and doctor; git runs it).

        Frontmatter lists are merged as sets (an addition on either side kept, a removal on
        either side honoured), scalars one side changed take that change, both changed take
        the later `updated`, bodies merge three-way. Exit 0 merged; 1 a conflict git reports
        (conflicting body hunks are marked in the body, the frontmatter stays valid; a side
        that does not parse is a plain text conflict). `_index.md` keeps ours (it is derived:
        `ctx maintain` regenerates it).

        \b
        Examples:
          ctx merge-driver BASE OURS THEIRS tree/auth/jwt/rotation.md
          ctx doctor     sets it up in a store made before it existed
        """
        from ctxtree.service import merge_driver as driver

        raise typer.Exit(driver.run([base, ours, theirs, path]))
