"""Codex and Cursor: `ctx hooks install|uninstall|status --codex|--cursor` round trips on real
git projects whose config files hold the user's own content, and Codex's hook payloads fed to
`ctx hook --agent codex` (shapes from openai/codex's hook schemas)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Ctx, fails

from ctxtree.curation.conversation import parse_transcript
from ctxtree.tree import injections

CONFIG = (
    '# my codex settings\nmodel = "o3"\n\n[features]\nweb_search_request = true\n\n'
    '[mcp_servers.github]\ncommand = "gh-mcp"\nargs = ["--stdio"]\n'
)
HOOKS = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}}
CURSOR = {"mcpServers": {"github": {"command": "gh-mcp", "args": ["--stdio"]}}}
AGENTS = "# Agents\n\nRun `make test` before you push.\n"


def project(ctx: Ctx) -> Path:
    root = ctx.cwd
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".codex").mkdir()
    (root / ".codex" / "config.toml").write_text(CONFIG)
    (root / ".codex" / "hooks.json").write_text(json.dumps(HOOKS, indent=4) + "\n")
    (root / ".cursor").mkdir()
    (root / ".cursor" / "mcp.json").write_text(json.dumps(CURSOR, indent=2) + "\n")
    (root / "AGENTS.md").write_text(AGENTS)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts and ".ctx" not in p.parts
    }


def test_install_twice_then_uninstall_restores_every_byte(ctx: Ctx) -> None:
    ctx.ok("add", "build/ci/wheels", "--title", "CI caches wheels", "--summary",
           "The CI pipeline caches the wheel directory between runs.")  # fmt: skip
    ctx.ok("edit", "build/ci/wheels", "--importance", "90")
    root = project(ctx)
    before = snapshot(root)
    first = ctx("hooks", "install", "--codex", "--cursor", "--json")
    assert first.code == 0, first.stderr
    changed = json.loads(first.stdout)["changed"]
    assert [line.split(":")[0] for line in changed[:3]] == [
        str(root / ".codex" / "hooks.json"), str(root / ".codex" / "config.toml"),
        str(root / "AGENTS.md"),
    ]  # fmt: skip
    assert any("/hooks" in line for line in changed)  # says how to trust the hooks

    hooks = json.loads((root / ".codex" / "hooks.json").read_text())
    assert hooks["hooks"]["Stop"][0] == HOOKS["hooks"]["Stop"][0]
    (stop,) = hooks["hooks"]["Stop"][1]["hooks"]
    assert stop["command"].endswith("-m ctxtree hook --agent codex Stop")
    assert stop["timeout"] == 30 and "async" not in stop  # older Codex skips async hooks
    assert set(hooks["hooks"]) == {"Stop", "SessionStart", "UserPromptSubmit", "PreCompact"}

    import tomllib

    config = (root / ".codex" / "config.toml").read_text()
    assert config.startswith('# my codex settings\nmodel = "o3"\n\n[features]\n# ctx:added')
    data = tomllib.loads(config)
    assert data["mcp_servers"]["github"] == {"command": "gh-mcp", "args": ["--stdio"]}
    assert data["mcp_servers"]["ctx"]["command"] == sys.executable
    assert data["mcp_servers"]["ctx"]["args"] == [
        "-m", "ctxtree", "mcp", "--tree", str(ctx.store.resolve()), "--author", "codex",
    ]  # fmt: skip
    assert data["features"] == {"web_search_request": True, "hooks": True}

    cursor = json.loads((root / ".cursor" / "mcp.json").read_text())
    assert cursor["mcpServers"]["github"] == CURSOR["mcpServers"]["github"]
    assert cursor["mcpServers"]["ctx"]["args"][-1] == "cursor"
    rule = (root / ".cursor" / "rules" / "ctx.mdc").read_text()
    assert rule.startswith("---\ndescription:") and "CI caches wheels" in rule
    assert (root / "AGENTS.md").read_text().startswith(AGENTS)
    assert "CI caches wheels" in (root / "AGENTS.md").read_text()

    installed = snapshot(root)
    again = json.loads(ctx.ok("hooks", "install", "--codex", "--cursor", "--json"))
    assert again["changed"] == [] and snapshot(root) == installed

    status = json.loads(ctx.ok("hooks", "status", "--json"))
    assert status["codex"] == {
        "hooks": ["PreCompact", "SessionStart", "Stop", "UserPromptSubmit"],
        "mcp": True, "features": True, "agents_md": True,
    }  # fmt: skip
    assert status["cursor"] == {"mcp": True, "rule": True}
    shown = ctx.ok("hooks", "status")
    assert "codex                      mcp server, hooks on, AGENTS.md" in shown

    assert ctx("hooks", "uninstall", "--codex", "--cursor").code == 0
    assert snapshot(root) == before
    assert (
        json.loads(ctx.ok("hooks", "uninstall", "--codex", "--cursor", "--json"))["changed"] == []
    )
    assert json.loads(ctx.ok("hooks", "status", "--json"))["cursor"] == {
        "mcp": False, "rule": False,
    }  # fmt: skip


def test_a_features_switch_turned_off_is_turned_on_and_put_back(ctx: Ctx) -> None:
    root = project(ctx)
    config = root / ".codex" / "config.toml"
    text = "[features]\nhooks = false  # not yet\n\n[tui]\nnotifications = true\n"
    config.write_text(text)
    ctx.ok("hooks", "install", "--codex")
    import tomllib

    data = tomllib.loads(config.read_text())
    assert data["features"] == {"hooks": True} and data["tui"] == {"notifications": True}
    ctx.ok("hooks", "uninstall", "--codex")
    assert config.read_text() == text


def test_files_that_held_only_ctx_are_deleted(ctx: Ctx) -> None:
    root = ctx.cwd
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    ctx.ok("hooks", "install", "--codex", "--cursor")
    made = ["AGENTS.md", ".codex/config.toml", ".codex/hooks.json", ".cursor/mcp.json",
            ".cursor/rules/ctx.mdc"]  # fmt: skip
    assert all((root / name).exists() for name in made)
    ctx.ok("hooks", "uninstall", "--codex", "--cursor")
    assert [name for name in made if (root / name).exists()] == []


@pytest.mark.parametrize(
    ("name", "text", "code", "message"),
    [
        (".codex/config.toml", "[features\nhooks = true\n", 2, "is not valid TOML"),
        (".codex/config.toml", '[mcp_servers.ctx]\ncommand = "other"\n', 4,
         "already has an MCP server named ctx that `ctx hooks install` did not add"),
        (".codex/config.toml", "features = { web = true }\n", 2,
         "sets [features] in a form ctx does not edit (an inline or dotted table)"),
        (".codex/hooks.json", "{not json", 2, "is not valid JSON"),
        (".cursor/mcp.json", '{"mcpServers": {"ctx": {"command": "other"}}}', 4,
         "already has an MCP server named ctx that `ctx hooks install` did not add"),
    ],
)  # fmt: skip
def test_a_file_ctx_cannot_edit_safely_is_refused_untouched(
    ctx: Ctx, name: str, text: str, code: int, message: str
) -> None:
    root = project(ctx)
    (root / name).write_text(text)
    before = snapshot(root)
    run = ctx("hooks", "install", "--codex" if "codex" in name else "--cursor")
    assert run.code == code and message in run.stderr, run.stderr
    fails(run, code, run.stderr.splitlines()[0].removeprefix("ctx: error: "))
    assert snapshot(root) == before


def codex_hook(ctx: Ctx, event: str, **payload: Any) -> subprocess.CompletedProcess[str]:
    """`ctx hook --agent codex EVENT` fed Codex's payload (the fields its schemas require)."""
    data = {"session_id": "019a2d7a-41c4-78b1-b7cc-a45d62a89cd5", "turn_id": "t1",
            "transcript_path": None, "cwd": str(ctx.cwd), "hook_event_name": event,
            "model": "gpt-5-codex", "permission_mode": "default", **payload}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "ctxtree", "hook", "--agent", "codex", event],
        cwd=ctx.cwd, env={**os.environ, **ctx.env}, input=json.dumps(data),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done
    assert not (ctx.store / "cache" / "hooks.log").exists()
    return done


