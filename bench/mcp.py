"""`ctx mcp` latency: a long-lived server, measured through the SDK's own stdio client.

    python bench/mcp.py [--sizes 1000,10000] [--runs 30] [--json OUT]

Run it with an interpreter that has `ctxtree[mcp]` installed: it spawns
`python -m ctxtree mcp --tree STORE` with that interpreter. For each size, bench/synth.py
writes a store and `ctx reindex` builds its index and token counts (as any store has after
its first read); then, fresh for each of a few spawns, the time from spawn to the end of the
MCP handshake and to the first answered call (a search: SDK import, store open, index open),
and, in one session, the median and p95 of later calls: search (a different query each time,
so the tier-0 cache does not answer), context --budget 1000, show. Times are client-side
round trips (JSON-RPC over pipes included). Prints a table; never asserts anything.
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

import synth
from latency import p95, queries

SPAWNS = 3  # cold starts measured per size (each costs 2-4 s)


def params(store: Path) -> Any:
    from mcp.client.stdio import StdioServerParameters

    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "ctxtree", "mcp", "--tree", str(store), "--author", "bench"],
        env=dict(os.environ),
    )


def ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def cold_start(store: Path, query: str) -> tuple[float, float]:
    """(spawn -> handshake done, spawn -> first search answered), in ms."""
    from mcp import Client

    started = time.perf_counter()
    async with Client(params(store), read_timeout_seconds=120) as client:
        ready = ms(started)
        result = await client.call_tool("search", {"query": query})
        first = ms(started)
        if result.is_error:
            raise SystemExit(f"mcp.py: search failed: {result.content}")
    return ready, first


async def warm_calls(store: Path, qs: Sequence[str], ids: Sequence[str]) -> dict[str, list[float]]:
    from mcp import Client

    times: dict[str, list[float]] = {"search": [], "context": [], "show": []}
    async with Client(params(store), read_timeout_seconds=120) as client:
        await client.call_tool("search", {"query": qs[0]})  # the first call is cold_start's
        calls = [("search", {"query": q}) for q in qs[1 : len(qs) // 2]]
        calls += [("context", {"query": q, "budget": 1000}) for q in qs[len(qs) // 2 :]]
        calls += [("show", {"entry_id": i}) for i in ids]
        for tool, arguments in calls:
            started = time.perf_counter()
            result = await client.call_tool(tool, arguments)
            times[tool].append(ms(started))
            if result.is_error:
                raise SystemExit(f"mcp.py: {tool} {arguments} failed: {result.content}")
    return times


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 1), "p95": round(p95(values), 1)}


def one_size(n: int, work: Path, runs: int) -> dict[str, Any]:
    import anyio

    directory = work / f"store-{n}"
    synth.build(n, directory, seed=7, jobs=2)
    store = directory / ".ctx"
    ctx = [sys.executable, "-m", "ctxtree"]
    subprocess.run([*ctx, "reindex", "--tree", str(store)], check=True, capture_output=True)
    qs = queries(store, 2 * runs + SPAWNS + 1, seed=n)
    paths = sorted(p for p in (store / "tree").rglob("*.md") if p.name != "context.md")
    step = max(1, len(paths) // runs)
    ids = [str(p.relative_to(store / "tree"))[: -len(".md")] for p in paths[::step][:runs]]
    starts = [anyio.run(cold_start, store, q) for q in qs[-SPAWNS:]]
    times = anyio.run(warm_calls, store, qs[: 2 * runs + 1], ids)
    return {
        "entries": n,
        "spawn to handshake ms": summary([s[0] for s in starts]),
        "spawn to first answer ms": summary([s[1] for s in starts]),
        **{f"{tool} ms": summary(values) for tool, values in times.items()},
    }


def table(rows: list[dict[str, Any]]) -> str:
    keys = [k for k in rows[0] if k != "entries"]
    lines = ["| | " + " | ".join(f"{r['entries']:,} entries" for r in rows) + " |"]
    lines.append("|---" * (len(rows) + 1) + "|")
    for key in keys:
        cells = [f"{r[key]['median']:.0f} (p95 {r[key]['p95']:.0f})" for r in rows]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sdk_first() -> None:
    """This file's name is the SDK's: its folder (put first on the path by Python and by
    latency.py) goes last, so `import mcp` finds the SDK."""
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here] + [here]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated entry counts")
    parser.add_argument("--runs", type=int, default=30, help="warm calls of each tool")
    parser.add_argument("--json", dest="json_out", metavar="OUT", help="write the numbers here")
    args = parser.parse_args(argv)
    sdk_first()
    try:
        import mcp  # noqa: F401
    except ImportError:
        parser.error("needs the MCP SDK: pip install 'ctxtree[mcp]'")
    with tempfile.TemporaryDirectory(prefix="ctx-mcp-bench-") as work:
        rows = [one_size(int(n), Path(work), args.runs) for n in args.sizes.split(",")]
    print(table(rows))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
