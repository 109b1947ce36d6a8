"""The `ctx` executable's entry point. `ctx hook EVENT` runs on every prompt and every commit,
so it is handed to ctxtree.hooks here, before the typer app (and click) is imported at all;
every other command goes to cli/app.py."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["hook"]:
        from ctxtree.hooks import run

        raise SystemExit(run(args[1:]))
    from ctxtree.cli.app import main as cli

    cli(args)