def test_codex_prompt_and_session_start_get_additional_context(ctx: Ctx) -> None:
    from test_claude_hooks import ENTRIES

    for eid, title, summary, body in ENTRIES:
        ctx.ok("add", eid, "--title", title, "--summary", summary, "--body", body)
    ctx.ok("edit", "auth/jwt/refresh-rotation", "--importance", "90")
    start = codex_hook(ctx, "SessionStart", source="startup")
    shaped = json.loads(start.stdout)["hookSpecificOutput"]
    assert shaped["hookEventName"] == "SessionStart"
    assert "Refresh tokens rotate" in shaped["additionalContext"]
    question = "how do refresh tokens rotate and what happens on reuse?"
    prompt = codex_hook(ctx, "UserPromptSubmit", prompt=question, session_id="s2")
    assert json.loads(prompt.stdout)["hookSpecificOutput"]["hookEventName"] == "UserPromptSubmit"
    logged = injections.read(ctx.store)
    assert [(i.event, i.agent, i.silent) for i in logged] == [
        ("SessionStart", "codex", False), ("UserPromptSubmit", "codex", False),
    ]  # fmt: skip


ROLLOUT = [
    {"type": "session_meta", "payload": {"id": "x", "cwd": "/p"}},
    {"type": "response_item", "payload": {"type": "message", "role": "user",
     "content": [{"type": "input_text", "text": "<environment_context/>"}]}},
    {"type": "event_msg", "payload": {"type": "user_message", "message": "Rename the CI job"}},
    {"type": "response_item", "payload": {"type": "custom_tool_call", "name": "apply_patch",
     "input": "*** Begin Patch\n*** Update File: /p/.ci/run\n@@\n-a\n+b\n*** End Patch"}},
    {"type": "response_item", "payload": {"type": "function_call", "name": "apply_patch",
     "arguments": json.dumps({"input": "*** Begin Patch\n*** Add File: docs/ci.md\n+x\n"
                                       "*** End Patch"})}},
    {"type": "event_msg", "payload": {"type": "agent_message", "message": "Renamed it."}},
]  # fmt: skip


