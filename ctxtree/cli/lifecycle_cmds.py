"""Lifecycle commands: maintain."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import AuthorOpt, DryRunOpt, JsonOpt, TreeOpt
from ctxtree.cli.output import emit_json, note, out, table
from ctxtree.wording import plural

if TYPE_CHECKING:
    from ctxtree.service.maintain import MaintainReport


def report_lines(report: MaintainReport) -> list[str]:
    """The human report: what changed and why, candidates, summaries, skipped entries."""
    since = f"since {report.since[:10]}" if report.since else "first pass"
    lines = [
        f"checked {plural(report.checked, 'entry', 'entries')} ({since}; "
        f"decay through {report.decayed_to})"
    ]
    promoted, demoted = len(report.steps("promoted")), len(report.steps("demoted"))
    shown = [c for c in report.changes if c.used or c.updates or c.step]
    lines.append(
        f"changed {len(report.changes)}: {promoted} promoted, {demoted} demoted, "
        f"{len(report.changes) - len(shown)} by decay alone"
    )
    rows = [
        (
            c.id,
            f"{c.old_importance:g} -> {c.new_importance:g}",
            c.new_maturity if not c.step else f"{c.old_maturity} -> {c.new_maturity}",
            "; ".join(c.reasons),
        )
        for c in shown
    ]
    lines += [f"  {line}" for line in table(rows)]
    if report.candidates:
        archived = sum(1 for c in report.candidates if c.archived)
        how = f"{archived} archived" if archived else "`ctx maintain --apply` archives them"
        lines.append(f"archive candidates: {len(report.candidates)} ({how})")
        pairs = [(c.id, ("archived: " if c.archived else "") + c.reason) for c in report.candidates]
        lines += [f"  {line}" for line in table(pairs)]
    if report.indexes:
        lines.append(f"summaries: {len(report.indexes)}")
        lines += [f"  {line}" for line in table(list(report.indexes))]
    if report.skipped:
        lines.append(f"skipped: {len(report.skipped)}")
        lines += [f"  {line}" for line in table(list(report.skipped))]
    return lines


def register(app: typer.Typer) -> None:
    @app.command()
    @handled
    def maintain(
        apply: Annotated[
            bool, typer.Option("--apply", help="Also archive the archive candidates.")
        ] = False,
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Run a lifecycle pass as one commit: fold usage since the last pass into importance
        (only entries read with `ctx show` gain; being returned by search earns nothing),
        apply decay, step maturity with hysteresis, list archive candidates (--apply archives
        them) and regenerate missing or stale _index.md summaries.

        Without --dry-run the report goes to stdout; with it, the diff goes to stdout and the
        report to stderr, and nothing changes.

        \b
        Examples:
          ctx maintain --dry-run --apply
          ctx maintain
        """
        from ctxtree.service import maintain as service
        from ctxtree.service.session import open_session

        session = open_session(tree, actor=author)
        report = service.maintain(session, apply_archive=apply, dry_run=dry_run)
        if json_out:
            emit_json(report.to_json())
            return
        say: Callable[[str], None] = note if report.diff is not None else out
        for line in report_lines(report):
            say(line)
        if report.diff is not None:
            sys.stdout.write(report.diff)
            note("dry run: nothing changed; no commit")
        else:
            note(f"committed {report.commit[:10]}" if report.commit else "nothing changed")
