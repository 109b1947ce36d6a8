"""Small stores through the CLI: a name in most entries still counts (idf floor), a broad
request answers with its folders' most important entries, and a title-only entry packs."""

from __future__ import annotations

import pytest
from conftest import Ctx, Templates, add
from test_retrieval_cli import search

FRANK = {"people/frank/role", "people/frank/pets", "people/frank/food", "people/frank/home"}


def build_people(ctx: Ctx) -> None:
    add(ctx, "people/frank/role", "Frank is an engineer",
        "--body", "Frank works as a backend engineer on the payments team.")  # fmt: skip
    add(ctx, "people/frank/pets", "Frank's dog", "--body", "Frank has a dog named Rex.")
    add(ctx, "people/frank/food", "Frank is vegetarian", "--body", "Frank does not eat meat.")
    add(ctx, "people/frank/home", "Frank lives in Lyon", "--body", "Frank moved to Lyon in 2023.")
    add(ctx, "people/alice/role", "Alice is a designer", "--body", "Alice designs the app.")
    add(ctx, "work/tools/editor", "Team editor", "--body", "The team uses VS Code.")
    add(ctx, "work/notes/standup", "Standup at nine thirty")


@pytest.fixture
def people(ctx: Ctx, templates: Templates) -> Ctx:
    return templates.copy(ctx, build_people)


def ids(data: dict[str, object]) -> list[str]:
    return [h["id"] for h in data["hits"]]  # type: ignore[union-attr,index]


@pytest.mark.parametrize(
    "query",
    ["everything about Frank the engineer", "Frank", "what does frank do as an engineer"],
)
def test_a_name_in_most_of_a_tiny_store_returns_all_its_entries(people: Ctx, query: str) -> None:
    # "frank" is in 4 of 7 entries: FTS5's idf is 0 there, and before the floor only the
    # entry that also says "engineer" was listed.
    _code, data = search(people, query)
    assert set(ids(data)) == FRANK
    assert data["broad"] is False


def test_the_rarer_word_still_leads(people: Ctx) -> None:
    _code, data = search(people, "what does frank eat")
    assert ids(data)[0] == "people/frank/food"
    assert set(ids(data)) == FRANK


def test_a_broad_request_answers_with_the_named_folder(people: Ctx) -> None:
    code, data = search(people, "tell me about people")
    assert code == 3  # not confident: these are not matches for the words
    assert data["broad"] is True and data["confident"] is False
    assert data["not_in_memory"] is False
    assert set(ids(data)) == FRANK | {"people/alice/role"}
    assert any("broad request" in line for line in data["explain"])  # type: ignore[union-attr]
    run = people("search", "tell me about people")
    assert "broad request: the words name folders" in run.stderr
    run = people("context", "tell me about people", "--budget", "1500")
    assert run.code == 0
    assert "id: people/alice/role" in run.stdout and "work/" not in run.stdout
    assert "broad request" in run.stderr


def test_a_broad_request_follows_a_folder_overview(people: Ctx) -> None:
    # No entry and no folder name says "colleagues"; the work/ folder's context.md does.
    (people.store / "tree" / "work" / "context.md").write_text(
        "---\ntitle: Work\nsummary: How we work with our colleagues.\n---\n# Work\n"
    )
    code, data = search(people, "colleagues")
    assert code == 3 and data["broad"] is True
    assert set(ids(data)) == {"work/tools/editor", "work/notes/standup"}


def test_a_word_in_entries_is_not_broad_and_a_word_nowhere_is_nothing(people: Ctx) -> None:
    _code, data = search(people, "frank")
    assert data["broad"] is False
    code, data = search(people, "tell me about spaceships")
    assert (code, ids(data), data["broad"], data["not_in_memory"]) == (3, [], False, True)


def test_a_broad_request_respects_the_scope(people: Ctx) -> None:
    _code, data = search(people, "people", "--scope", "people/alice")
    assert ids(data) == ["people/alice/role"]


def test_a_title_only_entry_packs_its_title(people: Ctx) -> None:
    run = people("context", "standup", "--budget", "1500")
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("### Standup at nine thirty\nid: work/notes/standup · note")
    assert "nothing packed" not in run.stderr
    # The message stays for a budget that truly fits nothing.
    run = people("context", "standup", "--budget", "3")
    assert run.code == 3 and run.stdout == ""
    assert "nothing packed: the budget is too small for any entry" in run.stderr
