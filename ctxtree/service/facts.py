"""Fact-level corrections: change, supersede, release or purge one fact of an entry and keep
the rest of it (`ctx edit --drop-fact/--replace-fact/--supersede-fact/--add-fact`, `ctx forget
ID --fact`). What a fact is: curation/facts.py. The change itself is operations.do_fact, the
one implementation plans use too.

History: the old fact leaves the entry and stays in git, in the commit that changed it, whose
message says which fact went and what replaced it (`ctx log ID`, `ctx blame ID`, `--as-of`
answer "what did we believe before"). Nothing of it stays in the current file, so search and
context cannot return it as current. A release (`forget --fact`) names no text in its commit,
and with `purge` the fact is then rewritten out of every commit (files and messages).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from ctxtree.errors import CtxError
from ctxtree.service import purge as purging
from ctxtree.service.forget import with_outcome
from ctxtree.service.operations import FactChange, do_fact
from ctxtree.service.session import Session
from ctxtree.service.workspace import AlreadyDone, Workspace, WriteResult, dry_diff
from ctxtree.tree import journal
from ctxtree.tree.git import GitRepo
from ctxtree.tree.lock import write_lock
from ctxtree.tree.paths import parse_id

OPS = {"drop": "drop-fact", "replace": "replace-fact", "supersede": "supersede-fact"}


def describe(change: FactChange, said: str, reason: str = "") -> str:
    """The commit body of a fact change: which fact, what replaced it, why."""
    if change.action == "add":
        lines = [f"Fact added: {said}"]
    elif change.action == "supersede":
        lines = [f"Fact superseded: {said}", f"By: {change.new.strip() or '(nothing)'}"]
    elif change.action == "replace":
        lines = [f"Fact replaced: {said}", f"By: {change.new.strip()}"]
    else:
        lines = [f"Fact dropped: {said}"]
    return "\n".join([*lines, *([f"Reason: {reason}"] if reason else [])])


def edit_fact(
    session: Session,
    raw_id: str,
    change: FactChange,
    reason: str = "",
    redact: bool = False,
    dry_run: bool = False,
) -> WriteResult:
    """One fact of an entry changed (see FactChange), the rest kept, as one commit whose
    message names the fact and what replaced it."""
    entry_id = parse_id(raw_id)
    op = OPS.get(change.action, "add-fact")
    try:
        with session.transaction(op, dry_run=dry_run) as tx:
            ws = Workspace(session, tx, redact)
            said = do_fact(ws, entry_id, change)
            tx.subject = f"{entry_id} (held for review)" if ws.proposed else entry_id
            tx.body = describe(change, said, reason)
    except AlreadyDone as done:
        return WriteResult(op, (entry_id,), None, message=done.message)
    return WriteResult(
        op, (entry_id,), tx.commit_sha, message=tx.body, diff=dry_diff(tx),
        inbox=tuple(ws.proposed),
    )  # fmt: skip


@dataclass(frozen=True)
class FactForgetResult:
    id: str
    commit: str | None
    fact: str
    diff: str | None = None
    purge: purging.PurgeReport | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"op": "forget-fact", "ids": [self.id], "commit": self.commit}
        return with_outcome(data, self.diff, self.purge)


def forget_fact(
    session: Session, raw_id: str, query: str, purge: bool = False, dry_run: bool = False
) -> FactForgetResult:
    """Release one fact of an entry, keeping the rest (its text is not in the commit
    message); with `purge`, then rewrite the history so no commit holds it."""
    from ctxtree.curation import facts

    entry_id = parse_id(raw_id)
    store = session.store
    said: list[str] = []
    with session.transaction("forget", dry_run=dry_run) as tx:
        repo = GitRepo(store.root)
        if purge:
            purging.require_rewritable(repo)
        ws = Workspace(session, tx)
        summary = ws.require(entry_id).summary
        said.append(do_fact(ws, entry_id, FactChange("drop", query)))
        # The summary may say the same fact in its own words: that clause goes too.
        twin = facts.same(summary, said[0]) or facts.containing(summary, query)
        tx.subject = f"{entry_id}: one fact"
        tx.body = "Fact released; the rest of the entry kept"
    fact = said[0]
    report: purging.PurgeReport | None = None
    if purge:
        needles = [fact, *([twin.text] if twin is not None and twin.text != fact else [])]
        report = _purge(session, needles, tx.commit_sha, dry_run)
    return FactForgetResult(entry_id, tx.commit_sha, fact, tx.diff if dry_run else None, report)


def _purge(
    session: Session, needles: list[str], commit: str | None, dry_run: bool
) -> purging.PurgeReport:
    from ctxtree.curation import facts

    root = session.store.root

    def scrub(text: str) -> str:
        for needle in needles:
            text = facts.scrub(text, needle, purging.IN_FILES)
        return text

    if dry_run:
        return purging.purge_text(GitRepo(root), needles, scrub, frozenset(), dry_run=True)
    with write_lock(root / ".git" / "ctx.lock", session.lock_timeout()) as lock_fd:
        repo = GitRepo(root, lock_fd=lock_fd)
        purging.require_rewritable(repo)
        intent = journal.new_intent(journal.PURGE, repo.current_head(), {})
        journal.begin(root, intent)
        try:
            report = purging.purge_text(repo, needles, scrub, frozenset({commit or ""}))
            journal.end(root)
        except BaseException as exc:
            with contextlib.suppress(Exception):  # else the next command repairs it
                journal.recover(root, repo, intent, log=False)
            if isinstance(exc, CtxError) and commit:
                exc.hint = (
                    f"the fact is released ({commit[:10]}) but the history was not rewritten; "
                    f"{exc.hint}"
                )
            raise
    purging.scrub_cache(root / "cache", needles, "")
    return report
