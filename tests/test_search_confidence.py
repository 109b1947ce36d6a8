"""Search confidence on the demo store through the CLI: the user examples of issue 9 item 4,
labelled scores, no contradicting verdicts, and usage errors for queries, kinds and scopes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import Ctx, isolated_env

LINE = re.compile(r"^ ?\d+\. (\S+)\s+score=(\d\.\d\d)  ")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Ctx:
    root = tmp_path_factory.mktemp("demo")
    (root / "home").mkdir()
    runner = Ctx(root / "project", isolated_env(root / "home"))
    (root / "project").mkdir()
    runner.ok("demo", str(root / "project"), "--quiet")
    return runner


def search(demo: Ctx, query: str, *extra: str) -> tuple[int, list[tuple[str, float]], str]:
    run = demo("search", query, *extra)
    hits = [(m[1], float(m[2])) for line in run.stdout.splitlines() if (m := LINE.match(line))]
    return run.code, hits, run.stderr


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        # A natural question whose answer is first used to read 0.47 (exit 3).
        ("how should prices be shown in the ui", "frontend/components/price-formatting"),
        # A paraphrase of a conflict between two rules (0.67 with a low lead: now confident).
        ("conflict between the support playbook and the refund rule",
         "payments/refunds/support-goodwill-refunds"),
        # Typos: right hits must not come with "nothing relevant".
        ("refresh tokn rotaton", "auth/jwt/refresh-rotation"),
        ("idempotancy keys stripe", "payments/stripe/idempotency-keys"),
    ],
)  # fmt: skip
def test_right_answers_are_confident(demo: Ctx, query: str, answer: str) -> None:
    code, hits, stderr = search(demo, query)
    assert hits[0][0] == answer
    assert code == 0, stderr
    assert "(confident)" in stderr and "not in memory" not in stderr


@pytest.mark.parametrize("query", ["kafka consumer group configuration", "dark mode colour tokens"])
def test_absent_answers_say_so_without_contradicting_the_hits(demo: Ctx, query: str) -> None:
    code, hits, stderr = search(demo, query)
    assert code == 3
    assert "(probably not in memory)" in stderr
    if hits:  # shown, but never called relevant, nor "nothing" when something is listed
        assert "nothing relevant" not in stderr
        assert "the hits above share only part of the query" in stderr


def test_scores_are_labelled_and_weak_hits_are_not_listed(demo: Ctx) -> None:
    run = demo("search", "how long is stock held during checkout", "--json")
    data = json.loads(run.stdout)
    top = data["hits"][0]["score"]
    assert all(h["score"] >= 0.1 * top for h in data["hits"])
    assert all(h["score"] > 0 for h in data["hits"])
    _code, hits, stderr = search(demo, "how long is stock held during checkout")
    assert hits and all(score > 0 for _id, score in hits)
    assert f"confidence {data['confidence']:.2f} that the first hit answers" in stderr
    assert data["signals"].keys() == {"coverage", "margin"}


def test_context_fails_only_when_not_in_memory(demo: Ctx) -> None:
    # A one-word query ties several entries (low confidence for search) but is in memory.
    assert demo("search", "token").code == 3
    assert demo("context", "token", "--budget", "300").code == 0
    assert demo("context", "kafka consumer group configuration").code == 3


@pytest.mark.parametrize("command", ["search", "context"])
@pytest.mark.parametrize("query", ["", "   ", "\t"])
def test_a_blank_query_is_a_usage_error(demo: Ctx, command: str, query: str) -> None:
    run = demo(command, query)
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr.startswith("ctx: error: the query is empty\n  hint: ")


def test_an_unknown_kind_is_a_usage_error(demo: Ctx) -> None:
    run = demo("search", "refund", "--kind", "nonsense")
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr.splitlines() == [
        "ctx: error: unknown kind 'nonsense'",
        "  hint: use one of fact, decision, convention, procedure, bug, rule, episode, note",
    ]
    assert demo("search", "refund", "--kind", "procedure").code == 0


@pytest.mark.parametrize(
    ("command", "scope", "hint"),
    [
        ("search", "paymnts", "did you mean payments"),
        ("context", "auth/jwt/refresh-rotatio", "did you mean auth/jwt/refresh-rotation"),
        ("search", "storag", "`ctx tree` lists the folders"),
    ],
)
def test_a_scope_that_names_nothing_is_a_usage_error(
    demo: Ctx, command: str, scope: str, hint: str
) -> None:
    run = demo(command, "refund", "--scope", scope)
    assert (run.code, run.stdout) == (2, "")
    lines = run.stderr.splitlines()
    assert lines[0] == f"ctx: error: --scope {scope!r} names no folder or entry in the store"
    assert lines[1].startswith(f"  hint: {hint}")


def test_an_existing_empty_folder_is_a_valid_scope(demo: Ctx) -> None:
    (Path(demo.cwd) / ".ctx" / "tree" / "payments" / "empty").mkdir()
    run = demo("search", "refund", "--scope", "payments/empty")
    assert (run.code, run.stdout) == (3, "")
    assert "nothing relevant in memory" in run.stderr
