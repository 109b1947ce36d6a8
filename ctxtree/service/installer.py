"""`ctx hooks install|uninstall|status`: the git hooks of the user's project and of the store,
and Claude Code's hooks in the project's `.claude/settings.json`.

Install is idempotent and never overwrites: an existing git hook of the same name is kept as
`<name>.pre-ctx` and run first by ours (its exit status is kept); a settings file keeps every
other key and hook. What is ours is marked: a git hook script carries MARKER, a Claude Code
hook's command runs `ctxtree hook EVENT`. Uninstall removes exactly those, puts a chained
hook back, and deletes a settings file it leaves empty.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctxtree.errors import StoreError, UsageError

MARKER = "# ctxtree hook: added by `ctx hooks install`; `ctx hooks uninstall` removes it"
CHAINED = ".pre-ctx"
# Event -> (timeout in seconds, async). Stop and PreCompact capture the session and may take
# a moment; Claude Code's `async` runs them without holding the agent.
CLAUDE_EVENTS: dict[str, tuple[int, bool]] = {
    "SessionStart": (10, False),
    "UserPromptSubmit": (10, False),
    "PreCompact": (30, True),
    "Stop": (30, True),
}
_OURS = re.compile(r"(^|[\s/])(ctx|-m ctxtree) hook (--agent [a-z-]+ )?[A-Za-z-]+$")


@dataclass
class Report:
    """What an install or uninstall did, one line per change (`unchanged` lines too)."""

    changes: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"changed": self.changes, "unchanged": self.unchanged}


@dataclass(frozen=True)
class Places:
    project: Path | None  # the user's project repository (its top level), if any
    store: Path  # the store root (its own repository)

    @property
    def settings(self) -> Path | None:
        return self.project / ".claude" / "settings.json" if self.project else None


def places(store: Path, cwd: Path) -> Places:
    return Places(_toplevel(cwd if cwd != store else store.parent), store)


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _toplevel(cwd: Path) -> Path | None:
    top = _git(cwd, "rev-parse", "--show-toplevel")
    return Path(top) if top else None


def _hooks_dir(repo: Path) -> Path:
    found = _git(repo, "rev-parse", "--git-path", "hooks")
    if found is None:
        raise StoreError(f"{repo} is not a git repository", "run `git init` there first")
    return (repo / found).resolve()


def command(event: str, store: Path, project: Path | None, agent: str = "") -> str:
    """The shell command a hook runs: this interpreter's ctxtree (so it works without `ctx`
    on PATH), with CTX_TREE when the store is not the project's `.ctx/`; `agent` is passed
    on as `--agent` (Claude Code's hooks leave it out: the handlers' default)."""
    named = f"--agent {agent} " if agent else ""
    base = f"{shlex.quote(sys.executable)} -m ctxtree hook {named}{event}"
    if project is not None and store.resolve() == (project / ".ctx").resolve():
        return base
    return f"CTX_TREE={shlex.quote(str(store))} {base}"


def _script(body: str) -> str:
    return (
        f"#!/bin/sh\n{MARKER}\n"
        'chained="$0' + CHAINED + '"\nstatus=0\n'
        'if [ -x "$chained" ]; then "$chained" "$@"; status=$?; fi\n'
        f"{body}\n"
    )


def post_commit_script(store: Path, project: Path) -> str:
    """Records the commit in the background; never fails. The commit waits only for
    `git rev-parse` (the sha is passed on, so a quick next commit cannot be read instead),
    not for Python to start."""
    run = command("post-commit", store, project)
    return _script(
        'CTX_COMMIT=$(git rev-parse HEAD 2>/dev/null) || exit "$status"\nexport CTX_COMMIT\n'
        f'{run} </dev/null >/dev/null 2>&1 &\nexit "$status"'
    )


def pre_commit_script() -> str:
    """Refuses a hand-made commit of the store that holds a secret or an invalid entry."""
    # git runs the hook at the store's top level: `--tree .` survives moving or copying it.
    check = f"{shlex.quote(sys.executable)} -m ctxtree --tree . hooks check"
    return _script(f'[ "$status" -eq 0 ] || exit "$status"\nexec {check}')


def _install_script(path: Path, text: str, report: Report) -> None:
    current = path.read_text(encoding="utf-8", errors="replace") if path.exists() else None
    if current == text:
        report.unchanged.append(f"{path}: already installed")
        return
    if current is not None and MARKER not in current:
        os.replace(path, path.with_name(path.name + CHAINED))
        report.changes.append(f"{path}: existing hook kept as {path.name}{CHAINED}, run first")
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".ctx-tmp")
    temp.write_text(text, encoding="utf-8")
    temp.chmod(0o755)
    os.replace(temp, path)
    report.changes.append(f"{path}: {'updated' if current else 'installed'}")


def _uninstall_script(path: Path, report: Report) -> None:
    current = path.read_text(encoding="utf-8", errors="replace") if path.exists() else None
    if current is None or MARKER not in current:
        report.unchanged.append(f"{path}: not ours, left alone" if current else f"{path}: none")
        return
    chained = path.with_name(path.name + CHAINED)
    if chained.exists():
        os.replace(chained, path)
        report.changes.append(f"{path}: removed; the previous hook is back")
    else:
        path.unlink()
        report.changes.append(f"{path}: removed")


def _script_state(path: Path) -> str:
    if not path.exists():
        return "not installed"
    text = path.read_text(encoding="utf-8", errors="replace")
    if MARKER not in text:
        return "not installed (another hook is there)"
    chained = path.with_name(path.name + CHAINED).exists()
    return "installed" + (f" (runs {path.name}{CHAINED} first)" if chained else "")


# ---- git ----------------------------------------------------------------------------------
def install_git(where: Places, report: Report) -> None:
    """The store's pre-commit hook, and the project's post-commit hook when there is one."""
    install_store_hook(where.store, report)
    if where.project is None:
        report.unchanged.append("post-commit: no project git repository here, skipped")
        return
    path = _hooks_dir(where.project) / "post-commit"
    _install_script(path, post_commit_script(where.store, where.project), report)


def install_store_hook(store: Path, report: Report) -> None:
    """The store's own pre-commit (also installed by `ctx init` and `ctx doctor`)."""
    _install_script(_hooks_dir(store) / "pre-commit", pre_commit_script(), report)


