"""Reviewing stale entries (SPEC §3): entries whose anchored code changed since they were
written or last reviewed. `ctx review stale` lists them, `ctx review ok ID` clears the flag
as one commit (the reviewer confirms the entry still holds, or has just edited it)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ctxtree.service.session import Session
from ctxtree.service.workspace import AlreadyDone, Workspace, WriteResult, run
from ctxtree.tree.model import Entry, Stale
from ctxtree.tree.paths import parse_id


@dataclass(frozen=True)
class StaleEntry:
    id: str
    title: str
    stale: Stale

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, **self.stale.to_json()}


def stale_entries(session: Session) -> list[StaleEntry]:
    """Every flagged entry, by id. Only files mentioning `stale` are parsed."""
    entries, _problems = session.store.entries(contains="stale")
    return sorted(
        (StaleEntry(e.id, e.title, e.stale) for e in entries if e.stale is not None),
        key=lambda s: s.id,
    )


def mark_ok(session: Session, raw_id: str) -> WriteResult:
    """Clear `raw_id`'s stale flag as one commit; 'nothing changed' when it had none."""
    entry_id = parse_id(raw_id)

    def action(ws: Workspace) -> None:
        entry = ws.require(entry_id)
        if entry.stale is None:
            raise AlreadyDone(f"{entry_id} is not flagged stale")
        ws.put(replace(entry, stale=None))

    return run(session, "review", f"{entry_id} reviewed: still holds", action, (entry_id,))


def flagged(entry: Entry, since: str, paths: tuple[str, ...]) -> Entry:
    """`entry` flagged stale by a change to `paths`: an existing flag keeps its first
    unreviewed change (`since`) and gains the new paths."""
    if entry.stale is None:
        return replace(entry, stale=Stale(since, paths))
    known = entry.stale.paths
    merged = known + tuple(p for p in paths if p not in known)
    return replace(entry, stale=replace(entry.stale, paths=merged))
