"""A coding agent's session, as an `episode` entry: pure, deterministic, no LLM.

Input is a transcript, JSON Lines, in either agent's shape:
- Claude Code: a line whose `type` is `user` or `assistant` carries a `message` with
  `content`: a string, or a list of blocks `text`, `tool_use` {name, input}, `tool_result`,
  `thinking`...
- Codex (its rollout file): `{"type": "event_msg", "payload": {"type": "user_message" |
  "agent_message", "message": ...}}` for what was said, and `{"type": "response_item",
  "payload": {"type": "custom_tool_call" | "function_call", "name": "apply_patch", "input" |
  "arguments": PATCH}}` for files written (the patch's `*** Add/Update/Delete File: PATH` lines).
Other line types (summaries, file snapshots, session metadata, reasoning) and lines that are
not JSON are skipped: a hook must never fail on a transcript written by a newer version. Kept:
what the user asked (prompts, not tool results or meta lines), the assistant's last words, and
the files its tools wrote.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ctxtree.tree.injections import AGENTS
from ctxtree.tree.model import Entry, Source

FOLDER = "sessions"  # sessions/<agent>/<session>
# Tools that write a file, and the input field naming it.
WRITING_TOOLS = {
    "Edit": "file_path",
    "Write": "file_path",
    "MultiEdit": "file_path",
    "NotebookEdit": "notebook_path",
}
PROMPT_CHARS = 600
REPLY_CHARS = 3000
HEAD_PROMPTS = 5  # the first prompts say what the session set out to do,
TAIL_PROMPTS = 25  # the last ones where it ended
MAX_FILES = 100
TITLE_CHARS = 70
SUMMARY_WORDS = 25
_SPACES = re.compile(r"\s+")
_PATCHED = re.compile(
    r"^\*\*\* (?:Add|Update|Delete) File: (.+?)\s*$|^\*\*\* Move to: (.+?)\s*$", re.M
)


@dataclass(frozen=True)
class Conversation:
    prompts: tuple[str, ...] = ()
    last_reply: str = ""
    files: tuple[str, ...] = ()


def _blocks(message: Any) -> list[dict[str, Any]]:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _texts(blocks: Iterable[dict[str, Any]]) -> str:
    parts = [
        b["text"] for b in blocks if b.get("type") == "text" and isinstance(b.get("text"), str)
    ]
    return "\n".join(p for p in parts if p.strip()).strip()


def _relative(path: str, cwd: str) -> str:
    if cwd and path.startswith(cwd.rstrip("/") + "/"):
        return path[len(cwd.rstrip("/")) + 1 :]
    return path


def _patched_files(patch: object) -> list[str]:
    """The paths an apply_patch call names (added, updated, deleted, moved to)."""
    if isinstance(patch, dict):  # a function call's arguments may wrap the patch
        patch = patch.get("input") or patch.get("patch")
    if not isinstance(patch, str):
        return []
    return [m.group(1) or m.group(2) for m in _PATCHED.finditer(patch)]


def _codex_line(data: dict[str, Any]) -> tuple[str, str, list[str]]:
    """(prompt, reply, files) said or written on one line of a Codex rollout."""
    payload = data.get("payload")
    if not isinstance(payload, dict):
        return "", "", []
    kind = payload.get("type")
    message = payload.get("message")
    text = message.strip() if isinstance(message, str) else ""
    if data.get("type") == "event_msg" and kind == "user_message":
        return text, "", []
    if data.get("type") == "event_msg" and kind == "agent_message":
        return "", text, []
    if data.get("type") == "response_item" and payload.get("name") == "apply_patch":
        given = payload.get("input") if kind == "custom_tool_call" else payload.get("arguments")
        if isinstance(given, str) and kind == "function_call":
            with contextlib.suppress(ValueError):
                given = json.loads(given)
        return "", "", _patched_files(given)
    return "", "", []


def parse_transcript(lines: Iterable[str], cwd: str = "") -> Conversation:
    """The prompts, the last assistant text and the files written, from transcript lines
    (Claude Code's or Codex's, see above)."""
    prompts: list[str] = []
    reply = ""
    files: dict[str, None] = {}
    for line in lines:
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if not isinstance(data, dict) or data.get("isSidechain") or data.get("isMeta"):
            continue
        if data.get("type") in ("event_msg", "response_item"):
            prompt, said, written = _codex_line(data)
            if prompt:
                prompts.append(prompt)
            reply = said or reply
            for name in written:
                files[_relative(name.strip(), cwd)] = None
            continue
        blocks = _blocks(data.get("message"))
        if data.get("type") == "user":
            if any(b.get("type") == "tool_result" for b in blocks):
                continue
            text = _texts(blocks)
            # Slash-command echoes and their output are the CLI talking, not the user asking.
            if text and not text.startswith(("<local-command", "<command-", "Caveat: ")):
                prompts.append(text)
        elif data.get("type") == "assistant":
            text = _texts(blocks)
            reply = text or reply
            for block in blocks:
                if block.get("type") != "tool_use":
                    continue
                key = WRITING_TOOLS.get(str(block.get("name")))
                given = block.get("input")
                path = given.get(key) if key and isinstance(given, dict) else None
                if isinstance(path, str) and path.strip():
                    files[_relative(path.strip(), cwd)] = None
    return Conversation(tuple(prompts), reply, tuple(files))


def entry_id(session_id: str, agent: str = "claude-code") -> str:
    """`sessions/<agent>/<slug>`: one entry per session, found again on the next capture."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", session_id.lower()).strip("-_")[:48]
    digest = hashlib.sha1(session_id.encode("utf-8")).hexdigest()[:8]
    if slug != session_id:  # two ids that slug alike must not share an entry
        slug = f"{slug}-{digest}" if slug else f"s-{digest}"
    return f"{FOLDER}/{agent}/{slug}"


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def episode(
    conversation: Conversation, session_id: str, final_message: str = "", agent: str = "claude-code"
) -> Entry:
    """The episode entry for `agent`'s session (id from `entry_id`); `final_message` (Stop's
    `last_assistant_message`) wins over the transcript's last reply."""
    prompts = conversation.prompts
    first = _one_line(prompts[0]) if prompts else ""
    title = f"Session: {_clip(first, TITLE_CHARS)}" if first else f"Session {session_id[:8]}"
    reply = (final_message or conversation.last_reply).strip()
    lines = [f"# {title}", "", f"{AGENTS.get(agent, agent)} session `{session_id}`.", ""]
    if prompts:
        lines += ["## Prompts", ""]
        shown = list(enumerate(prompts, 1))
        if len(shown) > HEAD_PROMPTS + TAIL_PROMPTS:
            skipped = len(shown) - HEAD_PROMPTS - TAIL_PROMPTS
            shown = [*shown[:HEAD_PROMPTS], (0, f"({skipped} more)"), *shown[-TAIL_PROMPTS:]]
        for number, text in shown:
            label = f"{number}." if number else "…"
            lines.append(f"{label} {_one_line(_clip(text, PROMPT_CHARS))}")
        lines.append("")
    if reply:
        lines += ["## Outcome", "", _quoted(_clip(reply, REPLY_CHARS)), ""]
    if conversation.files:
        lines += ["## Files touched", ""]
        lines += [f"- `{path}`" for path in conversation.files[:MAX_FILES]]
        if len(conversation.files) > MAX_FILES:
            lines.append(f"- … and {len(conversation.files) - MAX_FILES} more")
        lines.append("")
    words = first.split()
    summary = " ".join(words[:SUMMARY_WORDS]) + (" …" if len(words) > SUMMARY_WORDS else "")
    keywords = tuple(dict.fromkeys(PurePosixPath(p).name for p in conversation.files))[:8]
    return Entry(
        id=entry_id(session_id, agent),
        title=title,
        body="\n".join(lines).rstrip() + "\n",
        summary=summary or f"{len(prompts)} prompts",
        kind="episode",
        tags=("session", agent),
        keywords=keywords,
        sources=(Source("conversation", session_id),),
        author=agent,
        trust="agent",
    )
