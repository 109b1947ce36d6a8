"""`ctx forget --matching` and `ctx supersede --matching`: forgetting and correcting by
description on a realistic store of personal facts."""

from __future__ import annotations

import json

import pytest
from conftest import Ctx, fails

from ctxtree.tree import identity

FACTS = {
    "user/work/employer": ("User works at Stripe", "The user is a backend engineer at Stripe."),
    "user/work/team": ("User's team ships payments APIs", "Team of six, based in Dublin."),
    "user/work/commute": ("User commutes by bike", "Rides to the office most days."),
    "user/family/spouse": ("User is married to Jamie", "They married in 2019."),
    "user/family/kids": ("User has two children", "A son and a daughter."),
    "user/family/mother": ("User's mother is a retired teacher", "She lives in Porto."),
    "user/home/city": ("User lives in Lisbon", "Moved there from Berlin."),
    "user/home/apartment": ("User rents an apartment", "Two bedrooms near the river."),
    "user/contact/email": ("User's email", "Work mail: ALICE@ACME.IO"),
    "user/contact/email-personal": ("User's personal email", "alice.smith@gmail.com"),
    "user/contact/phone": ("User's phone", "Mobile: +1 (555) 123-4567"),
    "user/contact/phone-office": ("Office phone", "Desk line 555 987 6543"),
    "user/ids/ssn": ("User's SSN", "SSN 123-45-6789 (for tax forms)."),
    "user/ids/passport": ("User's passport", "Passport number 987654321."),
    "user/ids/card": ("User's credit card", "Visa 4111 1111 1111 1111, expires 2028."),
    "user/ids/card-backup": ("Backup card", "Mastercard 5500-0000-0000-0004."),
    "user/tax/notes": ("Tax notes", "The accountant needs 123456789 on every form."),
    "user/tax/refund": ("Tax refund", "Refund of 1,200 expected in May."),
    "user/health/allergy": ("User is allergic to peanuts", "Carries an epipen."),
    "user/health/diet": ("User is vegetarian", "No meat since 2015."),
    "user/hobbies/climbing": ("User enjoys climbing", "Bouldering twice a week."),
    "user/hobbies/chess": ("User plays chess", "Rated 1800 online."),
    "user/pets/dog": ("User has a dog named Biscuit", "A beagle, four years old."),
    "user/education/degree": ("User studied physics", "MSc from TU Delft."),
    "user/personal/birthday": ("User's birthday", "Born on March 3rd."),
    "friends/frank/job": ("Frank is an engineer", "Frank builds bridges."),
    "friends/frank/hobby": ("Frank likes sailing", "He sails every summer."),
    "friends/frank/phone": ("Frank's phone", "Frank: 555-222-3333"),
    "friends/frank/city": ("Frank lives in Bergen", "Near the harbour."),
    "friends/frances/city": ("Frances lives in Oslo", "Frances moved in 2020."),
    "friends/wang/intro": ("Friend 王小明", "王小明 is a college friend of the user."),
    "friends/wang/trip": ("Trip with Xiaoming Wang", "Xiaoming Wang and the user hiked in Yunnan."),
    "friends/li/intro": ("Friend 李娜", "李娜 plays tennis with the user."),
    "friends/bob/handle": ("Bob's handle", "Bob is @bobby_t on the forum."),
    "friends/bob/email": ("Bob's email", "bob@example.org"),
    "projects/side/app": ("Side project", "A budgeting app in Rust."),
    "projects/side/domain": ("Side project domain", "budget.example.com, renews yearly."),
    "user/prefs/editor": ("User prefers Vim", "Uses Neovim with few plugins."),
    "user/prefs/coffee": ("User drinks black coffee", "Two cups before noon."),
    "user/prefs/music": ("User listens to jazz", "Mostly on vinyl."),
    "user/travel/japan": ("User visited Japan", "Tokyo and Kyoto in 2023."),
}


FRANK = ("job", "hobby", "phone", "city")


@pytest.fixture
def people(ctx: Ctx) -> Ctx:
    plan = {
        "reason": "personal facts",
        "operations": [
            {"op": "ADD", "id": i, "title": t, "body": b, "kind": "fact", "reason": "told"}
            for i, (t, b) in FACTS.items()
        ],
    }
    ctx.ok("apply", "-", input=json.dumps(plan))
    return ctx


def selection(ctx: Ctx, query: str) -> dict[str, list[str]]:
    """`ctx forget --matching QUERY --dry-run --json`: id -> reasons."""
    out = json.loads(ctx.ok("forget", "--matching", query, "--dry-run", "--json"))
    return {m["id"]: m["reasons"] for m in out["matches"]}


