"""Shared fixtures: a real store in tmp_path, driven through the public CLI."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import settings
from llm_server import ScriptedServer, write_llm_user_dir
from typer.testing import CliRunner

from ctxtree.cli import fastpath
from ctxtree.cli.app import build

NOW = "2026-11-20T10:00:00Z"

# CI must not turn red on a seed it drew this time: property tests run the same examples on
# every run. `pytest --hypothesis-profile=explore` draws fresh ones (and more of them).
settings.register_profile("default", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=1000)
settings.load_profile("default")


@functools.cache
def command() -> Any:
    """The `ctx` click command, converted from the typer app once (it keeps no state
    between invocations)."""
    return typer.main.get_command(build())


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace").replace("\r\n", "\n")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def isolated_env(home: Path) -> dict[str, str]:
    """An environment with no user git config, a fixed clock and actor."""
    return {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "share"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "CTX_ACTOR": "human:tester",
        "CTX_NOW": NOW,
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "CTX_TREE": "",
        "EDITOR": "false",
        "VISUAL": "",
        # The `llm` library's user directory (keys, aliases, extra models): never the real one.
        "LLM_USER_PATH": str(home / "llm"),
        "CTX_LLM_MODEL": "",
        "CTX_LLM_COMMAND": "",
    }


class Ctx:
    """Runs `ctx` in-process (typer's CliRunner) or as a real subprocess, in `cwd`."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.env = env
        self.store = cwd / ".ctx"

    def __call__(self, *args: str, input: str | bytes | None = None) -> Run:
        """Run in-process, as CliRunner.invoke does, but on the click command converted once
        per run: typer converts its app anew on every invoke, ~50-100 ms, most of what a
        parser error or a read costs here."""
        old = Path.cwd()
        os.chdir(self.cwd)
        try:
            with CliRunner().isolation(input=input, env=self.env) as (out, err, _mixed):
                try:
                    # As the `ctx` entry point does (cli/entry.py): search and context take
                    # the fast path when it reads their command line exactly as typer would.
                    fast = fastpath.run(list(args))
                    if fast is None:
                        command().main(args=list(args), prog_name="ctx")
                    code = fast or 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
                sys.stdout.flush()
                sys.stderr.flush()
                stdout, stderr = out.getvalue(), err.getvalue()
        finally:
            os.chdir(old)
        return Run(code, _text(stdout), _text(stderr))

    def proc(self, *args: str, input: bytes | None = None) -> Run:
        env = {**os.environ, **self.env}
        done = subprocess.run(
            [sys.executable, "-m", "ctxtree", *args],
            cwd=self.cwd,
            env=env,
            input=input,
            capture_output=True,
            timeout=120,
        )
        return Run(done.returncode, done.stdout.decode(), done.stderr.decode())

    def ok(self, *args: str, input: str | bytes | None = None) -> str:
        run = self(*args, input=input)
        assert run.code == 0, f"ctx {' '.join(args)} -> {run.code}\n{run.stderr}"
        return run.stdout

    def git(self, *args: str) -> str:
        env = {**os.environ, **self.env}
        return subprocess.run(
            ["git", "-C", str(self.store), *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def file(self, entry_id: str) -> Path:
        return self.store / "tree" / f"{entry_id}.md"


@pytest.fixture(scope="session")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store made by `ctx init` for the whole run. `ctx init` costs ~150 ms (git init and
    a commit), a copy ~10 ms; the store holds no absolute path, and the environment that made
    it (actor, clock) is every test's."""
    base = tmp_path_factory.mktemp("empty-store")
    (base / "home").mkdir()
    Ctx(base, isolated_env(base / "home")).ok("init")
    return base / ".ctx"


@pytest.fixture
def ctx(tmp_path: Path, empty_store: Path) -> Iterator[Ctx]:
    """A project directory with an empty, initialised store (a copy of `empty_store`)."""
    home = tmp_path / "home"
    home.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    runner = Ctx(project, isolated_env(home))
    shutil.copytree(empty_store, runner.store, symlinks=True)
    yield runner


@pytest.fixture(scope="session")
def scripted_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.close()


@pytest.fixture
def llm_server(ctx: Ctx, scripted_server: ScriptedServer) -> ScriptedServer:
    """The scripted OpenAI-compatible server, empty script, known to `ctx`'s `llm` user
    directory as model `ctx-test` (native tools) and `ctx-test-plain` (no native tools)."""
    scripted_server.reply()
    write_llm_user_dir(Path(ctx.env["LLM_USER_PATH"]), scripted_server.base)
    return scripted_server


@pytest.fixture
def bare(tmp_path: Path) -> Ctx:
    """A project directory with no store yet (beside, not inside, the `ctx` fixture's)."""
    home = tmp_path / "bare" / "home"
    home.mkdir(parents=True)
    project = tmp_path / "bare" / "project"
    project.mkdir()
    return Ctx(project, isolated_env(home))


class Templates:
    """Stores built once per run by a function of a Ctx, then copied into each test's store:
    a fixture that makes several commits pays for them once. The copy leaves out cache/
    (derived: the first command rebuilds what it needs) and carries over the environment
    the build changed (a clock it moved)."""

    def __init__(self, base: Path, empty: Path) -> None:
        self.base = base
        self.empty = empty
        self.built: dict[Callable[[Ctx], object], tuple[Path, dict[str, str]]] = {}

    def copy(self, ctx: Ctx, build: Callable[[Ctx], object]) -> Ctx:
        if build not in self.built:
            root = self.base / f"{build.__module__}.{build.__qualname__}"
            (root / "home").mkdir(parents=True)
            (root / "project").mkdir()
            env = isolated_env(root / "home")
            maker = Ctx(root / "project", dict(env))
            shutil.copytree(self.empty, maker.store, symlinks=True)
            build(maker)
            drift = {k: v for k, v in maker.env.items() if env.get(k) != v}
            self.built[build] = (maker.store, drift)
        store, drift = self.built[build]
        shutil.rmtree(ctx.store)
        shutil.copytree(store, ctx.store, symlinks=True, ignore=_top_cache)
        ctx.env.update(drift)
        return ctx


def _top_cache(folder: str, names: list[str]) -> list[str]:
    return ["cache"] if Path(folder).name == ".ctx" and "cache" in names else []


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory, empty_store: Path) -> Templates:
    return Templates(tmp_path_factory.mktemp("templates"), empty_store)


def missed(ctx: Ctx, query: str, *args: str) -> list[str]:
    """`ctx search QUERY` found nothing confident (exit 3): the ids it still listed."""
    run = ctx("search", query, *args, "--json")
    assert run.code == 3, (run.code, run.stdout, run.stderr)
    return [hit["id"] for hit in json.loads(run.stdout)["hits"]]


def add(ctx: Ctx, entry_id: str, title: str = "", *extra: str) -> str:
    return ctx.ok("add", entry_id, "--title", title or entry_id.rsplit("/", 1)[-1], *extra)


def fails(run: Run, code: int, message: str) -> None:
    """`run` failed with exit `code`, printed nothing on stdout, and its error line is
    `ctx: error: MESSAGE`: an exit code alone could come from another failure."""
    said = run.stderr.splitlines()[0] if run.stderr else ""
    assert (run.code, run.stdout, said) == (code, "", f"ctx: error: {message}"), run.stderr
