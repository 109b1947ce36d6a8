"""`ctx import agents-file` and the import use case it shares with every format: sections as
entries, idempotent re-import, updates with loss protection, --replace, dry runs, skips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import Ctx, fails

from ctxtree.curation.importers.agents_file import kind_of, topic_of, without_ctx_block

DATA = Path(__file__).parent / "data" / "import" / "agents"


def commits(ctx: Ctx) -> int:
    return int(ctx.git("rev-list", "--count", "HEAD"))


def copy(ctx: Ctx, name: str) -> str:
    target = ctx.cwd / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / name, target)
    return name


def ids(ctx: Ctx, prefix: str) -> list[str]:
    return [e["id"] for e in json.loads(ctx.ok("ls", prefix, "--json"))]


def test_claude_md_sections_become_entries(ctx: Ctx) -> None:
    out = ctx.ok("import", "agents-file", copy(ctx, "CLAUDE.md"))
    assert out.startswith("agents-file import of CLAUDE.md: 4 added (")
    assert ids(ctx, "instructions") == [
        "instructions/claude/architecture",
        "instructions/claude/code-style",
        "instructions/claude/common-commands",
        "instructions/claude/rules",
    ]
    rules = ctx.file("instructions/claude/rules").read_text(encoding="utf-8")
    assert "kind: rule\n" in rules
    assert "summary: Never commit `.env` files or Stripe keys\n" in rules
    assert "  - {type: agents-file, ref: CLAUDE.md}\n" in rules
    assert "trust: user\n" in rules
    assert rules.endswith(
        "---\n# Rules\n\n- Never commit `.env` files or Stripe keys\n"
        "- Always add a migration when a model changes\n"
        "- Do not call Stripe from request handlers; enqueue a Celery task instead\n"
    )
    style = ctx.file("instructions/claude/code-style").read_text(encoding="utf-8")
    assert "### Imports\n\nAbsolute imports only" in style  # deeper headings stay inside
    assert "kind: convention\n" in style
    assert "kind: procedure\n" in ctx.file("instructions/claude/common-commands").read_text()
    assert "kind: fact\n" in ctx.file("instructions/claude/architecture").read_text()
    overview = (ctx.store / "tree/instructions/claude/context.md").read_text(encoding="utf-8")
    assert overview.startswith("---\ntitle: Acme Billing\nsummary: Acme Billing is a Django")
    # The section ctx export agents-file wrote came from the store: never imported back.
    assert "Project memory" not in ctx.git("show", "HEAD")
    subject = ctx.git("log", "-1", "--format=%s%n%b")
    assert subject.startswith("import: agents-file import of CLAUDE.md: 4 added\n")
    assert "Ctx-Source: agents-file:CLAUDE.md" in ctx.git("log", "-1", "--format=%B")


def test_reimport_is_idempotent(ctx: Ctx) -> None:
    name = copy(ctx, "CLAUDE.md")
    ctx.ok("import", "agents-file", name)
    before = commits(ctx)
    out = ctx.ok("import", "agents-file", name)
    assert out == "agents-file import of CLAUDE.md: 4 unchanged; nothing written\n"
    assert commits(ctx) == before
    assert ctx.git("status", "--porcelain") == ""


def test_changed_section_is_updated_and_losses_need_replace(ctx: Ctx) -> None:
    name = copy(ctx, "CLAUDE.md")
    ctx.ok("import", "agents-file", name)
    path = ctx.cwd / name
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("## Rules\n", "## Rules\n\n- Never log card numbers\n"))
    out = ctx.ok("import", "agents-file", name)
    assert out.startswith("agents-file import of CLAUDE.md: 1 updated, 3 unchanged (")
    assert "- Never log card numbers\n" in ctx.file("instructions/claude/rules").read_text()
    # A re-import that drops a fact is refused like an UPDATE, unless --replace.
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "- Always add a migration when a model changes\n", ""
        )
    )
    before = commits(ctx)
    run = ctx("import", "agents-file", name)
    fails(
        run,
        4,
        "high impact: updating 'instructions/claude/rules' drops fact: - Always add a "
        "migration when a model changes",
    )
    assert commits(ctx) == before
    out = ctx.ok("import", "agents-file", name, "--replace")
    assert out.startswith("agents-file import of CLAUDE.md: 1 updated, 3 unchanged (")
    assert "migration" not in ctx.file("instructions/claude/rules").read_text()


def test_vanished_sections_are_kept_unless_replace(ctx: Ctx) -> None:
    name = copy(ctx, "CLAUDE.md")
    ctx.ok("import", "agents-file", name)
    path = ctx.cwd / name
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("## Architecture")])
    out = ctx.ok("import", "agents-file", name)
    assert out == "agents-file import of CLAUDE.md: 2 unchanged; nothing written\n"
    assert ctx.file("instructions/claude/rules").exists()
    out = ctx.ok("import", "agents-file", name, "--replace")
    assert out.startswith("agents-file import of CLAUDE.md: 2 unchanged, 2 removed (")
    assert "removed 2 entries the source no longer has" in out
    assert ids(ctx, "instructions") == [
        "instructions/claude/code-style",
        "instructions/claude/common-commands",
    ]


def test_cursor_rule_frontmatter_maps(ctx: Ctx) -> None:
    run = ctx("import", "agents-file", copy(ctx, ".cursor/rules/python.mdc"), "--json")
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    entry_id = "instructions/cursor-python/python-conventions-for-the-backend-services"
    assert report["added"] == [entry_id]
    assert report["dropped"] == {"alwaysApply": 1}
    shown = json.loads(ctx.ok("show", entry_id, "--json"))
    assert shown["anchors"] == ["backend/**/*.py", "scripts/*.py"]
    assert shown["summary"] == "Python conventions for the backend services"
    assert shown["sources"] == [{"type": "agents-file", "ref": ".cursor/rules/python.mdc"}]


def test_agents_md_empty_section_skipped_with_reason(ctx: Ctx) -> None:
    run = ctx("import", "agents-file", copy(ctx, "AGENTS.md"), "--trust", "external")
    assert run.code == 0, run.stderr
    assert "skipped AGENTS.md#Dev environment tips: empty section\n" in run.stderr
    assert ids(ctx, "instructions/agents") == [
        "instructions/agents/code-style",
        "instructions/agents/pr-instructions",
        "instructions/agents/setup-commands",
        "instructions/agents/testing-instructions",
    ]
    shown = json.loads(ctx.ok("show", "instructions/agents/setup-commands", "--json"))
    assert (shown["kind"], shown["trust"]) == ("procedure", "external")


def test_dry_run_writes_nothing(ctx: Ctx) -> None:
    before = commits(ctx)
    run = ctx("import", "agents-file", copy(ctx, "CLAUDE.md"), "--dry-run", "--json")
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["dry_run"] is True and report["commit"] is None
    assert len(report["added"]) == 4
    assert "+title: Rules\n" in report["diff"]
    assert commits(ctx) == before
    assert not (ctx.store / "tree/instructions").exists()


def test_id_held_by_another_entry_is_skipped(ctx: Ctx) -> None:
    ctx.ok("add", "instructions/claude/rules", "--title", "Our own rules", "--body", "Mine.")
    run = ctx("import", "agents-file", copy(ctx, "CLAUDE.md"))
    assert run.code == 0, run.stderr
    assert (
        "skipped CLAUDE.md: instructions/claude/rules exists and was not imported\n" in run.stderr
    )
    assert "Our own rules" in ctx.file("instructions/claude/rules").read_text()


def test_secret_refuses_the_whole_import(ctx: Ctx) -> None:
    (ctx.cwd / "CLAUDE.md").write_text(
        "## Deploy\n\nUse key AKIAIOSFODNN7EXAMPLE with the CLI.\n\n## Style\n\nTabs.\n"
    )
    before = commits(ctx)
    run = ctx("import", "agents-file", "CLAUDE.md")
    assert run.code == 5, run.stderr
    assert commits(ctx) == before


def test_missing_file_and_bad_trust(ctx: Ctx) -> None:
    fails(ctx("import", "agents-file", "NOPE.md"), 3, "no file NOPE.md")
    copy(ctx, "CLAUDE.md")
    run = ctx("import", "agents-file", "CLAUDE.md", "--trust", "nobody")
    fails(run, 2, "trust 'nobody' is not one of user, agent, external")


@pytest.mark.parametrize(
    ("path", "topic"),
    [
        ("CLAUDE.md", "claude"),
        ("AGENTS.md", "agents"),
        (".cursor/rules/python.mdc", "cursor-python"),
        ("docs/Team Rules.MDC", "cursor-team-rules"),
    ],
)
def test_topic_of(path: str, topic: str) -> None:
    assert topic_of(path) == topic


@pytest.mark.parametrize(
    ("title", "text", "kind"),
    [
        ("Build and test", "- make", "procedure"),
        ("Security", "- keep keys out", "rule"),
        ("Style", "- Never use print\n- Always type\n- prefer x", "rule"),
        ("Style", "- Never use print\n- prefer y\n- prefer x", "convention"),
        ("Architecture", "layers", "fact"),
        ("Naming", "snake_case", "convention"),
    ],
)
def test_kind_of(title: str, text: str, kind: str) -> None:
    assert kind_of(title, text) == kind


def test_without_ctx_block() -> None:
    text = "a\n<!-- ctx:begin (x) -->\nours\n<!-- ctx:end -->\nb\n"
    assert without_ctx_block(text) == ("a\nb\n", True)
    assert without_ctx_block("plain\n") == ("plain\n", False)
