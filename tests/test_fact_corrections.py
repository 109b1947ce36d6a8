"""Fact-level corrections through the CLI: one fact superseded, replaced, dropped, added,
forgotten or purged, the rest of the entry kept, on real stores."""

from __future__ import annotations

import json

import pytest
from conftest import Ctx, add, fails

ALICE = "people/alice/profile"


def body(ctx: Ctx, entry_id: str) -> str:
    return str(json.loads(ctx.ok("show", entry_id, "--json"))["body"])


def hits_saying(ctx: Ctx, query: str, words: str) -> list[str]:
    """Ids of `ctx search QUERY` hits whose snippet or file still says `words`."""
    run = ctx("search", query, "--json")
    found = json.loads(run.stdout)["hits"] if run.stdout else []
    return [h["id"] for h in found if words.lower() in ctx.file(h["id"]).read_text().lower()]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Works at Google; married to Jamie.", "Married to Jamie."),  # clauses of one line
        ("- works at Google\n- married to Jamie", "- married to Jamie"),  # list items
        (
            "Alice is an engineer.\n\n## Facts\n\n- works at Google\n- married to Jamie",
            "Alice is an engineer.\n\n## Facts\n\n- married to Jamie",
        ),
        (
            "Alice works at Google. She is married to Jamie.",  # sentences of a paragraph
            "She is married to Jamie.",
        ),
    ],
)
def test_superseding_one_fact_keeps_its_neighbours(ctx: Ctx, text: str, kept: str) -> None:
    add(ctx, ALICE, "Alice", "--body", text)
    add(ctx, "people/bob/profile", "Bob", "--body", "Bob rides a bike to work.")
    out = ctx.ok("edit", ALICE, "--supersede-fact", "no longer works at Google", "--reason", "left")
    assert out.startswith(f"supersede-fact {ALICE} (")
    assert body(ctx, ALICE) == f"# Alice\n\n{kept}\n"
    assert hits_saying(ctx, "works at Google", "Google") == []
    assert "Google" not in ctx("context", "Alice works at Google", "--budget", "500").stdout
    assert "married to jamie" in ctx("context", "Alice married", "--budget", "500").stdout.lower()
    message = ctx.git("log", "-1", "--format=%B")
    assert "Fact superseded: " in message and "orks at Google" in message
    assert "By: (nothing)\nReason: left" in message and "Ctx-Op: supersede-fact" in message
    assert f"supersede-fact: {ALICE}" in ctx.ok("log", ALICE)
    ctx.ok("undo")  # the history keeps the old fact: one undo brings it back
    assert "Google" in body(ctx, ALICE)


def test_supersede_with_a_replacement_changes_only_the_words_named(ctx: Ctx) -> None:
    add(ctx, ALICE, "Alice", "--body", "User works at Google; married to Jamie.",
        "--summary", "Works at Google; married to Jamie")  # fmt: skip
    ctx.ok("edit", ALICE, "--supersede-fact", "works at Google", "--with", "works at Stripe")
    shown = json.loads(ctx.ok("show", ALICE, "--json"))
    assert shown["body"] == "# Alice\n\nUser works at Stripe; married to Jamie.\n"
    assert shown["summary"] == "Works at Stripe; married to Jamie"  # the summary follows
    assert "Stripe" in ctx("context", "Alice works", "--budget", "500").stdout
    assert hits_saying(ctx, "works at Google", "Google") == []


