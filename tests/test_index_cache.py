"""The search index in cache/ is derived: concurrent first builds agree, and a damaged file is
rebuilt from the markdown instead of failing the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from conftest import Ctx

# Each worker imports the CLI first, then waits for a shared instant, so all of them reach the
# index build together (process start-up alone would spread them over a second).
WORKER = """
import sys, time
from ctxtree.cli.app import main
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.001)
main(sys.argv[2:])
"""


def hand_written(ctx: Ctx, count: int) -> None:
    """`count` entries written as files (as an editor or git pull would), then committed."""
    for i in range(count):
        path = ctx.file(f"race/t/e{i:03d}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"---\nschema: 1\ntitle: Entry {i} about token rotation\nsummary: s{i}\n"
            f"kind: note\n---\n# Entry {i}\n\nRefresh token rotation, note {i}.\n"
        )
    ctx.git("add", "-A")
    ctx.git("commit", "-q", "-m", "hand-written entries")


def run_at_once(ctx: Ctx, count: int, *args: str) -> list[tuple[int, str, str]]:
    env = {**os.environ, **ctx.env}
    start = time.time() + 2.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(start), *args],
            cwd=ctx.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(count)
    ]
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        out.append((proc.returncode, stdout.decode(), stderr.decode()))
    return out


def test_concurrent_searches_on_a_fresh_cache_all_succeed_alike(ctx: Ctx) -> None:
    hand_written(ctx, 150)
    expected = None
    # Two rounds of eight builders racing: on two cores more only queue behind each other
    # (the deterministic form of the race is the next test).
    for _round in range(2):
        for path in (ctx.store / "cache").glob("index.sqlite*"):
            path.unlink()
        results = run_at_once(ctx, 8, "search", "token rotation", "--json", "-n", "20")
        # 150 entries that match alike: a tie, so not confident (exit 3), in every process.
        assert [(code, err) for code, _out, err in results] == [(3, "")] * 8
        hits = {json.dumps([h["id"] for h in json.loads(out)["hits"]]) for _c, out, _e in results}
        assert len(hits) == 1
        expected = expected or hits
        assert hits == expected
    assert len(json.loads(next(iter(expected)))) == 20


def test_a_refresh_waiting_on_another_build_does_not_insert_twice(ctx: Ctx) -> None:
    """The deterministic form of the race above: B compares files with the index while A is
    still building it; once A commits, B must see A's rows, not insert them again."""
    import threading

    from ctxtree.retrieval.index import Index
    from ctxtree.tree.store import Store

    hand_written(ctx, 5)
    store = Store(ctx.store)
    Index.open(store, refresh=False).close()  # an empty index, as after a schema change
    building = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def hold(done: int, total: int) -> None:  # called inside A's write transaction
        building.set()
        release.wait(10)

    def refresh(progress: Callable[[int, int], None] | None) -> None:
        try:
            index = Index.open(store, refresh=False)  # sqlite connections stay in their thread
            try:
                index.refresh(progress)
            finally:
                index.close()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    a = threading.Thread(target=refresh, args=(hold,))
    a.start()
    assert building.wait(10)
    b = threading.Thread(target=refresh, args=(None,))
    b.start()
    time.sleep(0.5)  # B has compared the files with the index by now, and waits for A
    release.set()
    a.join(30)
    b.join(30)
    assert errors == []
    index = Index.open(store)
    try:
        assert [i for i, _t, _p in index.listing("race")] == [f"race/t/e{i:03d}" for i in range(5)]
    finally:
        index.close()


def _damaged(data: bytes) -> list[tuple[str, bytes]]:
    return [
        ("header only", data[:50]),
        ("first page", data[:4096]),
        ("half", data[: len(data) // 2]),
        ("last page cut", data[:-1000]),
        ("not sqlite", b"this is not a database\n" * 400),
        ("zeros", bytes(len(data))),
    ]


def test_a_damaged_index_is_rebuilt_not_fatal(ctx: Ctx) -> None:
    hand_written(ctx, 60)
    first = ctx("search", "token rotation", "-n", "20")
    assert first.code == 3  # 60 entries that match alike: a tie, not confident
    expected = first.stdout
    db = ctx.store / "cache" / "index.sqlite"
    assert not Path(f"{db}-wal").exists()  # every connection closed: the file is whole
    data = db.read_bytes()
    for name, damaged in _damaged(data):
        db.write_bytes(damaged)
        run = ctx("search", "token rotation", "-n", "20")
        assert run.code == 3, (name, run.stderr)
        assert run.stderr.startswith("20 hits") and "error" not in run.stderr, name
        assert run.stdout == expected, name
        assert ctx.ok("ls", "race").count("\n") == 60, name


def test_damage_met_in_a_query_is_reported_and_healed(ctx: Ctx) -> None:
    """A damaged page that opening does not read (the query cache's) surfaces mid-query: a
    clear store error, the file deleted, and the next command rebuilds and answers."""
    import sqlite3

    hand_written(ctx, 20)
    expected = ctx("search", "token rotation").stdout  # a tie of 20: exit 3, hits listed
    db = ctx.store / "cache" / "index.sqlite"
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [
        n
        for (n,) in conn.execute(
            "SELECT pageno FROM dbstat WHERE name IN ('qcache', 'sqlite_autoindex_qcache_1')"
        )
    ]
    conn.close()
    with db.open("r+b") as handle:
        for page in pages:
            handle.seek((page - 1) * page_size)
            handle.write(b"\xff" * page_size)
    run = ctx("search", "token rotation")
    assert run.code == 6
    assert run.stderr == (
        f"ctx: error: the search index {db} was damaged (database disk image is malformed) "
        "and has been deleted\n"
        "  hint: run the command again: the index is rebuilt from the markdown files, "
        "nothing is lost\n"
    )
    assert ctx("search", "token rotation").stdout == expected
