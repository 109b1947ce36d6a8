"""Kill real `ctx` processes mid-write and check what the next command leaves (SPEC §8).

Shared by tests/test_crash.py (a few fixed moments per write) and bench/crash.py (many random
moments). A trial copies a pristine store, starts the write as a real process, SIGKILLs it
after `delay` seconds, runs one more command, then compares the store with the state before
the write and the state a complete run leaves.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

NOW = "2026-11-20T10:00:00Z"


def env_for(home: Path, now: str = NOW) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "share"),
        "CTX_ACTOR": "human:crash",
        "CTX_NOW": now,
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "CTX_TREE": "",
        "EDITOR": "false",
    }


def ctx(store: Path, env: dict[str, str], *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ctxtree", *args, "--tree", str(store)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"ctx {' '.join(args)} -> {done.returncode}: {done.stderr}")
    return done.stdout


def dead_pid() -> int:
    """The pid of a process that has exited (what a killed writer's journal names)."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def files(store: Path) -> dict[str, bytes]:
    """Every file a write can change: all of the store but .git/ and cache/."""
    found = {}
    for path in sorted(store.rglob("*")):
        rel = path.relative_to(store)
        if rel.parts[0] in (".git", "cache") or path.is_dir():
            continue
        found[str(rel)] = path.read_bytes()
    return found


def git(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(store), *args], capture_output=True, text=True)


def new_store(root: Path, env: dict[str, str]) -> Path:
    store = root / ".ctx"
    root.mkdir(parents=True, exist_ok=True)
    ctx(store, env, "init")
    return store


def add_plan(count: int, reason_chars: int = 40, importance: int | None = None) -> str:
    """A plan of `count` ADDs spread over 5 domains and 7 topics."""
    ops = []
    for i in range(count):
        op: dict[str, object] = {
            "op": "ADD",
            "id": f"d{i % 5}/t{i % 7}/entry-{i}",
            "title": f"Crash entry {i}",
            "body": f"Marker zq{i}x.\n\n## Facts\n- fact {i}\n",
            "reason": ("r" * reason_chars)[:reason_chars],
        }
        if importance is not None:
            op["importance"] = importance
        ops.append(op)
    return json.dumps({"reason": f"{count} entries", "operations": ops})


def transcript(turns: int) -> str:
    lines = []
    for i in range(1, turns + 1):
        record = {
            "id": f"D{1 + i // 200}:{i}",
            "session": 1 + i // 200,
            "time": "2026-11-01T10:00:00Z",
            "speaker": ("Ann", "Bob")[i % 2],
            "text": f"turn {i} about topic zq{i}x",
        }
        lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Outcome:
    delay: float
    state: str  # "before" | "after"
    repaired: str  # what the next command said on stderr about a repair ("" when none)


def complete(pristine: Path, work: Path, args: Sequence[str], env: dict[str, str]) -> float:
    """Run the write to completion on a copy; returns its duration and leaves the copy."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, work, symlinks=True)
    started = time.monotonic()
    ctx(work, env, *args)
    return time.monotonic() - started


def trial(
    pristine: Path,
    work: Path,
    args: Sequence[str],
    env: dict[str, str],
    delay: float,
    before: dict[str, bytes],
    after: dict[str, bytes],
) -> Outcome:
    """Kill the write after `delay` s, run `ctx status`, and check the store is exactly
    `before` or `after`, with a clean `git status`, a sound `git fsck`, no journal and no
    temp file. Raises AssertionError otherwise."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, work, symlinks=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ctxtree", *args, "--tree", str(work)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    status = subprocess.run(
        [sys.executable, "-m", "ctxtree", "status", "--tree", str(work)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr
    now = files(work)
    if now == before:
        state = "before"
    elif now == after:
        state = "after"
    else:
        extra = sorted(set(now) - set(before) - set(after))[:5]
        missing = sorted((set(before) | set(after)) - set(now))[:5]
        raise AssertionError(
            f"killed at {delay:.3f} s: neither before nor after "
            f"(extra {extra}, missing {missing}, {status.stderr.strip()})"
        )
    porcelain = git(work, "status", "--porcelain").stdout
    assert porcelain == "", f"killed at {delay:.3f} s: uncommitted after repair:\n{porcelain}"
    fsck = git(work, "fsck", "--no-progress")
    assert fsck.returncode == 0, f"killed at {delay:.3f} s: git fsck: {fsck.stderr}"
    assert not (work / ".git" / "ctx-journal.json").exists()
    leftovers = [p for p in work.rglob("*.tmp") if "cache" not in p.parts]
    assert not leftovers, f"killed at {delay:.3f} s: temp files left: {leftovers}"
    repaired = "\n".join(
        line for line in status.stderr.splitlines() if "recovered" in line or "stale" in line
    )
    return Outcome(delay, state, repaired)
