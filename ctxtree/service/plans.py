"""Plans (`ctx apply`): an agent's or a person's batch of operations, applied as one commit.

A plan runs many operations (service/operations.py, the same ones the single commands run) on
one Workspace, in order, each validated against the store as the earlier ones leave it, and
lands as one commit, or not at all, with an honest status for every operation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ctxtree.curation import plan as plan_rules
from ctxtree.errors import CtxError, ExitCode, InvalidEntryError, NotFoundError, UsageError
from ctxtree.service import operations as ops
from ctxtree.service.content import guard_secrets
from ctxtree.service.drafts import default_trust, parse_relations
from ctxtree.service.session import Session
from ctxtree.service.workspace import AlreadyDone, Workspace
from ctxtree.tree.model import Entry, Source
from ctxtree.tree.paths import parse_id
from ctxtree.wording import plural


@dataclass
class OpReport:
    index: int
    op: str
    subject: str
    reason: str
    status: str = "pending"  # applied | would_apply | unchanged | failed | blocked | not_applied
    impact: str = "low"  # low | high
    message: str = ""
    code: int = 0
    losses: list[str] = field(default_factory=list)
    error: CtxError | None = field(default=None, repr=False)  # what failed it, unspelled
    inbox: bool = False  # held in the review inbox instead of written to the tree

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "op": self.op,
            "subject": self.subject,
            "reason": self.reason,
            "status": self.status,
            "impact": self.impact,
            "message": self.message,
            "losses": self.losses,
            "inbox": self.inbox,
        }


@dataclass
class ApplyResult:
    applied: bool
    commit: str | None
    operations: list[OpReport]
    dry_run: bool = False
    diff: str | None = None

    @property
    def failures(self) -> list[OpReport]:
        return [r for r in self.operations if r.status in ("failed", "blocked")]

    def exit_code(self) -> int:
        """0 when applied (or a clean dry run); else the first failure's code."""
        failures = self.failures
        return failures[0].code if failures else 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "applied": self.applied,
            "commit": self.commit,
            "dry_run": self.dry_run,
            "operations": [r.to_json() for r in self.operations],
        }
        if self.diff is not None:
            data["diff"] = self.diff
        return data

    def error(self) -> PlanError | None:
        """The error a failed plan is reported with (its exit code is the first failure's)."""
        return PlanError(self) if self.failures else None


class PlanError(CtxError):
    """A plan with failed operations: nothing was written. `result` says what each one did."""

    def __init__(self, result: ApplyResult) -> None:
        failed = len(result.failures)
        super().__init__(
            f"plan not applied: {failed} of {plural(len(result.operations), 'operation')} "
            "failed; nothing was written",
            "fix them and apply the whole plan again",
        )
        self.exit_code = ExitCode(result.exit_code())
        self.result = result

    def for_python(self) -> PlanError:
        """Spelled for the Python API, the operations' messages too."""
        for report in self.result.operations:
            if report.error is not None:
                report.message = report.error.for_python().with_hint()
        super().for_python()
        return self


def load_plan(text: str) -> plan_rules.Plan:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidEntryError(
            f"the plan is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            "see the format with `ctx apply --schema`",
        ) from None
    except RecursionError:  # json's decoder recurses once per level of [ and {
        raise InvalidEntryError(
            "the plan is nested too deeply to read (arrays and objects more than about "
            "1,000 levels inside each other)",
            "a plan needs 5 levels; see the format with `ctx apply --schema`",
        ) from None
    return checked_plan(raw)


def checked_plan(raw: Any) -> plan_rules.Plan:
    """A plan from its JSON value (a dict), or the first problem that makes it unreadable."""
    parsed = plan_rules.parse_plan(raw)
    if parsed.problems:
        raise InvalidEntryError(
            f"bad plan: {parsed.problems[0]}", "see the format with `ctx apply --schema`"
        )
    return parsed


def _draft(fields: Mapping[str, Any], session: Session) -> Entry:
    who = session.actor
    return Entry(
        id=fields["id"],
        title=fields.get("title", ""),
        body=fields.get("body", ""),
        summary=fields.get("summary", ""),
        kind=fields.get("kind", "note"),
        tags=tuple(fields.get("tags", ())),
        keywords=tuple(fields.get("keywords", ())),
        relations=tuple(parse_relations(fields.get("relations", ()))),
        sources=tuple(Source(s["type"], s["ref"].strip()) for s in fields.get("sources", ())),
        author=who,
        trust=fields.get("trust") or default_trust(who),
        importance=fields.get("importance", session.settings.lifecycle.importance_default),
        maturity=fields.get("maturity", "draft"),
        valid_from=fields.get("valid_from"),
        valid_until=fields.get("valid_until"),
        anchors=tuple(fields.get("anchors", ())),
    )


FACT_OPS = {"SUPERSEDE_FACT": "supersede", "FORGET_FACT": "drop", "ADD_FACT": "add"}


