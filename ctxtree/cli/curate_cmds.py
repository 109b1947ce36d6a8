"""Curation commands: merge, supersede, archive, restore, split, apply."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from ctxtree.cli.entry_cmds import IdArg, report_write
from ctxtree.cli.errors import handled
from ctxtree.cli.options import AuthorOpt, DryRunOpt, JsonOpt, MatchingOpt, TreeOpt
from ctxtree.cli.output import emit_json, note, out
from ctxtree.errors import UsageError
from ctxtree.wording import plural

if TYPE_CHECKING:
    from ctxtree.service.plans import ApplyResult

ReasonOpt = Annotated[str, typer.Option("--reason", "-r", help="Why; recorded in the commit.")]
RedactOpt = Annotated[bool, typer.Option(help="Mask secrets instead of refusing.")]


def _print_report(result: ApplyResult, as_json: bool) -> None:
    if as_json:
        emit_json(result.to_json())
        return
    width = max((len(r.status) for r in result.operations), default=0)
    for r in result.operations:
        line = f"{r.index + 1:>3}. {r.status:<{width}}  {r.op} {r.subject}"
        if r.message and r.status != "applied":
            line += f": {r.message}"
        elif r.message and r.message not in ("updated", "archived", "linked", "superseded"):
            line += f" ({r.message})"
        out(line)
        for lost in r.losses:
            out(f"       {lost}")
    if result.diff is not None:
        sys.stdout.write(result.diff)


def closing_note(result: ApplyResult) -> None:
    """The last line of an applied (or dry-run) plan, on stderr."""
    count = plural(len(result.operations), "operation")
    if result.dry_run:
        note(f"dry run: {count} valid; no commit")
    elif result.commit:
        note(f"applied {count} ({result.commit[:10]})")
    else:
        note("nothing changed; no commit")


def register(app: typer.Typer) -> None:
    @app.command()
    @handled
    def merge(
        src: Annotated[str, typer.Argument(metavar="SRC", help="Entry folded in, then deleted.")],
        dst: Annotated[str, typer.Argument(metavar="DST", help="Entry that keeps everything.")],
        reason: ReasonOpt = "",
        redact: RedactOpt = False,
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Fold SRC into DST and delete SRC, in one commit: sections and facts, tags,
        keywords, relations and sources unioned; every relation and [[link]] to SRC now points
        at DST; importance and maturity the higher, trust the lower.

        \b
        Examples:
          ctx merge auth/jwt/refresh-notes auth/jwt/refresh-rotation -r "duplicates"
          ctx merge a/b/old a/b/new --dry-run
        """
        from ctxtree.service import restructure
        from ctxtree.service.session import open_session

        result = restructure.merge(
            open_session(tree, actor=author), src, dst, reason, redact, dry_run
        )
        report_write(result, json_out, f"merged {result.ids[0]} into {result.ids[1]}")

    @app.command()
    @handled
    def supersede(
        old: Annotated[
            str | None, typer.Argument(metavar="[OLD]", help="Entry no longer current.")
        ] = None,
        new: Annotated[
            str | None, typer.Argument(metavar="[NEW]", help="Entry that replaces it.")
        ] = None,
        matching: MatchingOpt = None,
        with_id: Annotated[
            str | None,
            typer.Option("--with", metavar="NEW", help="The replacing entry, with --matching."),
        ] = None,
        reason: ReasonOpt = "",
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Record that NEW replaces OLD (NEW gets `supersedes: OLD`). OLD leaves default
        results but stays for history: `ctx search --superseded`, `--as-of DATE`.

        \b
        Examples:
          ctx supersede auth/session/24h-expiry auth/session/8h-expiry -r "policy change"
          ctx supersede --matching "the user's employer" --with people/user/works-at-google

        --matching QUERY picks OLD by description: identifiers and names first, then words
        widened to their relation (employer ~ works, job, company; spouse ~ married, wife).
        It takes the best current entry only when it holds at least half of the request and
        the runner-up scores at most 3/4 of it; otherwise it exits 4 listing the candidates.
        """
        from ctxtree.service import restructure
        from ctxtree.service.session import open_session

        session = open_session(tree, actor=author)
        if matching is not None:
            if old is not None or new is not None or with_id is None:
                raise UsageError("--matching QUERY takes --with NEW and no OLD/NEW arguments", "")
            match, result = restructure.supersede_matching(
                session, matching, with_id, reason, dry_run
            )
            if json_out:  # what was selected and why, beside the write it made
                emit_json({**result.to_json(), "matching": matching, "match": match.to_json()})
                return
            note(f"matched {match.id}: " + "; ".join(match.reasons))
        else:
            if old is None or new is None or with_id is not None:
                raise UsageError("give OLD and NEW, or --matching QUERY --with NEW", "")
            result = restructure.supersede(session, old, new, reason, dry_run)
        report_write(result, json_out, f"{result.ids[1]} supersedes {result.ids[0]}")

    @app.command()
    @handled
    def archive(
        entry_id: IdArg,
        reason: ReasonOpt = "",
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Move an entry to archive/: out of default results, still found with --archived,
        relations to it stay valid. `ctx restore ID` brings it back.

        \b
        Examples:
          ctx archive infra/ci/old-runner -r "replaced by the new runners"
        """
        from ctxtree.service import restructure
        from ctxtree.service.session import open_session

        result = restructure.archive(open_session(tree, actor=author), entry_id, reason, dry_run)
        report_write(result, json_out, f"archived {result.ids[0]}")

    @app.command()
    @handled
    def restore(
        entry_id: IdArg,
        reason: ReasonOpt = "",
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Bring an archived entry back into the tree.

        \b
        Examples:
          ctx search runner --archived   find it
          ctx restore infra/ci/old-runner -r "back in use"
        """
        from ctxtree.service import restructure
        from ctxtree.service.session import open_session

        result = restructure.restore(open_session(tree, actor=author), entry_id, reason, dry_run)
        report_write(result, json_out, f"restored {result.ids[0]}")

    @app.command()
    @handled
    def split(
        entry_id: IdArg,
        section: Annotated[
            list[str] | None,
            typer.Option("--section", metavar="HEADING", help="Split off only this ## section."),
        ] = None,
        into: Annotated[
            list[str] | None,
            typer.Option("--into", metavar="ID", help="Id for each split section, in order."),
        ] = None,
        reason: ReasonOpt = "",
        redact: RedactOpt = False,
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Cut an entry's `## ` sections into entries of their own, in one commit.

        Each part becomes `<topic>/<heading-slug>` (or the --into ids) with `part_of: ID`;
        the original keeps its intro and lists its parts. A relation moves to the parts
        whose text links its target; inbound relations keep pointing at the original.

        \b
        Examples:
          ctx split ops/deploy/runbook
          ctx split ops/deploy/runbook --section Rollback --into ops/deploy/rollback
        """
        from ctxtree.service import restructure
        from ctxtree.service.session import open_session

        result = restructure.split(
            open_session(tree, actor=author),
            entry_id,
            section or [],
            into or [],
            reason,
            redact,
            dry_run,
        )
        report_write(result, json_out, f"split {result.ids[0]} into {', '.join(result.ids[1:])}")

    @app.command()
    @handled
    def apply(
        plan_file: Annotated[
            str | None, typer.Argument(metavar="PLAN", help="JSON plan file, or - for stdin.")
        ] = None,
        schema: Annotated[
            bool, typer.Option("--schema", help="Print the plan format as JSON Schema.")
        ] = False,
        allow_loss: Annotated[
            bool, typer.Option("--allow-loss", help="Let UPDATEs drop facts/relations/sources.")
        ] = False,
        redact: RedactOpt = False,
        author: AuthorOpt = None,
        dry_run: DryRunOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Apply a JSON plan of curation operations as one commit, or none of it.

        PLAN is a file, or - for stdin: {"reason": "...", "operations": [{"op": "ADD", "id":
        "auth/jwt/rotation", "title": "...", "body": "...", "reason": "..."}, ...]}. Operations:
        ADD, UPDATE, UPSERT, MERGE, SUPERSEDE, ARCHIVE, DELETE, LINK, FORGET, each with a
        reason; SUPERSEDE and FORGET take "matching": a description instead of an id. Every
        operation is validated (schema, ids, relation targets, secrets) against the store as the
        earlier ones leave it; if any fails, nothing is written and each operation's status says
        what happened (failed, blocked, not_applied). An UPDATE that drops facts, relations or
        sources is high impact and blocked unless --allow-loss. `ctx apply --schema` prints the
        format as JSON Schema.

        \b
        Examples:
          ctx apply plan.json --dry-run
          cat plan.json | ctx apply - --json
          ctx apply --schema
        """
        from ctxtree.cli.import_cmds import read_input
        from ctxtree.errors import UsageError
        from ctxtree.service import plans
        from ctxtree.service.session import open_session

        if schema:
            from ctxtree.curation.plan import json_schema

            emit_json(json_schema())
            return
        if plan_file is None:
            raise UsageError("missing PLAN", "pass a plan file or - for stdin; see --schema")
        session = open_session(tree, actor=author)
        name, text = read_input(plan_file, "plan", 64 * 1024 * 1024)
        plan = plans.load_plan(text)
        result = plans.apply_plan(
            session, plan, name, redact=redact, allow_loss=allow_loss, dry_run=dry_run
        )
        _print_report(result, json_out)
        error = result.error()
        if error is not None:
            raise error
        if not json_out:
            closing_note(result)
