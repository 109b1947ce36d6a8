"""The Claude Code prompt hook as a whole process, on synthetic stores of growing size.

    python bench/hook.py [--sizes 1000,10000] [--runs 15] [--python PATH] [--json OUT]

For each size, bench/synth.py writes a store and `ctx reindex` warms its index (token counts
included, as the first reads after a write leave it); then, beside `python -c pass` in the same
run, it times `python -m ctxtree hook UserPromptSubmit` fed Claude Code's payload on stdin:
with a relevant prompt (words of an entry's title; a new session id each run, so nothing is
withheld as already shown) and with an unrelated one. Beside them, the prompt path's imports
alone and the standard library they cannot do without (the floor). Prints medians, p95 and
the ratio to `python -c pass` (the issue's target: within 3x); never asserts anything.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import latency
import startup
import synth

# What the prompt path imports, without running it: the part of the hook that is start-up.
IMPORTS = "import ctxtree.cli.entry, ctxtree.hooks.claude, ctxtree.service.recall"
# The standard library the prompt path cannot do without (frozen dataclasses and typing are
# how ctxtree is written; the index is SQLite): the floor under "imports only".
FLOOR = "import dataclasses, typing, pathlib, sqlite3, json, re, datetime, unicodedata"
UNRELATED = "write a haiku about autumn leaves falling on a quiet pond"
TARGET_RATIO = 3.0


def bytecode_env(work: Path) -> dict[str, str]:
    """This environment, with bytecode written (to a cache beside the stores, so the source
    tree stays clean): with PYTHONDONTWRITEBYTECODE set, every run recompiles every module
    (about 130 ms of the hook here), which an installed ctx never does."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def timed(
    argv: Sequence[str], stdin: str = "", env: dict[str, str] | None = None
) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        list(argv), input=stdin, capture_output=True, text=True, cwd=startup.NEUTRAL_CWD, env=env
    )
    return (time.perf_counter() - started) * 1000, done.stdout


def payload(store: Path, session: str, prompt: str) -> str:
    return json.dumps({
        "session_id": session, "transcript_path": "", "cwd": str(store.parent),
        "permission_mode": "default", "hook_event_name": "UserPromptSubmit", "prompt": prompt,
    })  # fmt: skip


def one_size(python: str, n: int, work: Path, runs: int) -> dict[str, Any]:
    print(f"hook: {n:,} entries", file=sys.stderr)
    directory = work / f"store-{n}"
    synth.build(n, directory, seed=7, jobs=2)
    store = directory / ".ctx"
    startup.run([python, "-m", "ctxtree", "reindex", "--tree", str(store)])
    hook = [python, "-m", "ctxtree", "hook", "UserPromptSubmit"]
    env = bytecode_env(work)
    prompts = latency.queries(store, runs + 2, seed=n)
    for i, prompt in enumerate(prompts[:2]):  # bytecode, the OS cache, the query path
        timed(hook, payload(store, f"warm-{i}", prompt), env)
    base = [timed([python, "-c", "pass"], env=env)[0] for _ in range(runs)]
    floor = [timed([python, "-c", FLOOR], env=env)[0] for _ in range(runs)]
    imports = [timed([python, "-c", IMPORTS], env=env)[0] for _ in range(runs)]
    relevant, injected = [], 0
    for i, prompt in enumerate(prompts[2:]):
        ms, out = timed(hook, payload(store, f"bench-{n}-{i}", prompt), env)
        relevant.append(ms)
        injected += bool(out)
    unrelated = [
        timed(hook, payload(store, f"other-{n}-{i}", UNRELATED), env)[0] for i in range(runs)
    ]
    median = statistics.median(base)
    return {
        "entries": n,
        "python -c pass": latency.summary(base),
        "stdlib floor": latency.summary(floor),
        "imports only": latency.summary(imports),
        "relevant prompt": latency.summary(relevant),
        "unrelated prompt": latency.summary(unrelated),
        "relevant injected": f"{injected}/{len(relevant)}",
        "ratio relevant": round(statistics.median(relevant) / median, 2),
        "ratio unrelated": round(statistics.median(unrelated) / median, 2),
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "entries   python -c pass   stdlib floor   imports only   relevant (med/p95)   "
        "unrelated (med/p95)   ratio"
    ]
    for row in rows:
        base, rel, unr = row["python -c pass"], row["relevant prompt"], row["unrelated prompt"]
        imp, floor = row["imports only"]["median"], row["stdlib floor"]["median"]
        worst = max(row["ratio relevant"], row["ratio unrelated"])
        lines.append(
            f"{row['entries']:>7,}   {base['median']:>9.1f} ms   {floor:>9.1f} ms   "
            f"{imp:>9.1f} ms   "
            f"{rel['median']:>7.1f} / {rel['p95']:>6.1f} ms   "
            f"{unr['median']:>7.1f} / {unr['p95']:>6.1f} ms   "
            f"{row['ratio relevant']:.1f}x / {row['ratio unrelated']:.1f}x "
            f"({'within' if worst <= TARGET_RATIO else 'over'} {TARGET_RATIO:g}x; "
            f"injected on {row['relevant injected']} relevant prompts)"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated entry counts")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs ctxtree")
    parser.add_argument("--json", dest="json_out", help="write the numbers here")
    parser.add_argument("--workdir", help="keep stores here (default: a temp dir)")
    args = parser.parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="ctx-hook-"))
    work.mkdir(parents=True, exist_ok=True)
    version, module = startup.describe(Path(args.python))
    sizes = [int(x) for x in args.sizes.split(",")]
    rows = [one_size(args.python, n, work, args.runs) for n in sizes]
    print(f"python {version}; ctxtree from {module}; whole processes\n{table(rows)}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