def test_a_title_that_states_the_fact_says_its_replacement(ctx: Ctx) -> None:
    """Agents title an entry with its fact ("User lives in Lisbon"): a correction that left
    the title would still show the old fact first in search, show and context."""
    city = "user/home/city"
    add(ctx, city, "User lives in Lisbon", "--body", "The user lives in Lisbon, in Alfama.")
    add(ctx, ALICE, "Alice", "--body", "Alice works at Google; married to Jamie.")
    ctx.ok("edit", city, "--replace-fact", "lives in Lisbon", "lives in Porto")
    ctx.ok("edit", ALICE, "--supersede-fact", "works at Google", "--with", "works at Stripe")
    shown = json.loads(ctx.ok("show", city, "--json"))
    assert shown["title"] == "User lives in Porto"
    assert shown["body"] == "# User lives in Porto\n\nThe user lives in Porto, in Alfama.\n"
    assert json.loads(ctx.ok("show", ALICE, "--json"))["title"] == "Alice"  # not its fact
    assert hits_saying(ctx, "Lisbon", "Lisbon") == []
    assert "Lisbon" not in ctx("context", "where does the user live", "--budget", "500").stdout
    ctx.ok("edit", city, "--drop-fact", "lives in Porto")  # nothing replaces it: title stays
    assert json.loads(ctx.ok("show", city, "--json"))["title"] == "User lives in Porto"


def test_replace_drop_and_add_facts(ctx: Ctx) -> None:
    add(ctx, ALICE, "Alice", "--body", "- lives in Paris\n- likes jazz")
    ctx.ok("edit", ALICE, "--replace-fact", "lives in Paris", "lives in Rome")
    ctx.ok("edit", ALICE, "--add-fact", "has a dog")
    ctx.ok("edit", ALICE, "--drop-fact", "JAZZ")
    assert body(ctx, ALICE) == "# Alice\n\n- lives in Rome\n- has a dog\n"
    again = ctx("edit", ALICE, "--add-fact", "Has a dog.")
    assert again.code == 0 and "already says" in again.stdout + again.stderr


def test_naming_a_fact_ambiguously_or_not_at_all(ctx: Ctx) -> None:
    add(ctx, ALICE, "Alice", "--body", "- married to Jamie\n- married in Rome\n- likes jazz")
    fails(
        ctx("edit", ALICE, "--drop-fact", "married"),
        4,
        f"'married' matches 2 facts of '{ALICE}'",
    )
    run = ctx("edit", ALICE, "--drop-fact", "married", "--json")
    error = json.loads(run.stderr)["error"]
    assert "'married to Jamie'; 'married in Rome'" in error["hint"]
    fails(ctx("edit", ALICE, "--drop-fact", "zebra"), 3, f"no fact of '{ALICE}' matches 'zebra'")
    assert (
        "its facts: 'married to Jamie'; 'married in Rome'; 'likes jazz'"
        in ctx("edit", ALICE, "--drop-fact", "zebra").stderr
    )
    fails(ctx("edit", "people/x/nobody", "--drop-fact", "x"), 3, "no entry 'people/x/nobody'")
    fails(
        ctx("edit", ALICE, "--drop-fact", "jazz", "--add-fact", "x"),
        2,
        "one fact flag at a time",
    )
    fails(ctx("edit", ALICE, "--with", "x"), 2, "--with goes with --supersede-fact")
    assert body(ctx, ALICE).count("\n- ") == 3  # nothing changed


def test_plan_operations_name_a_fact(ctx: Ctx) -> None:
    add(ctx, ALICE, "Alice", "--body", "Works at Google; married to Jamie.")
    plan = {
        "reason": "Alice changed jobs",
        "operations": [
            {"op": "SUPERSEDE_FACT", "id": ALICE, "fact": "works at Google",
             "with": "works at Stripe", "reason": "she said so"},
            {"op": "ADD_FACT", "id": ALICE, "fact": "Has a dog", "reason": "mentioned"},
            {"op": "FORGET_FACT", "id": ALICE, "fact": "no such thing", "reason": "asked"},
        ],
    }  # fmt: skip
    run = ctx("apply", "-", "--json", input=json.dumps(plan))
    assert run.code == 3
    report = json.loads(run.stdout)["operations"]
    assert [r["status"] for r in report] == ["not_applied", "not_applied", "failed"]
    # each operation sees the store as the earlier ones leave it
    assert "its facts: 'Works at Stripe'; 'married to Jamie'; 'Has a dog'" in report[2]["message"]
    plan["operations"][2]["fact"] = "Jamie"  # type: ignore[index]
    report = json.loads(ctx.ok("apply", "-", "--json", input=json.dumps(plan)))["operations"]
    assert [r["status"] for r in report] == ["applied"] * 3
    assert report[2]["message"] == "fact forgotten"
    assert body(ctx, ALICE) == "# Alice\n\nWorks at Stripe.\n\nHas a dog\n"
    assert "Jamie" not in ctx.git("log", "-1", "--format=%B")  # a released fact is not repeated


