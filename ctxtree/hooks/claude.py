"""Claude Code's and Codex's hooks: what `ctx hook [--agent codex] SessionStart|UserPromptSubmit|
PreCompact|Stop` do. Codex sends the same events with the same fields (plus `model`, `turn_id`;
its `transcript_path` and `last_assistant_message` may be null) and reads the same output, so
one implementation serves both; the agent only names the session's folder and the log's agent.

- SessionStart: the store's core knowledge (`ctx context --core`) within budgets.session_start,
  plus one line when captured sessions wait to be curated.
- UserPromptSubmit: retrieval for the prompt (tiers 0-2, no LLM, no typo correction); only
  what passes the confidence gate, never an entry already handed to this session, within
  budgets.prompt tokens and hooks.max_chars characters; silent otherwise, and silent when
  hooks.inject_prompts is off.
- PreCompact, Stop: the session captured as one `episode` entry, updated on later captures.

Output that reaches the model is `hookSpecificOutput.additionalContext` (Claude Code shows the
model that text only, up to ~10,000 characters whole; Codex adds it as model context too).
Every bundle, and every silence on a prompt, is recorded in the injection log with why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ctxtree.hooks import Event
from ctxtree.tree import injections
from ctxtree.tree.git import read_head
from ctxtree.tree.injections import Injection

if TYPE_CHECKING:  # the capture hooks never load the retrieval stack
    from ctxtree.service.recall import ContextResult
    from ctxtree.service.session import Session

AGENT = "claude-code"  # when the hook does not name its agent (`ctx hook --agent codex ...`)
MAX_TRANSCRIPT = 16 * 1024 * 1024  # bytes read from the end of a transcript
SESSION_HEADER = "Project memory (ctxtree): core knowledge. `ctx search QUERY` finds more."
PROMPT_HEADER = "Project memory (ctxtree) that matches this prompt:"


def _agent(event: Event) -> str:
    agent = event.agent or AGENT
    if agent not in injections.AGENTS:  # it names a folder: only agents we know
        raise LookupError(f"unknown agent {agent!r} (known: {', '.join(injections.AGENTS)})")
    return agent


def _session(event: Event) -> Session:
    from ctxtree.service.session import open_session

    return open_session(str(event.root), event.env, event.root, actor=_agent(event))


def _output(event: str, text: str) -> str:
    shaped = {"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}}
    return json.dumps(shaped, ensure_ascii=False) + "\n"


def _fit(pack: Callable[[int], ContextResult], budget: int, room: int) -> ContextResult:
    """Pack within `budget` tokens, then shrink the budget until the text fits in `room`
    characters (tokens are a poor guide to characters for code, paths and CJK)."""
    result = pack(budget)
    for _ in range(4):
        if len(result.text) <= room or budget <= 1:
            return result
        budget = max(1, int(min(budget, result.tokens) * room / len(result.text) * 0.9))
        result = pack(budget)
    return result if len(result.text) <= room else pack(1)


def _record(event: Event, session: Session, **fields: object) -> None:
    item = Injection(
        event=event.name,
        session=event.text("session_id"),
        agent=_agent(event),
        revision=read_head(session.store.root) or "",
        **fields,  # type: ignore[arg-type]
    )
    injections.record(session.store.root, item)


def session_start(event: Event) -> str:
    from ctxtree.service import episodes
    from ctxtree.service.recall import core_context

    session = _session(event)
    settings = session.settings
    room = settings.hooks.max_chars - len(SESSION_HEADER) - 400  # the header and waiting line
    core = _fit(lambda n: core_context(session, n), settings.budgets.session_start, room)
    waiting = episodes.waiting(session)
    parts = [SESSION_HEADER, core.text.rstrip()] if core.ids else []
    if waiting:
        count = len(waiting)
        many = f"{count} captured sessions wait" if count > 1 else "1 captured session waits"
        parts.append(
            f"{many} to be curated ({waiting[0]}{', …' if len(waiting) > 1 else ''}): run "
            f"`ctx curate --for-agent --episode {waiting[0]}` and follow the brief it prints "
            "(it ends with the `ctx apply` command that saves what lasts; the episode stays)."
        )
    text = "\n\n".join(parts)
    source = event.text("source") or "startup"
    if not text:
        _record(event, session, silent=True, why=f"{source}: the store is empty")
        return ""
    why = f"{source}: core knowledge" + (f", {len(waiting)} sessions to curate" if waiting else "")
    _record(event, session, ids=tuple(core.ids), tokens=core.tokens, chars=len(text), why=why)
    return _output(event.name, text)


def user_prompt_submit(event: Event) -> str:
    from ctxtree.service.recall import context

    session = _session(event)
    settings = session.settings
    prompt = event.text("prompt")
    about = repr(prompt[:60] + ("…" if len(prompt) > 60 else ""))
    if not settings.hooks.inject_prompts:
        _record(event, session, silent=True, why="off: hooks.inject_prompts is false")
        return ""
    if not prompt.strip():
        _record(event, session, silent=True, why="an empty prompt")
        return ""
    sid = event.text("session_id")
    seen = frozenset(injections.already_injected(injections.read(session.store.root, sid), sid))
    room = settings.hooks.max_chars - len(PROMPT_HEADER) - 1

    def pack(budget: int) -> ContextResult:
        # No typo correction: a prompt's words missing from memory are rarely typos, and
        # correcting them loads rapidfuzz on nearly every prompt (bench/README.md, hook).
        return context(session, prompt, budget, exclude=seen, confident_only=True, typos=False)

    found = _fit(pack, settings.budgets.prompt, room)
    confidence = found.retrieval.confidence if found.retrieval else 0.0
    if not found.confident:
        why = f"not confident ({confidence:.2f}) for {about}"
        _record(event, session, silent=True, why=why)
        return ""
    if not found.ids:
        hits = {h.id for h in found.retrieval.hits} if found.retrieval else set()
        reason = "every match was already shown" if hits <= seen else "nothing fits the budget"
        why = f"confidence {confidence:.2f} for {about}, but {reason}"
        _record(event, session, silent=True, why=why)
        return ""
    text = f"{PROMPT_HEADER}\n{found.text.rstrip()}"
    _record(
        event, session, ids=tuple(found.ids), tokens=found.tokens, chars=len(text),
        why=f"confidence {confidence:.2f} for {about}",
    )  # fmt: skip
    return _output(event.name, text)


def _transcript_lines(path: str) -> list[str]:
    """The transcript's lines, at most its last MAX_TRANSCRIPT bytes (a cut first line is
    dropped); none when it cannot be read: a capture works with what it has."""
    if not path:
        return []
    try:
        with Path(path).open("rb") as file:
            size = file.seek(0, 2)
            file.seek(max(0, size - MAX_TRANSCRIPT))
            data = file.read(MAX_TRANSCRIPT)
    except OSError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[1:] if size > MAX_TRANSCRIPT else lines


def capture(event: Event) -> str:
    """PreCompact and Stop: capture the session as its episode entry; prints nothing (Codex
    reads a Stop hook's stdout as JSON: nothing is the one safe answer). Without a transcript
    (Codex may send null) the episode holds what the payload has: the last assistant message."""
    if event.payload.get("stop_hook_active") is True:
        return ""  # Claude Code is continuing because of a Stop hook: the session has not ended
    session_id = event.text("session_id")
    if not session_id.strip():
        return ""
    from ctxtree.curation.conversation import parse_transcript
    from ctxtree.service import episodes

    cwd = event.text("cwd")
    conversation = parse_transcript(_transcript_lines(event.text("transcript_path")), cwd)
    final = event.text("last_assistant_message")
    if not (conversation.prompts or conversation.files or final):
        return ""
    episodes.capture(_session(event), conversation, session_id, final, _agent(event))
    return ""
