"""The `ctx` executable's entry point. `ctx hook EVENT` runs on every prompt and every commit,
so it is handed to ctxtree.hooks here, before the typer app (and click) is imported at all;
so is `ctx merge-driver O A B P`, which git runs once per merged file. `ctx search` and
`ctx context`, which agents run on every prompt, take the fast path (cli/fastpath.py) when
their command line is one it reads exactly as typer would. Every other command (and
`ctx merge-driver --help`) goes to cli/app.py."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["hook"]:
        from ctxtree.hooks import run

        raise SystemExit(run(args[1:]))
    if args[:1] == ["merge-driver"] and len(args) == 5 and not any(a.startswith("-") for a in args):
        from ctxtree.service import merge_driver

        raise SystemExit(merge_driver.run(args[1:]))
    from ctxtree.cli import fastpath

    code = fastpath.run(args)
    if code is not None:
        raise SystemExit(code)
    from ctxtree.cli.app import main as cli

    cli(args)
