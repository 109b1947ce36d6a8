"""The review inbox: writes of external content held until accepted (config review.external)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Ctx, add, fails

AWS = "AKIA" + "IOSFODNN7EXAMPLE"


@pytest.fixture
def inbox(ctx: Ctx) -> Ctx:
    ctx.ok("config", "set", "review.external", "inbox")
    return ctx


def ids(ctx: Ctx, query: str) -> list[str]:
    """Search hits (exit 3 with no hit is still a listing: [])."""
    run = ctx("search", query, "--json")
    assert run.code in (0, 3), run.stderr
    return [hit["id"] for hit in json.loads(run.stdout)["hits"]]


def items(ctx: Ctx) -> list[dict[str, Any]]:
    return list(json.loads(ctx.ok("review", "list", "--json")))


def external_tip(ctx: Ctx, *extra: str) -> str:
    return ctx.ok(
        "add", "notes/web/tip", "--title", "Pagination tip", "--body", "Use cursor pagination.",
        "--trust", "external", "--source", "url:https://example.com/tip", *extra,
    )  # fmt: skip


def test_routing_off_writes_external_to_the_tree(ctx: Ctx) -> None:
    external_tip(ctx)
    assert ids(ctx, "pagination") == ["notes/web/tip"]
    assert items(ctx) == []


def test_config_refuses_an_unknown_route(ctx: Ctx) -> None:
    fails(
        ctx("config", "set", "review.external", "maybe"),
        2,
        "config review.external is 'maybe', not one of tree, inbox",
    )


def test_external_add_is_held_then_accepted_with_its_provenance(inbox: Ctx) -> None:
    run = inbox("add", "notes/web/tip", "--title", "Pagination tip", "--body", "Use cursor "
                "pagination.", "--trust", "external", "--source", "url:https://example.com/tip",
                "--json", "--author", "agent-x")  # fmt: skip
    assert run.code == 0 and json.loads(run.stdout)["inbox"] == ["notes/web/tip"]
    assert not inbox.file("notes/web/tip").exists()
    assert ids(inbox, "pagination") == []
    assert inbox.ok("ls", "--json").strip() == "[]"
    (item,) = items(inbox)
    assert (item["id"], item["op"], item["proposed_by"], item["conflict"]) == (
        "notes/web/tip", "add", "agent-x", "",
    )  # fmt: skip
    assert json.loads(inbox.ok("status", "--json"))["inbox"] == 1
    assert "+Use cursor pagination." in inbox.ok("review", "show", "notes/web/tip")

    dry = json.loads(inbox.ok("review", "accept", "notes/web/tip", "--dry-run", "--json"))
    assert dry["dry_run"] and items(inbox) != []

    inbox.ok("review", "accept", "notes/web/tip", "--author", "human:lead")
    assert ids(inbox, "pagination") == ["notes/web/tip"]
    entry = json.loads(inbox.ok("show", "notes/web/tip", "--json"))
    assert (entry["author"], entry["trust"], entry["sources"]) == (
        "agent-x", "external", [{"type": "url", "ref": "https://example.com/tip"}],
    )  # fmt: skip
    message = inbox.git("log", "-1", "--format=%B")
    assert "Ctx-Op: accept" in message and "Ctx-Actor: human:lead" in message
    assert "ADD notes/web/tip: proposed by agent-x" in message
    assert items(inbox) == [] and json.loads(inbox.ok("status", "--json"))["inbox"] == 0


def test_user_writes_are_not_held(inbox: Ctx) -> None:
    add(inbox, "notes/web/mine", "My own note")
    assert ids(inbox, "own") == ["notes/web/mine"] and items(inbox) == []


def test_the_same_proposal_twice_is_unchanged(inbox: Ctx) -> None:
    external_tip(inbox)
    run = inbox("add", "notes/web/tip", "--title", "Pagination tip", "--body",
                "Use cursor pagination.", "--trust", "external", "--source",
                "url:https://example.com/tip")  # fmt: skip
    assert run.code == 0 and "already waiting in the review inbox" in run.stderr
    assert len(items(inbox)) == 1


def test_reject_removes_the_item_and_history_keeps_it(inbox: Ctx) -> None:
    external_tip(inbox)
    inbox.ok("review", "reject", "--all", "--reason", "not our stack")
    assert items(inbox) == [] and ids(inbox, "pagination") == []
    message = inbox.git("log", "-1", "--format=%B")
    assert "Ctx-Op: reject" in message and "Reason: not our stack" in message
    assert "Use cursor pagination." in inbox.git("show", "HEAD~1:inbox/notes/web/tip.md")


def test_external_update_conflicts_when_the_entry_changed_since(inbox: Ctx) -> None:
    add(inbox, "api/http/paging", "Paging", "--body", "Offsets.")
    inbox.ok("edit", "api/http/paging", "--append-body", "Cursor from a blog.", "--trust",
             "external")  # fmt: skip
    assert "Cursor from a blog." not in inbox.file("api/http/paging").read_text()
    assert [i["op"] for i in items(inbox)] == ["update"]
    inbox.ok("edit", "api/http/paging", "--title", "Paging rules")
    assert items(inbox)[0]["conflict"] == "'api/http/paging' changed since this update was proposed"
    fails(
        inbox("review", "accept", "api/http/paging"),
        4,
        "cannot accept 'api/http/paging': 'api/http/paging' changed since this update was proposed",
    )
    assert inbox.file("api/http/paging").read_text().count("Paging rules") == 2


def test_external_update_accepted_when_unchanged(inbox: Ctx) -> None:
    add(inbox, "api/http/paging", "Paging", "--body", "Offsets.")
    inbox.ok("edit", "api/http/paging", "--append-body", "Cursor from a blog.", "--trust",
             "external")  # fmt: skip
    inbox.ok("review", "accept", "api/http/paging")
    text = inbox.file("api/http/paging").read_text()
    assert "Cursor from a blog." in text and "trust: external" in text


def test_plan_routes_only_its_external_operations(inbox: Ctx) -> None:
    plan = {
        "reason": "mixed input",
        "operations": [
            {"op": "ADD", "id": "a/b/user-fact", "title": "User fact", "reason": "told"},
            {"op": "ADD", "id": "a/b/web-fact", "title": "Web fact", "trust": "external",
             "relations": [{"type": "related", "target": "a/b/user-fact"}], "reason": "web"},
            {"op": "ADD", "id": "a/b/web-more", "title": "More web", "trust": "external",
             "relations": [{"type": "depends_on", "target": "a/b/web-fact"}], "reason": "web"},
        ],
    }  # fmt: skip
    report = json.loads(inbox.ok("apply", "-", "--json", input=json.dumps(plan)))
    assert [(o["status"], o["inbox"]) for o in report["operations"]] == [
        ("applied", False), ("applied", True), ("applied", True),
    ]  # fmt: skip
    assert inbox.file("a/b/user-fact").exists() and not inbox.file("a/b/web-fact").exists()
    assert [i["id"] for i in items(inbox)] == ["a/b/web-fact", "a/b/web-more"]
    fails(
        inbox("review", "accept", "a/b/web-more"),
        3,
        "'a/b/web-more' relates to 'a/b/web-fact', which waits in the review inbox",
    )
    inbox.ok("review", "accept", "a/b/web-more", "a/b/web-fact")
    assert inbox.file("a/b/web-more").exists() and items(inbox) == []


def test_secrets_are_refused_before_the_inbox(inbox: Ctx) -> None:
    run = inbox("add", "notes/web/key", "--title", "Key", "--body", f"key {AWS}", "--trust",
                "external")  # fmt: skip
    assert run.code == 5 and items(inbox) == []


def test_unknown_item_and_bad_arguments(inbox: Ctx) -> None:
    external_tip(inbox)
    run = inbox("review", "show", "notes/web/tp")
    assert run.code == 3 and "did you mean notes/web/tip" in run.stderr
    assert inbox("review", "accept").code == 2
    assert inbox("review", "accept", "notes/web/tip", "--all").code == 2


def test_python_api_routes_and_reviews_the_same_way(
    inbox: Ctx, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ctxtree import Memory
    from ctxtree.errors import ConflictError

    for key, value in inbox.env.items():
        monkeypatch.setenv(key, value)
    memory = Memory.open(inbox.store)
    held = memory.add("notes/web/py", title="From a page", trust="external")
    assert held.inbox == ("notes/web/py",) and not inbox.file("notes/web/py").exists()
    assert [i.proposal.id for i in memory.review_list()] == ["notes/web/py"]
    memory.review_accept("notes/web/py")
    assert memory.get("notes/web/py").entry.trust == "external"
    memory.add("api/http/limits", title="Limits", body="100 per minute.")
    memory.edit("api/http/limits", body="1000 per minute.", trust="external", allow_loss=True)
    memory.edit("api/http/limits", title="Rate limits")
    with pytest.raises(ConflictError):
        memory.review_accept(all=True)
    memory.review_reject(all=True, reason="outdated")
    assert memory.review_list() == []


def test_an_external_import_is_held_for_review_and_lands_when_accepted(inbox: Ctx) -> None:
    """Imports write through the same routing: third-party notes imported as external wait in
    the inbox (searchable only once accepted); importing them again adds nothing."""
    notes = inbox.cwd / "vendor-docs" / "payments"
    notes.mkdir(parents=True)
    (notes / "retries.md").write_text(
        "# Webhook retries\n\nStripe retries failed webhooks for three days.\n", encoding="utf-8"
    )
    (notes / "signatures.md").write_text(
        "# Webhook signatures\n\nEvery webhook is signed; see [[retries]].\n", encoding="utf-8"
    )
    report = json.loads(
        inbox.ok("import", "markdown", "vendor-docs", "--trust", "external", "--json")
    )
    held = sorted(report["held"])
    assert len(held) == 2 and report["added"] == []
    assert sorted(item["id"] for item in items(inbox)) == held
    assert not set(ids(inbox, "webhook retries")) & set(held)
    again = json.loads(
        inbox.ok("import", "markdown", "vendor-docs", "--trust", "external", "--json")
    )
    assert (again["held"], sorted(again["waiting"]), again["commit"]) == ([], held, None)
    inbox.ok("review", "accept", "--all")
    assert ids(inbox, "webhook retries")[0] in held
    shown = json.loads(inbox.ok("show", held[1], "--json"))
    assert shown["trust"] == "external"
