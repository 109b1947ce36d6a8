"""Care commands: lint, doctor."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import AuthorOpt, DryRunOpt, JsonOpt, TreeOpt
from ctxtree.cli.output import emit_json, note, out
from ctxtree.errors import InvalidEntryError
from ctxtree.wording import plural

if TYPE_CHECKING:
    from ctxtree.service.lint import LintReport


def _render(report: LintReport, fix: bool, as_json: bool) -> None:
    """Findings (or a dry run's diff) on stdout; what was fixed and the counts on stderr."""
    dry = report.diff is not None
    if as_json:
        emit_json(report.to_json() if fix else [f.to_json() for f in report.findings])
        return
    if report.diff is not None:  # a dry run
        sys.stdout.write(report.diff)
    else:
        for finding in report.findings:
            out(finding.line())
    for finding in report.fixed:
        note(f"{'would fix' if dry else 'fixed'}: {finding.line()}")
    if dry:
        note(f"dry run: would fix {plural(len(report.fixed), 'finding')}; no commit")
    elif fix:
        done = f" ({report.commit[:10]})" if report.commit else "; no commit"
        note(f"fixed {plural(len(report.fixed), 'finding')}{done}")
    counts = [plural(report.count(s), s) for s in ("error", "warning")]
    remain = "would remain" if dry else "remain" if fix else "found"
    checked = plural(report.checked, "entry", "entries")
    note(f"{', '.join(counts)}, {report.count('info')} info {remain} in {checked}")


def register(app: typer.Typer) -> None:
    @app.command()
    @handled
    def lint(
        prefix: Annotated[
            str, typer.Argument(metavar="PREFIX", help="Only findings under this prefix.")
        ] = "",
        fix: Annotated[
            bool, typer.Option("--fix", help="Repair the mechanical findings in one commit.")
        ] = False,
        dry_run: DryRunOpt = False,
        strict: Annotated[
            bool, typer.Option("--strict", help="Warnings fail too (exit 5).")
        ] = False,
        author: AuthorOpt = None,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Check the store: one line per finding, `CODE severity ENTRY: message (fix: ...)`.

        Exit 0 when no error remains (warnings and info are reported), 5 when one does; with
        --strict warnings fail too. --fix repairs the codes marked * in one commit, then
        reports what remains; add --dry-run to print its diff and change nothing.

        \b
        error     invalid-entry       a file that does not parse
        error     merge-conflict      git conflict markers from a merge (resolve by hand)
        error   * broken-relation     a declared relation to nothing (dropped)
        error   * secret              a credential in the entry (redacted)
        warning * broken-link         an inline [[link]] to nothing (unwrapped)
        warning * missing-provenance  agent/external entry without sources (adds one)
        warning   contradiction       contradicts another current entry
        warning   near-duplicate      near-identical title and summary
        warning   oversized           file over lint.oversized_bytes
        warning   bad-validity        unreadable or empty validity window
        warning * stale-summary       an _index.md whose inputs changed (regenerated)
        error     symlink             a symbolic link (never followed)
        info      orphan              no relation or link in or out
        info      retired-dependency  depends_on a superseded/expired/archived entry

        \b
        Examples:
          ctx lint                      every finding in the store
          ctx lint auth --fix --dry-run  what --fix would repair under auth/
          ctx lint --strict --json      for CI: warnings fail too
        """
        from ctxtree.service import lint as service
        from ctxtree.service.session import open_session

        session = open_session(tree, actor=author)
        report = service.lint(session, prefix, fix=fix, dry_run=dry_run)
        _render(report, fix, json_out)
        failing = report.count("error") + (report.count("warning") if strict else 0)
        if failing:
            kinds = "errors or warnings" if strict else "errors"
            raise InvalidEntryError(
                f"lint: {plural(failing, 'finding')} that fail{'s' if failing == 1 else ''} "
                f"({kinds})",
                "fix them by hand; `ctx lint --fix` repairs the mechanical ones",
            )

    @app.command()
    @handled
    def doctor(
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Explain what is wrong; repair nothing.")
        ] = False,
        fsck: Annotated[bool, typer.Option("--fsck", help="Also run `git fsck`.")] = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Explain and repair what a crash, a killed git or a hand edit left in the store.

        Every command already finishes or undoes an interrupted write before it starts;
        doctor lists those recoveries, and checks for the rest: an interrupted write's
        journal, stale git lock files, temp files, staged but uncommitted changes, a git
        operation under way, symbolic links (never followed), files changed outside ctx,
        a missing store pre-commit hook (installed on repair). It repairs what is safe
        (under the write lock) and says what to do about the rest.
        Exit 0 when no error remains, 6 when one does.

        \b
        Examples:
          ctx doctor --dry-run  explain what is wrong, repair nothing
          ctx doctor --fsck     repair, and check the git objects too
        """
        from ctxtree.errors import StoreError
        from ctxtree.service import doctor as service
        from ctxtree.service.session import open_session

        report = service.doctor(open_session(tree, recover=False), not dry_run, fsck)
        if json_out:
            emit_json(report.to_json())
        else:
            for item in report.recovered[-5:]:
                note(f"recovered {item['at']}: `{item['op']}` {item['outcome']}")
            for finding in report.findings:
                out(finding.line())
            left = len(report.remaining)
            if not report.findings:
                note("the store is healthy: nothing to repair")
            elif left:
                note(f"{plural(left, 'problem')} remain{'s' if left == 1 else ''}")
            else:
                note("repaired everything that needed it")
        if not report.healthy:
            left = len(report.remaining)
            raise StoreError(
                f"doctor: {plural(left, 'problem')} remain{'s' if left == 1 else ''}",
                "run `ctx doctor` without --dry-run to repair"
                if dry_run
                else "follow the fix given on each line",
            )
