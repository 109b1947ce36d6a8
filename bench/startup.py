"""Whole-process latency of the `ctx` CLI: `python bench/startup.py [--runs 30] [--json OUT]`.

Builds a 1,000-entry synthetic store with bench/synth.py (or uses --store PATH), then times
each command as a subprocess with time.perf_counter: 3 warm-up rounds, then --runs rounds, each
round running every command once in turn. Reports the median and p95 in milliseconds, the ratio
to a bare `python -c pass`, and the start-up targets (SPEC §5 and the README's promise).

By default ctxtree is installed NON-editable into a fresh virtual environment in a temp dir
(pip may reach the package index), and its site-packages are byte-compiled: this machine sets
PYTHONDONTWRITEBYTECODE=1, so an editable install would recompile ctxtree's modules on every
run and measure the compiler, not the CLI. `--python PATH` uses an existing interpreter (its
`ctx` script next to it) instead, and says so when that install is editable.

`ctx add` writes entries (one new id per run, each with its git commit) to the store: with
--store, into yours. No timed assertions: the exit code says only whether every command ran.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SYNTH = Path(__file__).resolve().parent / "synth.py"
# Targets (median ms) from the issue: read commands under 100 ms, --help under 150 ms, and an
# add, git commit included, under 150 ms.
TARGETS = {
    "ctx --help": 150.0,
    "ctx show": 100.0,
    "ctx ls": 100.0,
    "ctx ls DOMAIN": 100.0,
    "ctx add": 150.0,
}


@dataclass
class Command:
    name: str
    argv: Callable[[int], list[str]]  # run number -> argv
    samples: list[float] = field(default_factory=list)  # seconds

    @property
    def target_ms(self) -> float | None:
        return TARGETS.get(self.name)


@dataclass(frozen=True)
class Interpreter:
    python: Path
    ctx: Path
    mode: str  # what was measured, for the report
    version: str
    ctxtree_file: str
    install_seconds: float | None
    warning: str = ""


# Subprocesses run from the root directory, not the caller's: `python -c` puts the current
# directory first on sys.path, and from the repository that would import the source tree.
NEUTRAL_CWD = os.sep


def run(argv: Sequence[str], capture: bool = True) -> str:
    """Run a set-up step; on failure exit with its stderr instead of a traceback."""
    done = subprocess.run(list(argv), text=True, capture_output=capture, cwd=NEUTRAL_CWD)
    if done.returncode != 0:
        detail = (done.stderr or "").strip()
        raise SystemExit(f"startup.py: {' '.join(argv)} exited {done.returncode}: {detail}")
    return done.stdout or ""


def describe(python: Path) -> tuple[str, str]:
    code = "import sys, ctxtree; print(sys.version.split()[0]); print(ctxtree.__file__)"
    version, module = run([str(python), "-c", code]).split("\n")[:2]
    return version, module


def fresh_venv(work: Path) -> Interpreter:
    """A new venv with ctxtree installed from REPO, not editable, everything byte-compiled."""
    started = time.perf_counter()
    venv = work / "venv"
    print(
        f"startup: creating a venv in {venv} and installing {REPO} (not editable)", file=sys.stderr
    )
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(REPO)])
    purelib = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).strip()
    # pip byte-compiles what it installs; make sure, since nothing would write .pyc at run time.
    run([str(python), "-m", "compileall", "-q", "-j", "0", purelib])
    seconds = time.perf_counter() - started
    version, module = describe(python)
    return Interpreter(
        python=python,
        ctx=venv / "bin" / "ctx",
        mode="fresh venv, non-editable install, site-packages byte-compiled",
        version=version,
        ctxtree_file=module,
        install_seconds=seconds,
    )


def given_interpreter(path: str) -> Interpreter:
    python = Path(path).absolute()
    ctx = python.parent / "ctx"
    if not ctx.is_file():
        raise SystemExit(f"startup.py: no ctx script next to {python} (expected {ctx})")
    version, module = describe(python)
    editable = Path(module).resolve().is_relative_to(REPO)
    warning = ""
    if editable and os.environ.get("PYTHONDONTWRITEBYTECODE"):
        warning = (
            f"warning: ctxtree is imported from the source tree ({module}: an editable install) "
            "and PYTHONDONTWRITEBYTECODE is set, so its modules are recompiled on every run "
            "and these numbers are slower than a real install. Run without --python for those."
        )
    elif editable:
        warning = f"note: ctxtree is imported from the source tree ({module}: editable install)"
    mode = f"--python {python} ({'editable' if editable else 'installed'} ctxtree)"
    return Interpreter(python, ctx, mode, version, module, None, warning)


def ctx_json(interp: Interpreter, store: Path, *args: str) -> Any:
    return json.loads(run([str(interp.ctx), *args, "--tree", str(store), "--json"]))


def commands(interp: Interpreter, store: Path, entry_id: str, domain: str) -> list[Command]:
    ctx, tree = str(interp.ctx), ["--tree", str(store)]
    topic = "/".join(entry_id.split("/")[:2])
    tag = f"{os.getpid()}-{int(time.time()) % 100_000}"
    body = (
        "Synthetic entry written by bench/startup.py to time a whole `ctx add`, commit "
        "included. It says nothing about the project; delete it with `ctx rm` if it bothers you."
    )

    def fixed(*args: str) -> Callable[[int], list[str]]:
        return lambda _run: [ctx, *args, *tree]

    return [
        Command("python -c pass", lambda _run: [str(interp.python), "-c", "pass"]),
        Command("ctx --help", lambda _run: [ctx, "--help"]),
        Command("ctx show", fixed("show", entry_id)),
        Command("ctx ls", fixed("ls")),
        Command("ctx ls DOMAIN", fixed("ls", domain)),
        Command("ctx related", fixed("related", entry_id)),
        Command("ctx status", fixed("status")),
        Command(
            "ctx add",
            lambda n: [
                ctx,
                "add",
                f"{topic}/bench-add-{tag}-{n}",
                "--title",
                f"Benchmark entry {n} of run {tag}",
                "--body",
                body,
                *tree,
            ],
        ),
        Command("ctx log -n 5", fixed("log", "-n", "5")),
    ]


def measure(cmds: list[Command], runs: int, warmup: int, env: dict[str, str]) -> None:
    total = warmup + runs
    for round_no in range(total):
        for cmd in cmds:
            argv = cmd.argv(round_no)
            started = time.perf_counter()
            done = subprocess.run(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=NEUTRAL_CWD
            )
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(
                    f"startup.py: {' '.join(argv)} exited {done.returncode}: "
                    f"{done.stderr.decode(errors='replace').strip()}"
                )
            if round_no >= warmup:
                cmd.samples.append(elapsed)
        if round_no + 1 == warmup or (round_no + 1 - warmup) % 10 == 0:
            print(f"startup: round {round_no + 1}/{total}", file=sys.stderr)


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def results(cmds: list[Command]) -> list[dict[str, Any]]:
    base = statistics.median(cmds[0].samples)
    rows = []
    for cmd in cmds:
        median = statistics.median(cmd.samples)
        target = cmd.target_ms
        status = "" if target is None else ("PASS" if median * 1000 < target else "MISS")
        rows.append(
            {
                "command": cmd.name,
                "argv": cmd.argv(0),
                "median_ms": round(median * 1000, 1),
                "p95_ms": round(p95(cmd.samples) * 1000, 1),
                "min_ms": round(min(cmd.samples) * 1000, 1),
                "ratio": round(median / base, 2),
                "target_ms": target,
                "status": status,
                "samples_ms": [round(s * 1000, 2) for s in cmd.samples],
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"| {'command':<16} | {'median ms':>9} | {'p95 ms':>7} | {'x python':>8} | "
        f"{'target':>8} | {'result':<6} |",
        f"|{'-' * 18}|{'-' * 10}:|{'-' * 8}:|{'-' * 9}:|{'-' * 9}:|{'-' * 8}|",
    ]
    for row in rows:
        target = f"< {row['target_ms']:.0f}" if row["target_ms"] is not None else "-"
        lines.append(
            f"| {row['command']:<16} | {row['median_ms']:>9.1f} | {row['p95_ms']:>7.1f} | "
            f"{row['ratio']:>8.2f} | {target:>8} | {row['status'] or '-':<6} |"
        )
    return "\n".join(lines)


def git_version() -> str:
    return run(["git", "--version"]).strip().removeprefix("git version ")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (default 3)")
    parser.add_argument("--entries", type=int, default=1000, help="synthetic store size")
    parser.add_argument("--seed", type=int, default=1, help="synthetic store seed")
    parser.add_argument("--store", help="use this store instead (ctx add writes into it)")
    parser.add_argument("--python", help="use this interpreter (and its ctx) instead of a venv")
    parser.add_argument("--json", dest="json_out", type=Path, help="also write the numbers here")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (venv, store)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")

    work = Path(tempfile.mkdtemp(prefix="ctx-startup-"))
    try:
        interp = given_interpreter(args.python) if args.python else fresh_venv(work)
        if interp.warning:
            print(f"startup: {interp.warning}", file=sys.stderr)
        if args.store:
            store = Path(args.store).absolute()
        else:
            # Built with the measured interpreter, so the files are what that ctxtree writes.
            synth = [str(interp.python), str(SYNTH), str(args.entries), str(work / "store")]
            run([*synth, "--seed", str(args.seed)], capture=False)
            store = work / "store" / ".ctx"
        status = ctx_json(interp, store, "status")
        listing = ctx_json(interp, store, "ls")
        if not listing:
            raise SystemExit(f"startup.py: the store at {store} has no entries")
        entry_id = listing[len(listing) // 2]["id"]
        domain = max(status["domains"].items(), key=lambda item: item[1])[0]
        cmds = commands(interp, store, entry_id, domain)
        env = {k: v for k, v in os.environ.items() if k not in ("CTX_TREE", "CTX_NOW")}
        load_before = os.getloadavg()
        print(
            f"startup: {args.warmup} warm-up + {args.runs} timed rounds of {len(cmds)} commands "
            f"on {status['entries']} entries (show/related {entry_id}, ls {domain})",
            file=sys.stderr,
        )
        measure(cmds, args.runs, args.warmup, env)
        load_after = os.getloadavg()
        rows = results(cmds)
        info: dict[str, Any] = {
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "python": interp.version,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "git": git_version(),
            "mode": interp.mode,
            "ctxtree": interp.ctxtree_file,
            "pythondontwritebytecode": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
            "install_seconds": interp.install_seconds,
            "store": str(store),
            "entries": status["entries"],
            "show_id": entry_id,
            "ls_domain": domain,
            "runs": args.runs,
            "warmup": args.warmup,
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
            "warning": interp.warning,
            "results": rows,
        }
    finally:
        if args.keep:
            print(f"startup: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(
        f"{info['date']}, Python {info['python']}, git {info['git']}, {info['cpus']} CPUs, "
        f"{info['platform']}"
    )
    print(f"install: {info['mode']}; PYTHONDONTWRITEBYTECODE={info['pythondontwritebytecode']!r}")
    print(
        f"store: {info['entries']} entries; {args.runs} runs after {args.warmup} warm-ups; "
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
    )
    if interp.warning:
        print(interp.warning)
    cpus = os.cpu_count() or 1
    if max(load_before[0], load_after[0]) > 1.5 + 0.25 * cpus:
        # The benchmark itself keeps about one CPU busy; much more means other work competed.
        print(
            f"note: load average reached {max(load_before[0], load_after[0]):.2f} on {cpus} "
            "CPUs: other processes competed for them, so these numbers are pessimistic"
        )
    print()
    print(table(rows))
    missed = [r["command"] for r in rows if r["status"] == "MISS"]
    print()
    print(f"targets missed: {', '.join(missed)}" if missed else "all targets met")
    if args.json_out:
        args.json_out.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
