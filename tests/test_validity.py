"""validity.check_validity: the one rule for validity windows, shared by lint and writes."""

from __future__ import annotations

import json

import pytest
from conftest import Ctx, add

from ctxtree.errors import InvalidEntryError
from ctxtree.tree.validity import check_validity

HINT = (
    "write dates as YYYY-MM-DD or times as ISO 8601 (2026-12-01T09:00:00Z), "
    "valid_from on or before valid_until"
)


@pytest.mark.parametrize(
    ("valid_from", "valid_until"),
    [
        (None, None),
        ("", ""),
        ("2026-12-01", None),
        (None, "2026-12-01"),
        ("2026-12-01", "2026-12-01"),  # one whole day
        ("2026-12-01", "2026-12-02"),
        ("2026-12-01T10:00:00Z", "2026-12-01"),  # the date runs to 23:59:59Z
        ("2026-12-01", "2026-12-01T00:00:00Z"),  # a zero-length window still holds an instant
        ("2026-12-01T10:00:00+02:00", "2026-12-01T08:00:00Z"),  # equal instants
        ("2026-12-01T10:00:00", "2026-12-01T10:00:00Z"),  # no offset: UTC
        (" 2026-12-01 ", None),
    ],
)
def test_good_windows(valid_from: str | None, valid_until: str | None) -> None:
    check_validity(valid_from, valid_until)


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "message"),
    [
        (None, "garbage", "valid_until 'garbage' is not a date or UTC timestamp"),
        ("someday", None, "valid_from 'someday' is not a date or UTC timestamp"),
        ("2026-02-30", None, "valid_from '2026-02-30' is not a date or UTC timestamp"),
        ("2026-13-01", None, "valid_from '2026-13-01' is not a date or UTC timestamp"),
        (None, "01/12/2026", "valid_until '01/12/2026' is not a date or UTC timestamp"),
        ("x", "y", "valid_from 'x' is not a date or UTC timestamp; "
                   "valid_until 'y' is not a date or UTC timestamp"),
        ("2026-12-02", "2026-12-01", "valid_until 2026-12-01 is before valid_from 2026-12-02: "
                                     "the entry would never be current"),
        ("2026-12-01T10:00:01Z", "2026-12-01T10:00:00Z",
         "valid_until 2026-12-01T10:00:00Z is before valid_from 2026-12-01T10:00:01Z: "
         "the entry would never be current"),
        ("2026-12-01T10:00:00Z", "2026-12-01T11:00:00+02:00",
         "valid_until 2026-12-01T11:00:00+02:00 is before valid_from 2026-12-01T10:00:00Z: "
         "the entry would never be current"),
    ],
)  # fmt: skip
def test_bad_windows(valid_from: str | None, valid_until: str | None, message: str) -> None:
    with pytest.raises(InvalidEntryError) as info:
        check_validity(valid_from, valid_until)
    assert (info.value.message, info.value.hint) == (message, HINT)
    assert info.value.exit_code == 5


def test_lint_reports_by_the_same_rule(ctx: Ctx) -> None:
    add(ctx, "a/b/c", "C")
    path = ctx.file("a/b/c")
    text = path.read_text().replace(
        "---\n#", "valid_from: 2026-12-02\nvalid_until: 2026-12-01\n---\n#"
    )
    path.write_text(text)
    found = [f for f in json.loads(ctx("lint", "--json").stdout) if f["code"] == "bad-validity"]
    assert [f["message"] for f in found] == [
        "valid_until 2026-12-01 is before valid_from 2026-12-02: the entry would never be current"
    ]


# Writes call the same check (service/workspace.py validates every entry written).
@pytest.mark.parametrize(
    "args",
    [["--valid-until", "garbage"], ["--valid-from", "2026-12-02", "--valid-until", "2026-12-01"]],
)
def test_edit_refuses_a_bad_window(ctx: Ctx, args: list[str]) -> None:
    add(ctx, "a/b/c", "C")
    before = ctx.file("a/b/c").read_text()
    run = ctx("edit", "a/b/c", *args)
    assert run.code == 5
    assert ctx.file("a/b/c").read_text() == before


def test_apply_refuses_a_bad_window(ctx: Ctx) -> None:
    plan = {"operations": [{"op": "ADD", "id": "a/b/c", "title": "C", "reason": "r",
                            "valid_until": "garbage"}]}  # fmt: skip
    run = ctx("apply", "-", input=json.dumps(plan))
    assert run.code == 5
    assert not ctx.file("a/b/c").exists()
