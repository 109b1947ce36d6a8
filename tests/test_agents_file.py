"""`ctx export agents-file`: core knowledge compiled between markers into CLAUDE.md / AGENTS.md /
Cursor rules; the user's text outside them is never touched, and a second run changes nothing."""

from __future__ import annotations

import json

import pytest
from conftest import Ctx, add

from ctxtree.service.agents_file import BEGIN, END
from ctxtree.tree import injections


@pytest.fixture
def kb(ctx: Ctx) -> Ctx:
    add(ctx, "auth/jwt/rotation", "Refresh tokens rotate on every use", "--summary",
        "Each refresh issues a new token and revokes the old one.")  # fmt: skip
    ctx.ok("edit", "auth/jwt/rotation", "--importance", "90")
    add(ctx, "ops/deploy/friday", "No deploys on Fridays", "--kind", "rule", "--summary",
        "Production deploys stop at Thursday 18:00 and resume on Monday.")  # fmt: skip
    return ctx


def test_creates_then_changes_nothing(kb: Ctx) -> None:
    target = kb.cwd / "CLAUDE.md"
    said = json.loads(kb.ok("export", "agents-file", str(target), "--json"))
    assert said["status"] == "created" and "auth/jwt/rotation" in said["ids"]
    text = target.read_text(encoding="utf-8")
    assert text.startswith(BEGIN + "\n## Project memory (ctxtree)\n") and text.endswith(END + "\n")
    assert "Refresh tokens rotate on every use" in text
    records = injections.read(kb.store)
    assert [(r.event, r.ids) for r in records] == [("export:agents-file", tuple(said["ids"]))]
    again = json.loads(kb.ok("export", "agents-file", str(target), "--json"))
    assert again["status"] == "unchanged" and target.read_text(encoding="utf-8") == text
    assert len(injections.read(kb.store)) == 1  # nothing handed over again


def test_text_outside_the_markers_is_kept_byte_for_byte(kb: Ctx) -> None:
    target = kb.cwd / "AGENTS.md"
    before = "# Our agent rules\n\nRun `make test` before committing.\n"
    target.write_text(before, encoding="utf-8")
    kb.ok("export", "agents-file", str(target))
    first = target.read_text(encoding="utf-8")
    assert first.startswith(before + "\n" + BEGIN)  # appended after a blank line
    after = "\n## Style\n\nTabs, never spaces.\n"
    target.write_text(first + after, encoding="utf-8")
    add(kb, "ops/deploy/canary", "Deploys go through a canary", "--summary",
        "Every release serves 5% of traffic for an hour before it goes wide.")  # fmt: skip
    kb.ok("edit", "ops/deploy/canary", "--importance", "95")
    assert kb.ok("export", "agents-file", str(target)).startswith(f"updated {target}: 3 entries")
    second = target.read_text(encoding="utf-8")
    assert second.startswith(before + "\n" + BEGIN) and second.endswith(END + "\n" + after)
    assert "Deploys go through a canary" in second


def test_crlf_files_stay_crlf(kb: Ctx) -> None:
    target = kb.cwd / "CLAUDE.md"
    target.write_bytes(b"# Rules\r\n\r\nBe brief.\r\n")
    kb.ok("export", "agents-file", str(target))
    data = target.read_bytes()
    assert data.startswith(b"# Rules\r\n\r\nBe brief.\r\n\r\n<!-- ctx:begin")
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_a_new_cursor_rule_always_applies(kb: Ctx) -> None:
    target = kb.cwd / ".cursor" / "rules" / "ctx.mdc"
    kb.ok("export", "agents-file", str(target))
    text = target.read_text(encoding="utf-8")
    assert text.startswith("---\ndescription: Project knowledge from the ctx store")
    assert "\nglobs:\nalwaysApply: true\n---\n" + BEGIN in text


@pytest.mark.parametrize(
    "damaged",
    [
        f"{BEGIN}\nhalf a section\n",
        f"intro\n{END}\n",
        f"{BEGIN}\na\n{END}\n{BEGIN}\nb\n{END}\n",
        f"{END}\n{BEGIN}\n",
    ],
)
def test_damaged_markers_are_refused_and_the_file_untouched(kb: Ctx, damaged: str) -> None:
    target = kb.cwd / "CLAUDE.md"
    target.write_text(damaged, encoding="utf-8")
    run = kb("export", "agents-file", str(target))
    assert run.code == 4 and "the ctx markers are damaged" in run.stderr
    assert target.read_text(encoding="utf-8") == damaged


def test_dry_run_shows_the_diff_and_writes_nothing(kb: Ctx) -> None:
    target = kb.cwd / "CLAUDE.md"
    target.write_text("# Rules\n", encoding="utf-8")
    run = kb("export", "agents-file", str(target), "--dry-run")
    assert run.code == 0 and run.stdout.startswith("--- a/CLAUDE.md\n+++ b/CLAUDE.md\n")
    assert "+" + BEGIN in run.stdout and "nothing changed" in run.stderr
    assert target.read_text(encoding="utf-8") == "# Rules\n"


def test_the_budget_holds(kb: Ctx) -> None:
    for n in range(12):
        add(kb, f"notes/misc/n{n}", f"Note number {n} about caching", "--body", "word " * 120)
    said = json.loads(kb.ok("export", "agents-file", str(kb.cwd / "A.md"), "-b", "300", "--json"))
    assert 0 < said["tokens"] <= 300


def test_bad_targets_are_clear_errors(kb: Ctx) -> None:
    run = kb("export", "agents-file", str(kb.cwd))
    assert run.code == 2 and "is a folder" in run.stderr
    binary = kb.cwd / "blob.md"
    binary.write_bytes(b"\xff\xfe\x00rules")
    run = kb("export", "agents-file", str(binary))
    assert run.code == 2 and "is not UTF-8 text" in run.stderr
    assert binary.read_bytes() == b"\xff\xfe\x00rules"


def test_episodes_are_not_core_knowledge(kb: Ctx) -> None:
    """A captured session or commit is raw material to curate: neither the agents file nor
    `ctx context --core` (what SessionStart injects) hands it over as knowledge."""
    add(kb, "episodes/commits/2026-12-01-abc", "Fix the flaky upload test", "--kind", "episode",
        "--summary", "Commit abc changed tests/test_upload.py.")  # fmt: skip
    kb.ok("edit", "episodes/commits/2026-12-01-abc", "--importance", "100")
    said = json.loads(kb.ok("export", "agents-file", str(kb.cwd / "CLAUDE.md"), "--json"))
    assert "episodes/commits/2026-12-01-abc" not in said["ids"] and said["ids"]
    core = json.loads(kb.ok("context", "--core", "--json"))
    assert "episodes/commits/2026-12-01-abc" not in core["ids"]
    found = json.loads(kb.ok("search", "flaky upload test", "--json"))  # still searchable
    assert found["hits"][0]["id"] == "episodes/commits/2026-12-01-abc"