def present(ctx: Ctx) -> set[str]:
    return {i for i in FACTS if (ctx.store / "tree" / f"{i}.md").exists()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alice@acme.io", {"user/contact/email"}),
        ("ALICE@ACME.IO", {"user/contact/email"}),
        ("the user's SSN 123456789", {"user/ids/ssn", "user/tax/notes"}),
        ("123 45 6789", {"user/ids/ssn", "user/tax/notes"}),
        ("card 4111-1111-1111-1111", {"user/ids/card"}),
        ("5551234567", {"user/contact/phone"}),
        ("@BOBBY_T", {"friends/bob/handle"}),
        ("everything about Frank the engineer", {f"friends/frank/{e}" for e in FRANK}),
        ("Frank's phone number", {"friends/frank/phone"}),
    ],
)  # fmt: skip
def test_selection_takes_every_form_and_nothing_else(
    people: Ctx, query: str, expected: set[str]
) -> None:
    assert set(selection(people, query)) == expected


def test_every_selection_says_why(people: Ctx) -> None:
    out = json.loads(people.ok("forget", "-m", "123456789", "--dry-run", "--json"))
    assert out["evidence"] == "identity"
    by_id = {m["id"]: m for m in out["matches"]}
    assert by_id["user/ids/ssn"]["reasons"] == ["number 123456789 (written '123-45-6789')"]
    assert by_id["user/ids/ssn"]["lines"] == ["SSN 123-45-6789 (for tax forms)."]
    assert by_id["user/tax/notes"]["lines"] == ["The accountant needs 123456789 on every form."]
    text = people.ok("forget", "-m", "123456789", "--dry-run")
    assert (
        "user/ids/ssn  User's SSN\n    because: number 123456789 (written '123-45-6789')\n" in text
    )


def test_purge_by_description_removes_every_form_and_nothing_else(people: Ctx) -> None:
    people.ok("forget", "--matching", "SSN 123-45-6789", "--purge", "--yes")
    assert present(people) == set(FACTS) - {"user/ids/ssn", "user/tax/notes"}
    for query in ("123-45-6789", "123456789", "123 45 6789"):
        run = people("search", query, "--json")
        assert run.code == 3
        assert json.loads(run.stdout)["hits"] == []
    history = people.git("log", "--all", "-p")
    assert "6789" not in history
    # Other numbers stay.
    assert set(selection(people, "987654321")) == {"user/ids/passport"}
    assert set(selection(people, "4111111111111111")) == {"user/ids/card"}


def test_plain_forget_by_email_any_case(people: Ctx) -> None:
    people.ok("forget", "-m", "Alice@Acme.io")
    assert present(people) == set(FACTS) - {"user/contact/email"}
    assert "user/contact/email-personal" in present(people)


def test_a_forget_by_description_is_one_commit_that_undo_reverts(people: Ctx) -> None:
    """Four entries about Frank go in one commit (a crash leaves all or none; `ctx undo`
    brings back all four), whose message names the entries, not the request."""
    commits = people.git("rev-list", "--count", "HEAD").strip()
    out = people.ok("forget", "-m", "everything about Frank the engineer", "--yes")
    assert len(out.strip().splitlines()) == 4
    assert present(people) == set(FACTS) - {f"friends/frank/{e}" for e in FRANK}
    assert int(people.git("rev-list", "--count", "HEAD")) == int(commits) + 1
    message = people.git("log", "-1", "--format=%B")
    assert message.startswith("forget: 4 entries by description")
    assert "friends/frank/phone" in message and "engineer" not in message
    assert json.loads(people("search", "Frank sailing", "--json").stdout)["hits"] == []
    people.ok("undo")
    assert present(people) == set(FACTS)


def test_forget_refuses_wide_selections_without_yes(people: Ctx) -> None:
    run = people("forget", "-m", "Frank")
    fails(
        run, 2,
        "would forget 4 entries matching 'Frank'; stdin is not a terminal, so it cannot ask",
    )  # fmt: skip
    assert present(people) == set(FACTS)
    run = people("forget", "-m", "alice@acme.io", "--purge")
    assert run.code == 2 and present(people) == set(FACTS)