def store_hook_installed(store: Path) -> bool:
    return _script_state(_hooks_dir(store) / "pre-commit").startswith("installed")


def merge_driver_command() -> str:
    """What git runs for a file marked `merge=ctx`: this interpreter's ctxtree, so it works
    without `ctx` on PATH (each machine's clone, init or doctor writes its own)."""
    return f"{shlex.quote(sys.executable)} -m ctxtree merge-driver %O %A %B %P"


def install_merge_driver(store: Path, report: Report) -> None:
    """`merge.ctx.driver` / `merge.ctx.name` in the store repository's own git config (git
    never shares config through a remote, so `ctx init`, `ctx clone` and `ctx doctor` set
    it on each machine; `.gitattributes`, committed, says which files use it)."""
    wanted = merge_driver_command()
    if _git(store, "config", "--get", "merge.ctx.driver") == wanted:
        report.unchanged.append("merge.ctx.driver: already set")
        return
    for key, value in (("merge.ctx.name", "ctxtree entry merge"), ("merge.ctx.driver", wanted)):
        if _git(store, "config", key, value) is None:
            raise StoreError(f"cannot set {key} in {store}/.git/config", "check its permissions")
    report.changes.append(f"merge.ctx.driver: set to {wanted}")


def merge_driver_installed(store: Path) -> bool:
    return _git(store, "config", "--get", "merge.ctx.driver") == merge_driver_command()


def uninstall_git(where: Places, report: Report) -> None:
    _uninstall_script(_hooks_dir(where.store) / "pre-commit", report)
    if where.project is not None:
        _uninstall_script(_hooks_dir(where.project) / "post-commit", report)


# ---- Claude Code --------------------------------------------------------------------------
def is_ours(hook: object) -> bool:
    return isinstance(hook, dict) and bool(_OURS.search(str(hook.get("command", ""))))


def with_claude_hooks(settings: dict[str, Any], store: Path, project: Path) -> dict[str, Any]:
    """`settings` with one ctx command hook per CLAUDE_EVENTS event (ours replaced, every
    other key, group and hook kept in place and order)."""
    return with_hooks(settings, CLAUDE_EVENTS, store, project, "", ".claude/settings.json")


