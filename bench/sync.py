"""`ctx sync` on a 10k-entry store with 100 changed entries on each side.

    python bench/sync.py [--entries 10000] [--changes 100] [--runs 5] [--json OUT]

bench/synth.py writes the store (A), which pushes it to a bare repository; `ctx clone` makes
B. For each run, fresh copies of A, B and the bare repository diverge: A edits the summary of
`changes` entries, B adds a tag to `changes` entries, half of them the same ones (so the merge
driver merges those files field by field) and commits (each side one commit, written as
synth.py writes: entries serialized by ctxtree, committed with git). Then, as whole `ctx`
processes: A syncs (its push lands first), B syncs (fetch, a real merge, push), A syncs again
(fast-forward). Prints the median of each over the runs, checks that A and B end with the
same tree, and never asserts on timings.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth

from ctxtree.tree import frontmatter
from ctxtree.tree.paths import id_from_relpath


def ctx(project: Path, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ctxtree", *args], cwd=project, capture_output=True, text=True,
        env={**os.environ, "CTX_TREE": ""},
    )  # fmt: skip
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"ctx {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return elapsed, done.stdout


def git(store: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=store, capture_output=True, text=True, check=True
    ).stdout


def diverge(store: Path, ids: Sequence[str], side: str, stamp: str) -> None:
    """Change `ids` on one side (A: the summary, B: a tag), one commit."""
    for entry_id in ids:
        path = store / "tree" / f"{entry_id}.md"
        entry = frontmatter.parse(path.read_text(encoding="utf-8"), entry_id)
        if side == "a":
            entry = replace(entry, summary=f"{entry.summary} (revised by A)", updated=stamp)
        else:
            entry = replace(entry, tags=(*entry.tags, "from-b"), updated=stamp)
        path.write_text(frontmatter.serialize(entry), encoding="utf-8")
    git(store, "add", "-A", "tree")
    git(store, "-c", "gc.auto=0", "commit", "-q", "--no-verify", "-m", f"bench: {side} edits")


def one_run(pristine: Path, work: Path, changes: int) -> dict[str, float]:
    shutil.copytree(pristine, work, symlinks=True)
    remote = (work / "team.git").as_uri()
    a, b = work / "a", work / "b"
    for project in (a, b):
        git(project / ".ctx", "remote", "set-url", "origin", remote)
    ids = sorted(
        entry_id
        for path in (a / ".ctx" / "tree").rglob("*.md")
        if (entry_id := id_from_relpath(path.relative_to(a / ".ctx").as_posix()))
    )
    half = changes // 2
    diverge(a / ".ctx", ids[:changes], "a", "2027-01-01T00:00:00Z")
    diverge(b / ".ctx", ids[half : half + changes], "b", "2027-01-02T00:00:00Z")
    took = {}
    took["sync A (push)"], _ = ctx(a, "sync")
    took["sync B (merge)"], out = ctx(b, "sync", "--json")
    result = json.loads(out)
    assert result["merge"] == "merged", result
    took["sync A (fast-forward)"], _ = ctx(a, "sync")
    trees = {git(side / ".ctx", "rev-parse", "HEAD^{tree}") for side in (a, b)}
    if len(trees) != 1:
        raise SystemExit("A and B did not converge")
    took["entries changed on B"] = float(len(result["changed"]["modified"]))
    return took


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ctx-bench-sync-") as tmp:
        pristine = Path(tmp) / "pristine"
        synth.build(args.entries, pristine / "a", seed=7, jobs=2)
        git(pristine, "init", "-q", "--bare", "team.git")
        ctx(pristine / "a", "remote", "add", "origin", (pristine / "team.git").as_uri())
        ctx(pristine / "a", "sync")
        (pristine / "b").mkdir()
        ctx(pristine / "b", "clone", (pristine / "team.git").as_uri())
        ctx(pristine / "a", "reindex", "--no-tokens")
        runs = [one_run(pristine, Path(tmp) / f"run{i}", args.changes) for i in range(args.runs)]
    summary = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    for key, value in summary.items():
        unit = "" if key.startswith("entries") else " ms"
        print(f"{key:<24} {value:8.0f}{unit}  (median of {args.runs})")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"runs": runs, "median": summary}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
