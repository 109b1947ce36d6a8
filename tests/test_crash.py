"""Crash safety: real `ctx` writes killed with SIGKILL at several moments of their run.

After the next command (`ctx status`), the store must hold exactly the state before the write or
the state after it, with `git status --porcelain` empty, `git fsck` clean, no journal and no
temp file left (SPEC §8). The moments are fractions of a complete run's duration, so they fall
in every phase: start-up, validation, file writes, `git add`, `git commit`. bench/crash.py
runs many more random moments.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from crashkit import (
    add_plan,
    complete,
    ctx,
    dead_pid,
    env_for,
    files,
    git,
    new_store,
    transcript,
    trial,
)

FRACTIONS = (0.35, 0.6, 0.75, 0.9, 1.0)
# Sizes: large enough that every write spans all its phases and commits over 200 paths (git
# then reads them from a file, tree/git.py `_pathspec`); bench/crash.py runs the larger sizes.
ADDS = 240
ARCHIVED = 110  # each archive moves a file: 220 paths
TURNS = 1200


def kill_everywhere(tmp: Path, pristine: Path, args: list[str], env: dict[str, str]) -> set[str]:
    before = files(pristine)
    duration = complete(pristine, tmp / "after", args, env)
    after = files(tmp / "after")
    assert after != before
    states = set()
    for fraction in FRACTIONS:
        outcome = trial(pristine, tmp / "work", args, env, duration * fraction, before, after)
        states.add(outcome.state)
    return states


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash-home")
    return path


def test_apply_of_hundreds_of_operations(home: Path, tmp_path: Path) -> None:
    env = env_for(home)
    pristine = new_store(tmp_path / "pristine", env)
    plan = tmp_path / "plan.json"
    plan.write_text(add_plan(ADDS), encoding="utf-8")
    states = kill_everywhere(tmp_path, pristine, ["apply", str(plan)], env)
    assert states <= {"before", "after"}


def test_maintain_archiving_hundreds(home: Path, tmp_path: Path) -> None:
    env = env_for(home)
    pristine = new_store(tmp_path / "pristine", env)
    plan = tmp_path / "plan.json"
    plan.write_text(add_plan(ARCHIVED, importance=5), encoding="utf-8")
    ctx(pristine, env, "apply", str(plan))
    later = env_for(home, now="2027-06-01T10:00:00Z")  # idle long enough to be archived
    states = kill_everywhere(tmp_path, pristine, ["maintain", "--apply"], later)
    archived = [p for p in files(tmp_path / "after") if p.startswith("archive/")]
    assert len(archived) == ARCHIVED
    assert states <= {"before", "after"}


def test_import_transcript(home: Path, tmp_path: Path) -> None:
    env = env_for(home)
    pristine = new_store(tmp_path / "pristine", env)
    chat = tmp_path / "chat.jsonl"
    chat.write_text(transcript(TURNS), encoding="utf-8")
    states = kill_everywhere(tmp_path, pristine, ["import", "transcript", str(chat)], env)
    assert states <= {"before", "after"}


def test_undo_of_a_commit_of_hundreds_of_entries(home: Path, tmp_path: Path) -> None:
    env = env_for(home)
    pristine = new_store(tmp_path / "pristine", env)
    plan = tmp_path / "plan.json"
    plan.write_text(add_plan(ADDS), encoding="utf-8")
    ctx(pristine, env, "apply", str(plan))
    states = kill_everywhere(tmp_path, pristine, ["undo"], env)
    assert states <= {"before", "after"}


def test_a_killed_history_rewrite_is_finished(home: Path, tmp_path: Path) -> None:
    """forget --purge journals its rewrite: after a crash, the index follows HEAD."""
    env = env_for(home)
    store = new_store(tmp_path / "s", env)
    base = json.loads(ctx(store, env, "log", "-n", "1", "--json"))[0]["sha"]
    git(store, "rm", "-q", "--cached", ".gitignore")  # what a rewrite killed mid-way leaves
    assert git(store, "status", "--porcelain").stdout != ""
    intent = {"version": 1, "op": "forget --purge", "base": base, "pid": dead_pid(),
              "started": "2026-11-20T10:00:00Z", "before": {}}  # fmt: skip
    (store / ".git" / "ctx-journal.json").write_text(json.dumps(intent), encoding="utf-8")
    ctx(store, env, "status")
    assert git(store, "status", "--porcelain").stdout == ""


def test_a_rolled_back_write_is_not_served_by_search(home: Path, tmp_path: Path) -> None:
    """The index saw a killed write's files; once the next command undoes the write, search
    must not serve them (the index notices the files are gone)."""
    env = env_for(home)
    store = new_store(tmp_path / "s", env)
    base = json.loads(ctx(store, env, "log", "-n", "1", "--json"))[0]["sha"]
    (store / "tree/d0/t0").mkdir(parents=True)
    (store / "tree/d0/t0/entry-0.md").write_text(
        "---\ntitle: Crash entry 0\n---\n# Crash entry 0\n\nMarker zq0x.\n", encoding="utf-8"
    )
    assert "d0/t0/entry-0" in search(store, env, "zq0x").stdout  # indexed
    # What a write killed after creating that file leaves: its journal names it as absent.
    intent = {
        "version": 1,
        "op": "apply",
        "base": base,
        "pid": dead_pid(),
        "started": "2026-11-20T10:00:00Z",
        "before": {"tree/d0/t0/entry-0.md": None},
    }
    (store / ".git" / "ctx-journal.json").write_text(json.dumps(intent), encoding="utf-8")
    done = search(store, env, "zq0x")
    assert done.returncode == 3, done.stdout  # not in memory
    assert "recovered an interrupted `apply`" in done.stderr
    assert not (store / "tree/d0").exists()
    assert not (store / ".git" / "ctx-journal.json").exists()
    assert git(store, "status", "--porcelain").stdout == ""


def search(store: Path, env: dict[str, str], query: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctxtree", "search", query, "--tree", str(store)],
        env=env,
        capture_output=True,
        text=True,
    )
