"""The injection log: every bundle of memory handed to an agent (a hook's output, an MCP call's
answer), and every prompt a hook chose to stay silent on, one JSON line each in
`cache/injections.jsonl`. `ctx log --injections` lists it, `ctx hooks status` totals it, and a
prompt hook reads it to never hand the same entry twice in one session.

Stdlib only, and cheap: the prompt hook calls it on every prompt. A record is one `write` on a
file opened with O_APPEND, so concurrent hooks (Claude Code runs the hooks of one event in
parallel) never interleave within a line. The log lives in cache/ because it is local, about
what this machine showed its agents, not knowledge to share; it is trimmed to its newest half
when it passes MAX_BYTES.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOG = "cache/injections.jsonl"
# The agents whose hooks ctx serves, as the log and their session folders name them, and how
# an episode names them to a reader. Here, not in curation/, because the prompt hook checks it.
AGENTS = {"claude-code": "Claude Code", "codex": "Codex"}
MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Injection:
    """One bundle handed to an agent, or a silent decision (`ids` empty, `silent` True).

    `event` is what asked (`SessionStart`, `UserPromptSubmit`, `mcp:search`...), `session` the
    agent's session id ("" when it has none), `ids` the entries in the bundle, `revision` the
    store's HEAD when it was built, `tokens`/`chars` its size, `why` one line saying why it was
    handed over or withheld (e.g. "confidence 0.82 for 'jwt refresh'")."""

    event: str
    session: str = ""
    agent: str = ""
    ids: tuple[str, ...] = ()
    revision: str = ""
    tokens: int = 0
    chars: int = 0
    silent: bool = False
    why: str = ""
    time: str = field(default_factory=lambda: _now())

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "event": self.event,
            "session": self.session,
            "agent": self.agent,
            "ids": list(self.ids),
            "revision": self.revision,
            "tokens": self.tokens,
            "chars": self.chars,
            "silent": self.silent,
            "why": self.why,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Injection:
        return cls(
            event=str(data.get("event", "")),
            session=str(data.get("session", "")),
            agent=str(data.get("agent", "")),
            ids=tuple(str(i) for i in data.get("ids", ()) or ()),
            revision=str(data.get("revision", "")),
            tokens=int(data.get("tokens", 0) or 0),
            chars=int(data.get("chars", 0) or 0),
            silent=bool(data.get("silent", False)),
            why=str(data.get("why", "")),
            time=str(data.get("time", "")),
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(root: Path, injection: Injection) -> None:
    """Append `injection` to the store's log (one line, one write)."""
    path = root / LOG
    path.parent.mkdir(exist_ok=True)
    line = (json.dumps(injection.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        _trim(path)


def _trim(path: Path) -> None:
    """Keep the newest half of the log (whole lines), replaced atomically."""
    data = path.read_bytes()
    keep = data[len(data) // 2 :]
    keep = keep[keep.find(b"\n") + 1 :]
    temp = path.with_name(path.name + ".trim")
    temp.write_bytes(keep)
    os.replace(temp, path)


def read(root: Path, session: str | None = None) -> list[Injection]:
    """Every record, oldest first (only `session`'s when given). A damaged line (a crash
    mid-write, a hand edit) is skipped: the log informs, it never blocks."""
    try:
        raw = (root / LOG).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    # One session's records are a few among thousands (the log keeps up to MAX_BYTES): a
    # line that does not hold the session's JSON string is not parsed.
    needle = None if session is None else json.dumps(session, ensure_ascii=False)
    found = []
    for line in raw.splitlines():
        if needle is not None and needle not in line:
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        item = Injection.from_json(data)
        if session is None or item.session == session:
            found.append(item)
    return found


def already_injected(records: Iterable[Injection], session: str) -> set[str]:
    """The ids handed to `session` so far (none for an empty session id: without one, a
    session cannot be told apart)."""
    if not session:
        return set()
    return {i for r in records if r.session == session and not r.silent for i in r.ids}


@dataclass(frozen=True)
class Totals:
    injections: int
    silent: int
    tokens: int
    sessions: int

    def to_json(self) -> dict[str, int]:
        return {
            "injections": self.injections,
            "silent": self.silent,
            "tokens": self.tokens,
            "sessions": self.sessions,
        }


def totals(records: Sequence[Injection]) -> Totals:
    handed = [r for r in records if not r.silent]
    return Totals(
        injections=len(handed),
        silent=len(records) - len(handed),
        tokens=sum(r.tokens for r in handed),
        sessions=len({r.session for r in records if r.session}),
    )