def test_codex_rollout_gives_prompts_reply_and_files() -> None:
    lines = [json.dumps(line) for line in ROLLOUT] + ["not json"]
    found = parse_transcript(lines, "/p")
    assert found.prompts == ("Rename the CI job",)
    assert found.last_reply == "Renamed it."
    assert found.files == (".ci/run", "docs/ci.md")


def test_codex_stop_captures_the_session_under_sessions_codex(ctx: Ctx, tmp_path: Path) -> None:
    # Without a transcript (Codex may send null), the episode holds the last message.
    done = codex_hook(ctx, "Stop", stop_hook_active=False, last_assistant_message="All green.")
    assert done.stdout == ""  # Codex reads Stop's stdout as JSON: nothing is the safe answer
    entry = ctx.store / "tree" / "sessions" / "codex" / "019a2d7a-41c4-78b1-b7cc-a45d62a89cd5.md"
    text = entry.read_text()
    assert "Codex session `019a2d7a" in text and "All green." in text
    assert "author: codex" in text and "tags: [session, codex]" in text
    rollout = tmp_path / "rollout.jsonl"
    rollout.write_text("\n".join(json.dumps(line) for line in ROLLOUT) + "\n")
    codex_hook(ctx, "Stop", stop_hook_active=False, last_assistant_message=None,
               transcript_path=str(rollout))  # fmt: skip
    text = entry.read_text()
    assert "1. Rename the CI job" in text and "Renamed it." in text
    assert not (ctx.store / "tree" / "sessions" / "claude-code").exists()


def test_an_unknown_agent_fails_open_with_a_log_line(ctx: Ctx) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ctxtree", "hook", "--agent", "../x", "SessionStart"],
        cwd=ctx.cwd, env={**os.environ, **ctx.env}, input="{}", capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert "unknown agent '../x'" in (ctx.store / "cache" / "hooks.log").read_text()