def test_nothing_matches_and_nothing_to_match(people: Ctx) -> None:
    fails(people("forget", "-m", "999-99-9999"), 3, "no entry matches '999-99-9999' (identity)")
    fails(
        people("forget", "-m", "forget everything"),
        2,
        "'forget everything' names nothing to match (only request words)",
    )
    fails(
        people("forget", "a/b/c", "-m", "x"),
        2,
        "give an entry ID or --matching QUERY (one of them)",
    )


@pytest.mark.parametrize(
    ("request_text", "old"),
    [
        ("update the user's employer", "user/work/employer"),
        ("the user changed jobs", "user/work/employer"),
        ("correct who the user is married to", "user/family/spouse"),
        ("the user's wife", "user/family/spouse"),
        ("where the user lives now", "user/home/city"),
        ("user's home city", "user/home/city"),
        ("user's mobile number", "user/contact/phone"),
        ("the dog's name", "user/pets/dog"),
        ("the user no longer eats vegetarian", "user/health/diet"),
        ("the user's allergies", "user/health/allergy"),
        ("the user's intolerances", "user/health/allergy"),
        ("the user sold the bicycle", "user/work/commute"),
    ],
)
def test_paraphrased_correction_supersedes_the_right_entry(
    people: Ctx, request_text: str, old: str
) -> None:
    people.ok("add", "user/new/fact", "--title", "A corrected fact")
    out = json.loads(
        people.ok("supersede", "--matching", request_text, "--with", "user/new/fact", "--json")
    )
    assert out["ids"] == [old, "user/new/fact"]


def test_supersede_by_description_says_in_json_what_it_picked_and_why(people: Ctx) -> None:
    people.ok("add", "user/new/fact", "--title", "User works at Figma")
    for extra in (["--dry-run"], []):
        args = ["-m", "the user's employer", "--with", "user/new/fact", "--json", *extra]
        out = json.loads(people.ok("supersede", *args))
        assert out["ids"] == ["user/work/employer", "user/new/fact"]
        assert out["matching"] == "the user's employer"
        assert out["match"]["id"] == "user/work/employer"
        assert out["match"]["reasons"] and out["match"]["lines"]


def test_ambiguous_correction_lists_candidates(people: Ctx) -> None:
    people.ok("add", "user/new/fact", "--title", "A corrected fact")
    run = people("supersede", "-m", "the user's email", "--with", "user/new/fact")
    assert run.code == 4
    assert "user/contact/email" in run.stderr and "user/contact/email-personal" in run.stderr
    run = people("supersede", "-m", "the user's favourite volcano", "--with", "user/new/fact")
    assert run.code == 3


needs_names = pytest.mark.skipif(
    not identity.transliteration_available(),
    reason="the ctxtree[names] extra (anyascii) is not installed",
)


@needs_names
@pytest.mark.parametrize("query", ["王小明", "Xiaoming Wang", "Wang Xiaoming"])
def test_a_chinese_name_and_its_pinyin_are_one_person(people: Ctx, query: str) -> None:
    assert set(selection(people, query)) == {"friends/wang/intro", "friends/wang/trip"}


@needs_names
def test_search_finds_a_chinese_name_by_pinyin_and_back(people: Ctx) -> None:
    ids = [h["id"] for h in json.loads(people.ok("search", "Xiaoming Wang", "--json"))["hits"]]
    assert set(ids[:2]) == {"friends/wang/intro", "friends/wang/trip"}
    ids = [h["id"] for h in json.loads(people.ok("search", "李娜", "--json"))["hits"]]
    assert ids[0] == "friends/li/intro"
    run = people("search", "王小明", "--json")
    ids = [h["id"] for h in json.loads(run.stdout)["hits"]]
    assert "friends/wang/trip" in ids


def test_plan_supersede_and_forget_by_description(people: Ctx) -> None:
    plan = {
        "reason": "user changed jobs; drop the old card",
        "operations": [
            {"op": "ADD", "id": "user/work/employer-2027", "title": "User works at Google",
             "reason": "told"},
            {"op": "SUPERSEDE", "matching": "the user's employer",
             "new": "user/work/employer-2027", "reason": "changed jobs"},
            {"op": "FORGET", "matching": "4111-1111-1111-1111", "reason": "card cancelled"},
        ],
    }  # fmt: skip
    out = json.loads(people.ok("apply", "-", "--json", input=json.dumps(plan)))
    messages = [op["message"] for op in out["operations"]]
    assert messages[1].startswith("superseded user/work/employer (")
    assert (
        messages[2]
        == "forgot user/ids/card (number 4111111111111111 (written '4111 1111 1111 1111'))"
    )
    assert present(people) == set(FACTS) - {"user/ids/card"}
    ids = [h["id"] for h in json.loads(people.ok("search", "employer", "--json"))["hits"]]
    assert "user/work/employer" not in ids


