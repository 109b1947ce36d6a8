"""`ctx search` and `ctx context` without typer: importing typer (and the click it vendors)
costs more than the search itself, and agents run these on every prompt.

The options come from command_table.json, which is generated from the typer app's own click
commands (`python -m ctxtree.cli.fastpath --write`; tests/test_fastpath.py fails when it no
longer matches the app, and checks that both parse every command line alike). The fast path
only takes command lines it understands completely: `--help`, an unknown or bundled option,
`--`, a bad or missing value, an option's callback failing, a global option given twice: all
go to the typer app, which reports them as it always has. So it never prints a usage error of
its own, and what it accepts, it reads exactly as the typer app does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("command_table.json")
# The commands that take the fast path, and the typer-free functions that run them (the typer
# commands in cli/read_cmds.py call the same ones).
BODIES = {
    "search": "ctxtree.cli.reading:search",
    "context": "ctxtree.cli.reading:context",
}
# How a value is read: kinds of options in the table ("int", "str"), a flag's value otherwise.
INT, STR = "int", "str"


class Defer(Exception):
    """This command line is for the typer app."""


def _value(kind: str, text: str, bounds: list[int] | None) -> Any:
    if kind == STR:
        return text
    try:
        number = int(text)  # what click's INT type does with a string
    except ValueError:
        raise Defer from None
    if bounds is not None and not bounds[0] <= number <= bounds[1]:
        raise Defer
    return number


def _options(
    args: list[str], options: dict[str, Any], ranges: dict[str, list[int]], stop: set[str]
) -> tuple[dict[str, Any], list[str], int]:
    """Options and positional arguments of `args` up to the first word in `stop` (the
    subcommand), as click reads them: `--opt VALUE`, `--opt=VALUE`, flags; the last of a
    repeated option wins. Returns (values, positionals, index where it stopped)."""
    values: dict[str, Any] = {}
    positionals: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in stop and not positionals:
            break
        attached = arg.startswith("--") and "=" in arg
        name, _, text = arg.partition("=") if attached else (arg, "", "")
        if arg.startswith("-") and arg != "-":
            spec = options.get(name)
            if spec is None or (attached and spec[1] not in (INT, STR)):
                raise Defer  # unknown, bundled, --help, --, --flag=VALUE: typer's to judge
            dest, kind = spec
            if kind in (INT, STR):
                if not attached:
                    if i + 1 == len(args):
                        raise Defer
                    i += 1
                    text = args[i]
                values[dest] = _value(kind, text, ranges.get(dest))
            else:
                values[dest] = kind
        elif arg == "-":
            raise Defer
        else:
            positionals.append(arg)
            if stop:
                raise Defer  # a word before the subcommand that is not one
        i += 1
    return values, positionals, i


def parse(argv: list[str], table: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(command, keyword arguments of its body, `quiet` included) for a command line the
    typer app would read the same way, else Defer."""
    given, _, at = _options(argv, table["global"], {}, set(BODIES))
    if at >= len(argv):
        raise Defer
    name = argv[at]
    spec = table["commands"][name]
    typed, positionals, _ = _options(argv[at + 1 :], spec["options"], spec["ranges"], set())
    arguments: list[str] = spec["arguments"]
    if len(positionals) > len(arguments):
        raise Defer
    if any(a in spec["required"] for a in arguments[len(positionals) :]):
        raise Defer
    kwargs = {**spec["defaults"], **dict(zip(arguments, positionals, strict=False)), **typed}
    for option, value in given.items():
        if option in typed or option not in spec["defaults"]:
            raise Defer  # given twice, or one the command does not take: typer says so
        if value:
            kwargs[option] = value
    for option, where in spec["callbacks"].items():
        module, _, function = where.partition(":")
        check = getattr(__import__(module, fromlist=[function]), function)
        try:
            kwargs[option] = check(kwargs[option])
        except Exception:
            raise Defer from None
    return name, kwargs


