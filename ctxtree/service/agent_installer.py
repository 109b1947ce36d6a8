"""`ctx hooks install|uninstall|status --codex|--cursor`: Codex's and Cursor's project files.

Codex (formats checked against openai/codex's hooks engine and docs, December 2026):
- `.codex/hooks.json`, Claude Code's shape (`{"hooks": {EVENT: [{"hooks": [{"type":
  "command", "command": ..., "timeout": SECONDS}]}]}}`), one hook per CODEX_EVENTS event
  running `ctx hook --agent codex EVENT`. None is `async`: releases before async support skip
  such hooks entirely, and a lost capture is worse than a Stop that takes a moment.
- `.codex/config.toml`: `[mcp_servers.ctx]` and `[features] hooks = true` (codex_config).
  Codex reads a project's `.codex/` only once the project is trusted, and runs a new or changed
  hook only after the user reviews it in `/hooks`: install says so.
- `AGENTS.md`: the store's core knowledge between markers (`ctx export agents-file`).
Cursor: `.cursor/mcp.json` (`{"mcpServers": {"ctx": {"command", "args"}}}`, other servers
kept) and the rule `.cursor/rules/ctx.mdc` (export agents-file). Cursor's hooks are not wired:
its prompt hook (beforeSubmitPrompt) can only let a prompt through or stop it, not add context.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from ctxtree.errors import ConflictError, UsageError
from ctxtree.service import agents_file, codex_config
from ctxtree.service.installer import (
    Places,
    Report,
    claude_events,
    read_settings,
    with_hooks,
    without_claude_hooks,
    write_settings,
)
from ctxtree.service.session import Session

CODEX_EVENTS: dict[str, tuple[int, bool]] = {
    "SessionStart": (10, False),
    "UserPromptSubmit": (10, False),
    "PreCompact": (30, False),
    "Stop": (30, False),
}
AGENTS_FILE_BUDGET = 1500
CODEX_NOTE = (
    "Codex runs new hooks after you review them: start codex here, trust the project, "
    "then open /hooks and trust the ctx hooks"
)


def _project(where: Places, agent: str) -> Path:
    if where.project is None:
        raise UsageError(
            f"no project git repository here for {agent}'s files", "run it inside your project"
        )
    return where.project


def mcp_args(store: Path, author: str) -> list[str]:
    """How an agent starts `ctx mcp`: this interpreter's ctxtree (no `ctx` on PATH needed)."""
    return ["-m", "ctxtree", "mcp", "--tree", str(store.resolve()), "--author", author]


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".ctx-tmp")
    temp.write_text(text, encoding="utf-8", newline="")
    os.replace(temp, path)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text", "fix it, then run it again") from None


def _export(session: Session, path: Path, report: Report) -> None:
    result = agents_file.export(session, path, AGENTS_FILE_BUDGET)
    line = f"{path}: core knowledge between the ctx markers ({len(result.ids)} entries)"
    if result.status == "unchanged":
        report.unchanged.append(f"{path}: already up to date")
    else:
        report.changes.append(f"{line}, {result.status}")


def _unexport(path: Path, report: Report) -> None:
    status = agents_file.remove(path)
    if status == "none":
        report.unchanged.append(f"{path}: no ctx section")
    else:
        report.changes.append(
            f"{path}: ctx section removed"
            + (" (file was only ours)" if status == "deleted" else "")
        )


def _rewrite(path: Path, data: dict[str, Any], what: str, report: Report) -> None:
    """Write `data` back, or delete the file when nothing but ours was in it."""
    if data:
        write_settings(path, data)
    else:
        path.unlink()
    report.changes.append(f"{path}: {what}" + ("" if data else " (file was only ours)"))


# ---- Codex --------------------------------------------------------------------------------
def install_codex(where: Places, session: Session, report: Report) -> None:
    """Check both Codex files before writing either, so a refusal leaves both untouched."""
    project = _project(where, "Codex")
    hooks_path = project / ".codex" / "hooks.json"
    config_path = project / ".codex" / "config.toml"
    current = read_settings(hooks_path)
    hooks = with_hooks(current or {}, CODEX_EVENTS, where.store, project, "codex", str(hooks_path))
    text = _read_text(config_path)
    config = codex_config.with_ctx(
        text or "", str(config_path), sys.executable, mcp_args(where.store, "codex")
    )
    if hooks == current:
        report.unchanged.append(f"{hooks_path}: already installed")
    else:
        write_settings(hooks_path, hooks)
        report.changes.append(f"{hooks_path}: hooks for {', '.join(CODEX_EVENTS)}")
    if config == text:
        report.unchanged.append(f"{config_path}: already installed")
    else:
        _write_text(config_path, config)
        report.changes.append(f"{config_path}: [mcp_servers.ctx] and [features] hooks = true")
    _export(session, project / "AGENTS.md", report)
    if report.changes:
        report.changes.append(CODEX_NOTE)


