"""`ctx apply`: validated, atomic plans with honest per-operation status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Ctx, Templates, add

from ctxtree.curation import plan as plans

AWS = "AKIAIOSFODNN7EXAMPLE"


def commits(ctx: Ctx) -> int:
    return int(ctx.git("rev-list", "--count", "HEAD"))


def apply(ctx: Ctx, plan: Any, *args: str) -> tuple[int, dict[str, Any], str]:
    run = ctx("apply", "-", "--json", *args, input=json.dumps(plan))
    return run.code, json.loads(run.stdout) if run.stdout else {}, run.stderr


def build_store(ctx: Ctx) -> None:
    add(ctx, "auth/jwt/keys", "Signing keys", "--body", "Keys rotate monthly.\n\n- kept 7 days",
        "--source", "commit:abc1234")  # fmt: skip
    add(ctx, "auth/jwt/old-ttl", "Tokens live 24 hours")
    add(ctx, "auth/jwt/notes", "JWT notes", "--body", "Rotate keys monthly.")


@pytest.fixture
def store(ctx: Ctx, templates: Templates) -> Ctx:
    return templates.copy(ctx, build_store)


def test_a_valid_plan_lands_as_one_commit(store: Ctx) -> None:
    before = commits(store)
    plan = {
        "reason": "learned in session 12",
        "operations": [
            {"op": "ADD", "id": "auth/jwt/ttl", "title": "Tokens live 8 hours",
             "relations": [{"type": "depends_on", "target": "auth/jwt/keys"}],
             "sources": [{"type": "conversation", "ref": "s12"}], "reason": "new policy"},
            {"op": "supersede", "old": "auth/jwt/old-ttl", "new": "auth/jwt/ttl",
             "reason": "the policy changed"},
            {"op": "UPDATE", "id": "auth/jwt/keys", "summary": "Monthly rotation.",
             "reason": "summary was missing"},
            {"op": "MERGE", "source": "auth/jwt/notes", "target": "auth/jwt/keys",
             "reason": "duplicate"},
            {"op": "LINK", "source": "auth/jwt/ttl", "target": "auth/jwt/old-ttl",
             "type": "related", "reason": "context"},
            {"op": "UPSERT", "id": "auth/jwt/ttl", "keywords": ["ttl"], "reason": "findable"},
            {"op": "ARCHIVE", "id": "auth/jwt/old-ttl", "reason": "superseded long ago"},
        ],
    }  # fmt: skip
    code, report, _ = apply(store, plan)
    assert code == 0
    assert report["applied"] is True and report["commit"]
    assert [op["status"] for op in report["operations"]] == ["applied"] * 7
    assert commits(store) == before + 1
    ttl = json.loads(store.ok("show", "auth/jwt/ttl", "--json"))
    assert ttl["keywords"] == ["ttl"]
    assert {"type": "supersedes", "target": "auth/jwt/old-ttl"} in ttl["relations"]
    assert (store.store / "archive/auth/jwt/old-ttl.md").is_file()
    assert not store.file("auth/jwt/notes").exists()
    message = store.git("log", "-1", "--format=%B")
    assert message.startswith("apply: learned in session 12\n")
    assert "\nADD auth/jwt/ttl: new policy [ok]\n" in message
    assert "Ctx-Op: apply" in message and "Ctx-Source: plan:stdin" in message


def test_one_failure_writes_nothing_and_every_status_is_honest(store: Ctx) -> None:
    before = commits(store)
    plan = [
        {"op": "ADD", "id": "auth/jwt/new", "title": "New", "reason": "r"},
        {"op": "LINK", "source": "auth/jwt/new", "target": "auth/jwt/missing", "reason": "r"},
        {"op": "ADD", "id": "auth/jwt/keys", "title": "Dup", "reason": "r"},
        {"op": "DELETE", "id": "auth/jwt/keys", "reason": "r"},
        {"op": "ADD", "id": "auth/jwt/leak", "title": "Leak", "body": f"key {AWS}",
         "reason": "r"},
        {"op": "UPDATE", "id": "auth/jwt/notes", "title": "JWT notes v2", "reason": "r"},
    ]  # fmt: skip
    code, report, stderr = apply(store, plan)
    assert code == 3  # the first failure is a missing relation target
    assert report["applied"] is False and report["commit"] is None
    statuses = [(op["status"], op["message"][:40]) for op in report["operations"]]
    assert [s for s, _ in statuses] == [
        "not_applied",
        "failed",
        "failed",
        "not_applied",
        "failed",
        "not_applied",
    ]
    assert "auth/jwt/missing" in report["operations"][1]["message"]
    assert "already exists" in report["operations"][2]["message"]
    assert "refusing to store a secret" in report["operations"][4]["message"]
    assert "plan not applied: 3 of 6 operations failed" in stderr
    assert commits(store) == before
    assert not store.file("auth/jwt/new").exists()


def test_a_later_operation_sees_an_earlier_one(store: Ctx) -> None:
    plan = [
        {"op": "ADD", "id": "a/b/one", "title": "One", "reason": "r"},
        {"op": "ADD", "id": "a/b/two", "title": "Two", "reason": "r",
         "relations": [{"type": "depends_on", "target": "a/b/one"}]},
        {"op": "DELETE", "id": "a/b/one", "reason": "r"},
    ]  # fmt: skip
    code, report, _ = apply(store, plan)
    assert code == 4  # DELETE refuses: a/b/two (added above) depends on it
    assert report["operations"][2]["status"] == "failed"
    assert "a/b/two" in report["operations"][2]["message"]
    plan[2]["force"] = True
    code, report, _ = apply(store, plan)
    assert code == 0
    two = json.loads(store.ok("show", "a/b/two", "--json"))
    assert two["relations"] == [] and not store.file("a/b/one").exists()


def test_update_that_drops_knowledge_is_high_impact(store: Ctx) -> None:
    before = commits(store)
    plan = [
        {"op": "UPDATE", "id": "auth/jwt/keys", "body": "Keys rotate monthly.", "sources": [],
         "reason": "shorter"},
    ]  # fmt: skip
    code, report, _ = apply(store, plan)
    op = report["operations"][0]
    assert code == 4 and op["status"] == "blocked" and op["impact"] == "high"
    assert op["losses"] == ["drops fact: - kept 7 days", "drops source commit:abc1234"]
    assert commits(store) == before
    code, report, _ = apply(store, plan, "--allow-loss")
    assert code == 0 and report["operations"][0]["status"] == "applied"
    assert report["operations"][0]["impact"] == "high"
    assert commits(store) == before + 1


def test_dry_run_reports_would_apply_and_the_diff(store: Ctx) -> None:
    before = commits(store)
    plan = [{"op": "ADD", "id": "a/b/c", "title": "C", "reason": "r"}]
    code, report, _ = apply(store, plan, "--dry-run")
    assert code == 0 and report["dry_run"] is True and report["commit"] is None
    assert report["operations"][0]["status"] == "would_apply"
    assert "+title: C" in report["diff"]
    assert commits(store) == before and not store.file("a/b/c").exists()
    run = store("apply", "-", "--dry-run", input=json.dumps(plan))
    assert run.code == 0 and "would_apply  ADD a/b/c" in run.stdout and "+title: C" in run.stdout


def test_noops_are_reported_as_unchanged(store: Ctx) -> None:
    plan = [
        {"op": "UPDATE", "id": "auth/jwt/keys", "title": "Signing keys", "reason": "r"},
        {"op": "LINK", "source": "auth/jwt/keys", "target": "auth/jwt/notes", "reason": "r"},
        {"op": "LINK", "source": "auth/jwt/keys", "target": "auth/jwt/notes", "reason": "r"},
    ]
    code, report, _ = apply(store, plan)
    assert code == 0
    assert [op["status"] for op in report["operations"]] == ["unchanged", "applied", "unchanged"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "no operations"),
        ('{"ops": []}', "unknown plan key 'ops'"),
        ('"ADD"', "a plan is a JSON object"),
    ],
)
def test_malformed_plans(store: Ctx, text: str, message: str) -> None:
    run = store("apply", "-", input=text)
    assert run.code == 5 and message in run.stderr and "Traceback" not in run.stderr


def test_schema_problems_are_listed_per_operation(store: Ctx) -> None:
    plan = [
        {"op": "ADD", "id": "a/b/c", "title": 3, "reason": "r"},
        {"op": "FROB", "reason": "r"},
        {"op": "ADD", "id": "a/b/d", "title": "D"},
        {"op": "LINK", "source": "a/b/x", "target": "a/b/y", "type": "likes", "reason": "r",
         "colour": "red"},
    ]  # fmt: skip
    code, report, _ = apply(store, plan)
    assert code == 5
    messages = [op["message"] for op in report["operations"]]
    assert messages[0] == "title must be string"
    assert messages[1].startswith("op must be one of ADD, UPDATE")
    assert messages[2] == "reason is required: say why, it goes into the commit"
    assert "type must be one of" in messages[3] and "unknown field 'colour'" in messages[3]


def test_path_traversal_in_a_plan_is_refused(store: Ctx) -> None:
    code, report, _ = apply(store, [{"op": "ADD", "id": "../../etc/x", "title": "X",
                                     "reason": "r"}])  # fmt: skip
    assert code == 5 and "not a slug" in report["operations"][0]["message"]
    assert not (store.store.parent.parent / "etc").exists()


def test_secret_in_a_plan_is_redacted_with_redact(store: Ctx) -> None:
    plan = [{"op": "ADD", "id": "a/b/cfg", "title": "Config", "body": f"key = {AWS}",
             "sources": [{"type": "url", "ref": "https://bob:hunter2hunter2@example.com/x"}],
             "reason": "r"}]  # fmt: skip
    code, _report, _ = apply(store, plan, "--redact")
    assert code == 0
    text = store.file("a/b/cfg").read_text()
    assert AWS not in text and "hunter2hunter2" not in text


def test_schema_is_published_and_matches_the_parser(store: Ctx) -> None:
    schema = json.loads(store.ok("apply", "--schema"))
    assert schema["$schema"].endswith("2020-12/schema")
    variants = schema["oneOf"][1]["items"]["oneOf"]
    assert [v["properties"]["op"]["enum"][0] for v in variants] == list(plans.OPS)
    for variant in variants:
        assert {"op", "reason"} <= set(variant["required"])


def test_two_processes_applying_at_once_are_serialised(store: Ctx, tmp_path: Path) -> None:
    """Both plans add the same id: exactly one lands, the other fails cleanly (validation runs
    under the write lock, so neither can validate against a stale store)."""
    plans_dir = tmp_path / "plans"
    plans_dir.mkdir()
    procs = []
    for n in range(2):
        path = plans_dir / f"p{n}.json"
        path.write_text(json.dumps([
            {"op": "ADD", "id": "race/won/entry", "title": f"Writer {n}", "reason": "race"},
            {"op": "ADD", "id": f"race/mine/w{n}", "title": f"Mine {n}", "reason": "race"},
        ]))  # fmt: skip
        env = {**os.environ, **store.env}
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "ctxtree", "apply", str(path), "--json"],
                cwd=store.cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    results = [(p.wait(timeout=120), json.loads(p.communicate()[0] or b"{}")) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 4], results
    loser = next(report for code, report in results if code == 4)
    assert [op["status"] for op in loser["operations"]] == ["failed", "not_applied"]
    winner = next(n for n, (code, _) in enumerate(results) if code == 0)
    assert f"Writer {winner}" in store.file("race/won/entry").read_text()
    assert not store.file(f"race/mine/w{1 - winner}").exists()
    store.git("fsck", "--no-progress")
    assert store.git("status", "--porcelain").strip() == ""
