"""`ctx hook [--agent NAME] EVENT`: the one command every hook calls (git, Claude Code, Codex).

It reads the event's JSON on stdin, finds the store the way every command does (CTX_TREE, then
the nearest `.ctx/` above the payload's `cwd` or the current directory, then the global store),
runs the handler registered for EVENT and prints what it returns. It fails open: any error (no
store, a bad payload, a bug) exits 0 with no output and one line in the store's
`cache/hooks.log` (or nowhere, without a store), because a hook must never block the agent or
the commit that called it. `--agent codex` names the agent whose hook calls (Codex sends Claude
Code's events and accepts the same output, so one handler serves both; the agent decides where
a session is captured and how the injection log names it). It never imports the CLI framework:
`cli/app.main` hands `hook` to `run` before typer loads, and each handler module loads only
when its event fires.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ERROR_LOG = "cache/hooks.log"
MAX_PAYLOAD = 4 * 1024 * 1024  # bytes of stdin read; a transcript path, not a transcript, comes in


@dataclass(frozen=True)
class Event:
    """What a handler gets: the event name, the payload (a dict; empty when stdin was empty or
    not JSON), the store root, the environment, and the agent named by `--agent` ("" when the
    hook did not say: the handler's own default)."""

    name: str
    payload: Mapping[str, Any]
    root: Path
    env: Mapping[str, str]
    agent: str = ""

    def text(self, key: str) -> str:
        value = self.payload.get(key)
        return value if isinstance(value, str) else ""


Handler = Callable[[Event], str]

# EVENT -> "module:function", imported when the event fires. A handler returns what to print
# on stdout ("" for nothing).
HANDLERS: dict[str, str] = {
    "SessionStart": "ctxtree.hooks.claude:session_start",
    "UserPromptSubmit": "ctxtree.hooks.claude:user_prompt_submit",
    "PreCompact": "ctxtree.hooks.claude:capture",
    "Stop": "ctxtree.hooks.claude:capture",
    "post-commit": "ctxtree.hooks.git:post_commit",
}


def _payload(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    data = json.loads(raw.decode("utf-8", errors="replace"))
    return data if isinstance(data, dict) else {}


def _store_root(payload: Mapping[str, Any], env: Mapping[str, str]) -> Path | None:
    from ctxtree.errors import CtxError
    from ctxtree.tree.paths import discover_store

    cwd = payload.get("cwd")
    start = Path(cwd) if isinstance(cwd, str) and cwd else Path.cwd()
    try:
        return discover_store(None, env, start).root
    except CtxError:
        return None


def log_failure(root: Path | None, event: str, error: BaseException) -> None:
    """One line in `cache/hooks.log`: when, which event, what went wrong. Never raises."""
    if root is None:
        return
    try:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        line = f"{stamp} {event}: {type(error).__name__}: {error}".replace("\n", " ")
        path = root / ERROR_LOG
        path.parent.mkdir(exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(line[:2000] + "\n")
    except Exception:
        pass


def run(argv: Sequence[str], stdin: Any = None, stdout: Any = None) -> int:
    """Run `ctx hook EVENT` and return its exit code: always 0 (fail open)."""
    stdin = sys.stdin.buffer if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    env = os.environ
    agent = ""
    if len(argv) >= 2 and argv[0] == "--agent":
        agent, argv = argv[1], argv[2:]
    name = argv[0] if argv else ""
    root: Path | None = None
    try:
        if name in ("-h", "--help", ""):
            stdout.write(usage())
            return 0
        payload = _payload(stdin.read(MAX_PAYLOAD))
        root = _store_root(payload, env)
        target = HANDLERS.get(name)
        if target is None:
            raise LookupError(f"no hook handler for event {name!r}")
        if root is None:
            return 0  # no store here: nothing to give, nothing to record
        module_name, function = target.split(":")
        import importlib

        handler: Handler = getattr(importlib.import_module(module_name), function)
        output = handler(Event(name, payload, root, env, agent))
        if output:
            stdout.write(output)
            stdout.flush()
    except BaseException as error:
        if isinstance(error, SystemExit | KeyboardInterrupt) and root is None:
            return 0
        log_failure(root or _quiet_root(env), name, error)
    return 0


def _quiet_root(env: Mapping[str, str]) -> Path | None:
    try:
        return _store_root({}, env)
    except Exception:
        return None


def usage() -> str:
    events = ", ".join(sorted(HANDLERS)) or "(none)"
    return (
        "Usage: ctx hook [--agent NAME] EVENT < payload.json\n\n"
        "  The command agent and git hooks call (`ctx hooks install` sets them up). Reads the\n"
        "  event's JSON on stdin and prints what the agent should see; any error exits 0 with\n"
        "  no output and a line in the store's cache/hooks.log. --agent codex: a Codex hook\n"
        "  (its sessions are captured under sessions/codex).\n\n"
        f"  Events: {events}\n"
    )