def _run(ws: Workspace, op: plan_rules.Operation, allow_loss: bool) -> tuple[str, list[str]]:
    """Apply one operation to the workspace; returns a short note and what it dropped."""
    f = op.fields
    if op.op == "ADD" or (op.op == "UPSERT" and ws.entry(parse_id(f["id"])) is None):
        if not str(f.get("title", "")).strip():
            raise InvalidEntryError("title is required to create an entry", "")
        created = ops.do_add(ws, _draft(f, ws.session))
        return f"created {created.id}", []
    if op.op in ("UPDATE", "UPSERT"):
        entry, lost = ops.do_update(ws, f["id"], f, allow_loss)
        if entry is None:
            raise AlreadyDone("nothing changed")
        return "updated" + (
            f"; {plural(len(lost), 'loss', 'losses')} allowed" if lost else ""
        ), lost
    if op.op == "MERGE":
        changed = ops.do_merge(ws, f["source"], f["target"])
        return "merged" + (f"; relations rewritten in {', '.join(changed)}" if changed else ""), []
    if op.op == "SUPERSEDE":
        old, note = f.get("old"), "superseded"
        if old is None:  # matched against the store as it was before this plan
            from ctxtree.service import restructure

            match = restructure.match_one(ws.session, f["matching"], f["new"])
            old, note = match.id, f"superseded {match.id} ({'; '.join(match.reasons)})"
        ops.do_supersede(ws, old, f["new"])
        return note, []
    if op.op == "FORGET":  # a plain forget (no purge: a plan is one commit, not a rewrite)
        from ctxtree.service import forget as forgetting

        selection = forgetting.select_matching(ws.session, f["matching"])
        if not selection.matches:
            raise NotFoundError(f"no entry matches {f['matching']!r}", "")
        for match in selection.matches:  # only the facts holding an identifier, as the CLI
            if not match.facts:
                ops.do_delete(ws, match.id, True)
                forgetting.drop_abstracts(ws.tx, match.id)
            for fact in match.facts:
                ops.do_fact(ws, match.id, ops.FactChange("drop", fact))
        return "forgot " + ", ".join(
            f"{'facts of ' if m.facts else ''}{m.id} ({'; '.join(m.reasons)})"
            for m in selection.matches
        ), []
    if op.op == "ARCHIVE":
        ops.do_archive(ws, f["id"])
        return "archived", []
    if op.op == "DELETE":
        dropped = ops.do_delete(ws, f["id"], bool(f.get("force")))
        return "deleted" + (f"; relations dropped in {', '.join(dropped)}" if dropped else ""), []
    if op.op == "LINK":
        ops.do_link(ws, f["source"], f["target"], f.get("type", "related"))
        return "linked", []
    if op.op in FACT_OPS:
        action = FACT_OPS[op.op]
        change = (
            ops.FactChange("add", "", f["fact"])
            if action == "add"
            else ops.FactChange(action, f["fact"], f.get("with", ""))
        )
        said = ops.do_fact(ws, f["id"], change)
        if action == "drop":  # a released fact's text stays out of the commit message
            return "fact forgotten", []
        return f"fact {'added' if action == 'add' else 'superseded'}: {said[:80]}", []
    raise UsageError(f"unknown op {op.op}", "")  # parse_operation rules this out


def apply_plan(
    session: Session,
    plan: plan_rules.Plan,
    source: str,
    *,
    redact: bool = False,
    allow_loss: bool = False,
    dry_run: bool = False,
    after: Callable[[Workspace], None] | None = None,
) -> ApplyResult:
    """Validate every operation in order against the store as the earlier ones leave it
    (under the write lock), then commit them all as one commit, or none of them. `after`,
    when every operation is valid, writes what the caller adds to the same commit (curate
    marks the episodes it read)."""
    reports = [OpReport(op.index, op.op, op.subject(), op.reason) for op in plan.operations]
    with session.transaction("apply", [f"plan:{source}"], dry_run=dry_run) as tx:
        ws = Workspace(session, tx, redact)
        for op, report in zip(plan.operations, reports, strict=True):
            if op.problems:
                report.status, report.code = "failed", int(ExitCode.INVALID)
                report.message = "; ".join(op.problems)
                continue
            before, held = dict(tx.writes), len(ws.proposed)
            try:
                guard_secrets({"the reason": op.reason}, redact)
                report.message, report.losses = _run(ws, op, allow_loss)
                report.status = "ok"
                report.impact = "high" if report.losses else "low"
                if len(ws.proposed) > held:
                    report.inbox = True
                    report.message = f"held in the review inbox ({report.message})"
            except AlreadyDone as done:
                report.status, report.message = "unchanged", done.message
            except ops.LossError as loss:
                del ws.proposed[held:]
                tx.writes = before
                report.status, report.impact, report.code = "blocked", "high", int(loss.exit_code)
                report.message, report.losses = loss.message, loss.lost
            except CtxError as exc:
                del ws.proposed[held:]
                tx.writes = before
                report.status, report.code = "failed", int(exc.exit_code)
                report.message, report.error = exc.with_hint(), exc
        failed = any(r.status in ("failed", "blocked") for r in reports)
        if not failed and after is not None:
            after(ws)
        if failed:
            tx.writes.clear()
        counts = _counts(reports)
        tx.subject = plan.reason.splitlines()[0][:72] if plan.reason.strip() else counts
        tx.body = "\n".join(
            [counts if plan.reason.strip() else ""]
            + [
                f"{r.op} {r.subject}: {r.reason} [{r.status}{', review inbox' * r.inbox}]"
                for r in reports
            ]
        ).strip()
    applied = not failed and not dry_run
    for report in reports:
        if report.status == "ok":
            report.status = "not_applied" if failed else "would_apply" if dry_run else "applied"
            if failed:
                report.message = f"valid ({report.message}), not applied: another operation failed"
    return ApplyResult(
        applied=applied and tx.commit_sha is not None,
        commit=tx.commit_sha,
        operations=reports,
        dry_run=dry_run,
        diff=tx.diff if dry_run and not failed else None,
    )


def _counts(reports: Sequence[OpReport]) -> str:
    ops: dict[str, int] = {}
    for report in reports:
        ops[report.op] = ops.get(report.op, 0) + 1
    return "plan of " + ", ".join(f"{n} {op}" for op, n in ops.items())
