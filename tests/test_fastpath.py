"""The fast path (cli/fastpath.py) reads `ctx search` and `ctx context` exactly as the typer
app does: its table is the app's, and on every command line it accepts, it finds the values
typer's own parser finds; everything else it leaves to typer."""

from __future__ import annotations

import inspect
import itertools
import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest
from conftest import Ctx, add, command

from ctxtree.cli import fastpath
from ctxtree.cli.global_options import SPELLING

TABLE: dict[str, Any] = json.loads(fastpath.TABLE.read_text(encoding="utf-8"))


def test_the_table_is_the_typer_apps() -> None:
    assert fastpath.table() == TABLE, (
        "cli/command_table.json is out of date: run "
        "`python -m ctxtree.cli.fastpath --write` and commit it"
    )


@pytest.mark.parametrize("name", sorted(fastpath.BODIES))
def test_each_body_takes_its_commands_parameters(name: str) -> None:
    module, _, function = fastpath.BODIES[name].partition(":")
    body = getattr(__import__(module, fromlist=[function]), function)
    assert set(inspect.signature(body).parameters) == set(TABLE["commands"][name]["defaults"]) - {
        "quiet"
    }


def typer_reads(argv: list[str]) -> dict[str, Any] | None:
    """The keyword arguments the typer app hands the command's body, or None when it
    rejects `argv` (help, a usage error, a global option given twice)."""
    from typer import Exit
    from typer._click.exceptions import ClickException

    from ctxtree.errors import CtxError

    root = command()
    try:
        context = root.make_context("ctx", list(argv))
        rest = [*getattr(context, "_protected_args", []), *context.args]
        name, sub, rest = root.resolve_command(context, rest)
        child = sub.make_context(name, rest, parent=context)
    except (ClickException, Exit, CtxError, SystemExit):
        return None
    values = dict(child.params)
    for option in SPELLING:
        if context.params.get(option):  # given before the subcommand
            source = child.get_parameter_source(option)
            if source is not None and source.name == "COMMANDLINE":
                return None  # and after it: a usage error
            values[option] = context.params[option]
    return values


def fast_reads(argv: list[str]) -> dict[str, Any] | None:
    try:
        return fastpath.parse(argv, TABLE)[1]
    except fastpath.Defer:
        return None


def command_lines(name: str) -> list[list[str]]:
    """Command lines built from the table: each option with good and bad values, in every
    spelling, before and after the query, repeated, plus help, `--` and unknown options."""
    spec = TABLE["commands"][name]
    samples = {"int": ["5", "0", "1000001", "x", "+7", " 9"], "str": ["a/b", "", "-x", "../.."]}
    pieces: list[list[str]] = [[]]
    for option, (_dest, kind) in spec["options"].items():
        if kind in samples:
            for value in samples[kind]:
                pieces += [[option, value], [f"{option}={value}"]] if option[:2] == "--" else [
                    [option, value]
                ]  # fmt: skip
            pieces.append([option])  # no value
        else:
            pieces += [[option], [f"{option}=1"]]
    pieces += [["-h"], ["--help"], ["--"], ["-"], ["--nope"], ["-qn", "3"], ["-n5"]]
    lines = []
    for piece in pieces:
        for query in (["redis cache"], [], ["one", "two"], ["-x"]):
            lines += [[name, *query, *piece], [name, *piece, *query]]
    for first, second in itertools.combinations(pieces[1:40], 2):
        lines.append([name, "q", *first, *second])
    for before in (["--json"], ["-q"], ["--tree", "/x"], ["--tree=/y"], ["--quiet", "--json"]):
        for piece in (["--json"], ["--tree", "/z"], ["-q"], []):
            lines.append([*before, name, "q", *piece])
    lines += [["--version", name, "q"], ["--nope", name, "q"], ["other", name, "q"]]
    return lines


@pytest.mark.parametrize("name", sorted(fastpath.BODIES))
def test_what_the_fast_path_accepts_typer_reads_the_same(name: str) -> None:
    accepted = 0
    for argv in command_lines(name):
        fast = fast_reads(argv)
        if fast is not None:
            accepted += 1
            assert fast == typer_reads(argv), argv
    # Not a vacuous pass: the common command lines do take the fast path.
    assert accepted > 100
    for argv in (
        [name, "redis cache"],
        ["--json", name, "q", "--scope", "a/b/"],
        [name, "q", "--tree=/x", "-q", "--explain", "--no-explain"],
    ):
        assert fast_reads(argv) is not None, argv


TYPER_APP = "import sys; from ctxtree.cli.app import main; main(sys.argv[1:])"


def both_paths(ctx: Ctx, argv: list[str]) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """(exit code, stdout, stderr) of `ctx ARGV` as the real entry point runs it, and as the
    typer app alone runs it; timings and tiers blanked (the second run's answer may come
    from the tier-0 cache)."""
    env = {**os.environ, **ctx.env}
    runs = []
    for start in (["-m", "ctxtree"], ["-c", TYPER_APP]):
        done = subprocess.run(
            [sys.executable, *start, *argv], cwd=ctx.cwd, env=env, capture_output=True, text=True
        )
        blank = [
            re.sub(r"\d+\.\d+ ms|\"elapsed_ms\": [\d.]+|tier\"?:? \d", "T", t)
            for t in (done.stdout, done.stderr)
        ]
        runs.append((done.returncode, *blank))
    return runs[0], runs[1]


def test_search_and_context_answer_alike_on_both_paths(ctx: Ctx) -> None:
    add(ctx, "db/caching/redis", "Redis cache", "--body", "Redis sits in front of Postgres.")
    add(ctx, "db/pg/pool", "Postgres pool", "--body", "Pool size is 20.")
    for argv in (
        ["search", "redis postgres", "-n", "1"],
        ["--json", "context", "postgres pool", "--budget", "300", "--format", "xml"],
        ["-q", "context", "--core", "-b", "100", "--explain"],
        ["search", "nothing like it", "--scope", "db/", "--json"],
        ["context", "redis", "--core"],  # a usage error from the body
        ["--json", "search", "redis", "--tree", "/nowhere"],  # a store error
    ):
        ctx(*argv)  # the first run counts tokens and fills the tier-0 cache
        fast, typer_app = both_paths(ctx, argv)
        assert fast == typer_app, argv