def with_hooks(
    settings: dict[str, Any],
    events: dict[str, tuple[int, bool]],
    store: Path,
    project: Path,
    agent: str,
    name: str,
) -> dict[str, Any]:
    """`settings` (Claude Code's settings or Codex's hooks.json, one shape) with one ctx
    command hook per event, ours replaced, everything else kept in place and order."""
    out = without_claude_hooks(settings)
    hooks = out.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise UsageError(f"'hooks' in {name} is not a mapping", "fix that file")
    for event, (timeout, background) in events.items():
        hook: dict[str, Any] = {
            "type": "command",
            "command": command(event, store, project, agent),
            "timeout": timeout,
        }
        if background:
            hook["async"] = True
        groups = hooks.setdefault(event, [])
        groups.append({"hooks": [hook]})
    return out


def without_claude_hooks(settings: dict[str, Any]) -> dict[str, Any]:
    """`settings` without our hooks; a group, event or `hooks` key left empty by that goes."""
    out: dict[str, Any] = json.loads(json.dumps(settings))
    hooks = out.get("hooks")
    if not isinstance(hooks, dict):
        return out
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept = []
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                mine = [h for h in group["hooks"] if is_ours(h)]
                if mine:
                    rest = [h for h in group["hooks"] if not is_ours(h)]
                    if not rest:
                        continue
                    group = {**group, "hooks": rest}
            kept.append(group)
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]
    if not hooks:
        del out["hooks"]
    return out


def claude_events(settings: dict[str, Any]) -> list[str]:
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return []
    return sorted(
        event
        for event, groups in hooks.items()
        if isinstance(groups, list)
        and any(
            isinstance(g, dict) and any(is_ours(h) for h in g.get("hooks") or []) for g in groups
        )
    )


def read_settings(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data: object = json.loads(path.read_text(encoding="utf-8") or "{}")
    except ValueError as exc:
        raise UsageError(
            f"{path} is not valid JSON ({exc})", "fix it, then install again"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold a JSON object", "fix it, then install again")
    return data


def _indent(text: str) -> int | str:
    """The indent a JSON file uses (its first indented line's), 2 when it has none, so
    rewriting someone's file keeps its layout."""
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and stripped != line:
            lead = line[: len(line) - len(stripped)]
            return "\t" if lead.startswith("\t") else len(lead)
    return 2


def write_settings(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    indent = _indent(path.read_text(encoding="utf-8")) if path.exists() else 2
    temp = path.with_name(path.name + ".ctx-tmp")
    temp.write_text(json.dumps(data, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temp, path)


def install_claude(where: Places, report: Report) -> None:
    path = where.settings
    if path is None or where.project is None:
        raise UsageError(
            "no project git repository here for Claude Code's settings",
            "run it inside your project",
        )
    current = read_settings(path)
    new = with_claude_hooks(current or {}, where.store, where.project)
    if new == current:
        report.unchanged.append(f"{path}: already installed")
        return
    write_settings(path, new)
    report.changes.append(f"{path}: hooks for {', '.join(CLAUDE_EVENTS)}")


def uninstall_claude(where: Places, report: Report) -> None:
    path = where.settings
    current = read_settings(path) if path else None
    if path is None or current is None or not claude_events(current):
        report.unchanged.append(f"{path or '.claude/settings.json'}: no ctx hooks")
        return
    new = without_claude_hooks(current)
    if new:
        write_settings(path, new)
    else:
        path.unlink()
    report.changes.append(f"{path}: ctx hooks removed" + ("" if new else " (file was only ours)"))


# ---- status -------------------------------------------------------------------------------
def status(where: Places) -> dict[str, object]:
    from ctxtree.service import agent_installer
    from ctxtree.tree import injections

    git: dict[str, str] = {
        "pre-commit (store)": _script_state(_hooks_dir(where.store) / "pre-commit")
    }
    if where.project is not None:
        git["post-commit (project)"] = _script_state(_hooks_dir(where.project) / "post-commit")
    settings = where.settings
    data = read_settings(settings) if settings is not None else None
    return {
        "project": str(where.project) if where.project else None,
        "store": str(where.store),
        "git": git,
        "claude": claude_events(data or {}),
        "codex": agent_installer.codex_status(where),
        "cursor": agent_installer.cursor_status(where),
        "injections": injections.totals(injections.read(where.store)).to_json(),
    }