def run(argv: list[str]) -> int | None:
    """Run a fast command and return its exit code; None: hand `argv` to the typer app (also
    when the table cannot be read: slower, never wrong)."""
    if not any(word in BODIES for word in argv):
        return None
    try:
        name, kwargs = parse(argv, json.loads(TABLE.read_text(encoding="utf-8")))
    except (Defer, OSError, ValueError):
        return None
    from ctxtree.cli import output
    from ctxtree.cli.failures import exit_code

    quiet = bool(kwargs.pop("quiet", False))
    try:
        with output.quiet(quiet):
            module, _, function = BODIES[name].partition(":")
            body = getattr(__import__(module, fromlist=[function]), function)
            code: int = body(**kwargs)
            return code
    except (Exception, KeyboardInterrupt) as exc:
        return exit_code(exc, bool(kwargs.get("json_out")))


def table() -> dict[str, Any]:
    """The command table, read from the typer app's click commands (imports typer)."""
    import typer

    from ctxtree.cli.app import build
    from ctxtree.cli.global_options import SPELLING

    root = typer.main.get_command(build())
    global_options: dict[str, Any] = {}
    for param in root.params:
        if param.name in SPELLING:
            global_options.update(_param(param)[0])
    commands = {}
    for name in BODIES:
        command = root.get_command(typer.Context(root, info_name="ctx"), name)  # type: ignore[attr-defined]
        spec: dict[str, Any] = {
            "arguments": [],
            "required": [],
            "options": {},
            "ranges": {},
            "defaults": {},
            "callbacks": {},
        }
        for param in command.params:
            opts, bounds, callback = _param(param)
            if param.param_type_name == "argument":
                spec["arguments"].append(param.name)
                if param.required:
                    spec["required"].append(param.name)
            spec["options"].update(opts)
            if bounds is not None:
                spec["ranges"][param.name] = bounds
            if callback is not None:
                spec["callbacks"][param.name] = callback
            spec["defaults"][param.name] = param.default
        commands[name] = spec
    return {"global": global_options, "commands": commands}


def _param(param: Any) -> tuple[dict[str, Any], list[int] | None, str | None]:
    """A click parameter's entries in the table: {spelling: [name, kind]}, its integer range,
    its callback as "module:function". ValueError for what the fast path cannot read."""
    import inspect

    kind_name = type(param.type).__name__
    if param.nargs != 1 or param.multiple or param.envvar or getattr(param, "prompt", None):
        raise ValueError(f"the fast path cannot read {param.name}: extend cli/fastpath.py")
    if param.is_eager and param.param_type_name == "option":
        raise ValueError(f"the fast path cannot read eager option {param.name}")
    bounds = None
    if getattr(param, "is_flag", False) and kind_name == "BoolParamType":
        opts = {o: [param.name, True] for o in param.opts}
        opts.update({o: [param.name, False] for o in param.secondary_opts})
    elif kind_name in ("StringParamType", "IntRange", "IntParamType"):
        kind = STR if kind_name == "StringParamType" else INT
        if kind_name == "IntRange":
            if param.type.min_open or param.type.max_open or param.type.clamp:
                raise ValueError(f"the fast path cannot read the range of {param.name}")
            bounds = [param.type.min, param.type.max]
        named = param.param_type_name == "option"
        opts = {o: [param.name, kind] for o in param.opts} if named else {}
    else:
        raise ValueError(f"the fast path cannot read {param.name} of type {kind_name}")
    callback = None
    if param.callback is not None:
        original = inspect.unwrap(param.callback)
        callback = f"{original.__module__}:{original.__qualname__}"
    return opts, bounds, callback


def main(argv: list[str] | None = None) -> int:
    """`python -m ctxtree.cli.fastpath [--write]`: print the command table, or write it."""
    text = json.dumps(table(), indent=1, sort_keys=True) + "\n"
    if (sys.argv[1:] if argv is None else argv) == ["--write"]:
        TABLE.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