def test_plan_supersede_needs_old_or_matching(people: Ctx) -> None:
    plan = [{"op": "SUPERSEDE", "new": "user/work/team", "reason": "r"}]
    run = people("apply", "-", "--json", input=json.dumps(plan))
    assert run.code == 5
    assert "give one of old or matching" in run.stdout


@pytest.mark.parametrize("query", ["123-45-6789", "123456789", "123 45 6789"])
def test_search_finds_every_written_form_of_a_number(people: Ctx, query: str) -> None:
    ids = [h["id"] for h in json.loads(people.ok("search", query, "--json"))["hits"]]
    assert set(ids) == {"user/ids/ssn", "user/tax/notes"}


def test_a_tiny_store_still_tells_entries_apart(ctx: Ctx) -> None:
    for entry_id, title in [
        ("user/work/employer", "User works at Stripe"),
        ("user/work/commute", "User commutes by bike"),
        ("user/ids/ssn", "User's SSN"),
        ("user/work/google", "User works at Google"),
    ]:
        ctx.ok("add", entry_id, "--title", title)
    out = ctx.ok("supersede", "-m", "update the user's employer", "--with", "user/work/google",
                 "--json")  # fmt: skip
    assert json.loads(out)["ids"] == ["user/work/employer", "user/work/google"]


def test_a_tiny_store_all_about_one_person(ctx: Ctx) -> None:
    for entry_id, title in [
        ("friends/frank/job", "Frank is an engineer"),
        ("friends/frank/hobby", "Frank likes sailing"),
        ("friends/frank/city", "Frank lives in Bergen"),
    ]:
        ctx.ok("add", entry_id, "--title", title)
    assert set(selection(ctx, "everything about frank")) == {
        "friends/frank/job", "friends/frank/hobby", "friends/frank/city",
    }  # fmt: skip


def test_purging_an_identifier_keeps_the_other_facts_of_its_entries(ctx: Ctx) -> None:
    """'A purge by description removes every canonical form and nothing else': an entry
    that also says other things keeps them; one that says nothing else goes whole."""
    ids = "SSN 123-45-6789 for tax forms.\nCard 4111 1111 1111 1111 expires 2029."
    ctx.ok("add", "people/bob/ids", "--title", "Bob identifiers", "--body", ids)
    ctx.ok("add", "people/x/card", "--title", "Spare card", "--body", "Card 4111-1111-1111-1111.")
    ctx.ok("add", "people/y/card", "--title", "Card 4111111111111111", "--body", "Old; expired.")
    dry = json.loads(ctx.ok("forget", "-m", "4111111111111111", "--dry-run", "--json"))
    assert [(m["id"], m.get("facts")) for m in dry["matches"]] == [
        ("people/bob/ids", ["Card 4111 1111 1111 1111 expires 2029"]),
        ("people/x/card", None),
        ("people/y/card", None),  # its title holds it: the whole entry
    ]
    out = ctx.ok("forget", "-m", "4111111111111111", "--purge", "--yes")
    assert out.startswith("forgot a fact of people/bob/ids (")
    assert [e["id"] for e in json.loads(ctx.ok("ls", "--json"))] == ["people/bob/ids"]
    assert "SSN 123-45-6789 for tax forms." in ctx.ok("show", "people/bob/ids")
    history = ctx.git("log", "-p", "--all")
    assert "4111 1111" not in history and "4111-1111" not in history  # (shas are hex: no ' -')
    assert "123-45-6789" in history
    assert json.loads(ctx("search", "4111111111111111", "--json").stdout)["hits"] == []


def test_a_plan_forgets_only_the_facts_holding_an_identifier(ctx: Ctx) -> None:
    body = "Email: ALICE@ACME.IO\nPhone: +1 (415) 555-0100"
    ctx.ok("add", "people/alice/contact", "--title", "Alice contact details", "--body", body)
    plan = {"reason": "asked", "operations": [
        {"op": "FORGET", "matching": "alice@acme.io", "reason": "she asked"}]}  # fmt: skip
    out = json.loads(ctx.ok("apply", "-", "--json", input=json.dumps(plan)))
    assert out["operations"][0]["message"].startswith("forgot facts of people/alice/contact (")
    shown = ctx.ok("show", "people/alice/contact")
    assert "ACME" not in shown and "+1 (415) 555-0100" in shown