def test_forget_one_fact_and_purge_it_from_history(ctx: Ctx) -> None:
    add(ctx, "people/bob/profile", "Bob", "--body", "- phone 555-0100\n- likes chess")
    ctx.ok("edit", "people/bob/profile", "--add-fact", "lives in Paris")
    add(ctx, "people/carol/profile", "Carol", "--body", "Carol plays chess with Bob.")
    ctx.ok("forget", "people/bob/profile", "--fact", "555-0100", "--purge", "--yes")
    assert body(ctx, "people/bob/profile") == "# Bob\n\n- likes chess\n- lives in Paris\n"
    everything = ctx.git("log", "--all", "-p", "--format=%B")
    assert "555-0100" not in everything
    assert "likes chess" in everything and "Carol plays chess" in everything
    assert ctx.git("status", "--porcelain") == ""
    assert int(ctx.git("rev-list", "--count", "--all")) == 5  # init, 3 writes, the forget
    assert ctx("search", "555-0100").code == 3


def test_purging_a_fact_takes_the_summary_that_said_it_in_other_words(ctx: Ctx) -> None:
    text = "Phone: +1 (415) 555-0100\nPrefers email."
    summary = "Bob's phone is 415-555-0100; prefers email."
    add(ctx, "people/bob/contact", "Bob contact", "--body", text, "--summary", summary)
    ctx.ok("forget", "people/bob/contact", "--fact", "Phone", "--purge", "--yes")
    shown = json.loads(ctx.ok("show", "people/bob/contact", "--json"))
    assert shown["summary"] == "Prefers email." and "555" not in shown["body"]
    history = ctx.git("log", "--all", "-p", "--format=%B")  # (blob shas are hex: no '-')
    assert "555-0100" not in history and "Prefers email" in history
    assert ctx.git("status", "--porcelain") == ""


def test_forget_a_fact_without_purge_keeps_history(ctx: Ctx) -> None:
    add(ctx, "people/bob/profile", "Bob", "--body", "- phone 555-0100\n- likes chess")
    out = ctx.ok("forget", "people/bob/profile", "--fact", "phone")
    assert out.startswith("forgot a fact of people/bob/profile (")
    assert "555-0100" not in ctx.git("log", "-1", "--format=%B")
    assert "555-0100" in ctx.git("log", "--all", "-p")
    fails(
        ctx("forget", "people/bob", "--recursive", "--fact", "x"),
        2,
        "--fact names one fact of one entry",
    )


def test_python_api_edits_and_forgets_one_fact(ctx: Ctx) -> None:
    from ctxtree import Memory
    from ctxtree.errors import NotFoundError

    add(ctx, ALICE, "Alice", "--body", "- works at Google\n- married to Jamie\n- likes jazz")
    memory = Memory(ctx.store)
    result = memory.edit_fact(ALICE, "works at Google", new="works at Stripe")
    assert result.commit
    assert "Fact superseded: works at Google\nBy: works at Stripe" in result.message
    memory.forget_fact(ALICE, "jazz")
    assert body(ctx, ALICE) == "# Alice\n\n- works at Stripe\n- married to Jamie\n"
    assert memory.edit_fact(ALICE, new="Works at Stripe.", action="add").commit is None
    with pytest.raises(NotFoundError):
        memory.edit_fact(ALICE, "zebra", action="drop")