def uninstall_codex(where: Places, report: Report) -> None:
    if where.project is None:
        report.unchanged.append(".codex/: no project git repository here")
        return
    hooks_path = where.project / ".codex" / "hooks.json"
    config_path = where.project / ".codex" / "config.toml"
    current = read_settings(hooks_path)
    if current is None or not claude_events(current):
        report.unchanged.append(f"{hooks_path}: no ctx hooks")
    else:
        _rewrite(hooks_path, without_claude_hooks(current), "ctx hooks removed", report)
    text = _read_text(config_path)
    if text is None:
        report.unchanged.append(f"{config_path}: none")
    else:
        codex_config.parse(text, str(config_path))
        restored = codex_config.without_ctx(text, str(config_path))
        if restored == text:
            report.unchanged.append(f"{config_path}: nothing of ctx")
        elif restored:
            _write_text(config_path, restored)
            report.changes.append(f"{config_path}: ctx's server and switch removed")
        else:
            config_path.unlink()
            report.changes.append(f"{config_path}: removed (file was only ours)")
    _unexport(where.project / "AGENTS.md", report)


def codex_status(where: Places) -> dict[str, object]:
    if where.project is None:
        return {"hooks": [], "mcp": False, "features": False, "agents_md": False}
    codex = where.project / ".codex"
    text = _read_text(codex / "config.toml")
    state = codex_config.state(text, str(codex / "config.toml")) if text is not None else None
    return {
        "hooks": claude_events(read_settings(codex / "hooks.json") or {}),
        "mcp": bool(state and state.mcp),
        "features": bool(state and state.features),
        "agents_md": _has_section(where.project / "AGENTS.md"),
    }


def _has_section(path: Path) -> bool:
    text = _read_text(path)
    return text is not None and agents_file.BEGIN.split(" (")[0] in text


# ---- Cursor -------------------------------------------------------------------------------
def _is_our_server(server: object) -> bool:
    if not isinstance(server, dict):
        return False
    args = [str(a) for a in server.get("args") or []]
    return "mcp" in args and ("ctxtree" in args or Path(str(server.get("command"))).name == "ctx")


def _cursor_servers(data: dict[str, Any], path: Path) -> dict[str, Any]:
    servers = data.get("mcpServers", {})
    if not isinstance(servers, dict):
        raise UsageError(f"'mcpServers' in {path} is not a mapping", "fix that file")
    return servers


def install_cursor(where: Places, session: Session, report: Report) -> None:
    project = _project(where, "Cursor")
    path = project / ".cursor" / "mcp.json"
    current = read_settings(path)
    data: dict[str, Any] = dict(current or {})
    servers = dict(_cursor_servers(data, path))
    if "ctx" in servers and not _is_our_server(servers["ctx"]):
        raise ConflictError(
            f"{path} already has an MCP server named ctx that `ctx hooks install` did not add",
            "remove or rename it, then install again",
        )
    servers["ctx"] = {"command": sys.executable, "args": mcp_args(where.store, "cursor")}
    data["mcpServers"] = servers
    if data == current:
        report.unchanged.append(f"{path}: already installed")
    else:
        write_settings(path, data)
        report.changes.append(f"{path}: MCP server ctx")
    _export(session, project / ".cursor" / "rules" / "ctx.mdc", report)


def uninstall_cursor(where: Places, report: Report) -> None:
    if where.project is None:
        report.unchanged.append(".cursor/: no project git repository here")
        return
    path = where.project / ".cursor" / "mcp.json"
    current = read_settings(path)
    servers = _cursor_servers(current, path) if current is not None else {}
    if current is None or not _is_our_server(servers.get("ctx")):
        report.unchanged.append(f"{path}: no ctx server")
    else:
        rest = {k: v for k, v in servers.items() if k != "ctx"}
        data = {k: v for k, v in current.items() if k != "mcpServers"}
        if rest:
            data = {**current, "mcpServers": rest}
        _rewrite(path, data, "ctx server removed", report)
    _unexport(where.project / ".cursor" / "rules" / "ctx.mdc", report)


def cursor_status(where: Places) -> dict[str, object]:
    if where.project is None:
        return {"mcp": False, "rule": False}
    data = read_settings(where.project / ".cursor" / "mcp.json") or {}
    servers = data.get("mcpServers")
    return {
        "mcp": isinstance(servers, dict) and _is_our_server(servers.get("ctx")),
        "rule": _has_section(where.project / ".cursor" / "rules" / "ctx.mdc"),
    }
