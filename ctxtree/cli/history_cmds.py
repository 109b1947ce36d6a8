"""History commands: log, diff, undo, blame, forget."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import (
    COMMITS,
    UNDO_COMMITS,
    AuthorOpt,
    JsonOpt,
    MatchingOpt,
    TreeOpt,
    bounded_argument,
    bounded_option,
)
from ctxtree.cli.output import confirm, emit_json, note, out, table, warn
from ctxtree.errors import UsageError
from ctxtree.wording import plural

if TYPE_CHECKING:
    from ctxtree.service.forget import Selection
    from ctxtree.service.purge import PurgeReport
    from ctxtree.service.session import Session

EntryArg = Annotated[str, typer.Argument(metavar="ID", help="Entry id (current or archived).")]


def _injections(session: Session, session_id: str | None, limit: int, json_out: bool) -> None:
    from ctxtree.tree import injections

    records = injections.read(session.store.root, session_id)[-limit:]
    if json_out:
        emit_json([r.to_json() for r in records])
        return
    rows = [
        (
            r.time[:19].replace("T", " "),
            r.event,
            r.session[:12] or "-",
            "silent" if r.silent else f"{plural(r.tokens, 'token')}",
            ", ".join(r.ids) or "-",
            r.why,
        )
        for r in records
    ]
    for line in table(rows):
        out(line)
    if not records:
        where = f" in session {session_id}" if session_id else ""
        note(f"no injections recorded{where}; hooks and `ctx mcp` record what they hand over")


def register(app: typer.Typer) -> None:
    @app.command()
    @handled
    def log(
        entry_id: Annotated[
            str | None,
            typer.Argument(
                metavar="[ID]", help="Only this entry's history (current, archived or removed)."
            ),
        ] = None,
        limit: Annotated[int, bounded_option("-n", bounds=COMMITS, help="How many commits.")] = 20,
        injections: Annotated[
            bool,
            typer.Option(
                "--injections",
                help="List what hooks and MCP calls handed to agents instead (newest last).",
            ),
        ] = False,
        session_id: Annotated[
            str | None,
            typer.Option(
                "--session",
                metavar="ID",
                help="With --injections: only this agent session's.",
                show_default=False,
            ),
        ] = None,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """The store's history (of one entry with ID, also after it was removed or
        archived): sha, time, op, actor, subject. An ID no entry ever had exits 3.

        With --injections, what agents were shown instead: every bundle a hook or an MCP call
        handed over (time, event, session, entries, tokens, why) and every prompt a hook
        stayed silent on.

        \b
        Examples:
          ctx log -n 5
          ctx log auth/jwt/refresh-rotation --json
          ctx log --injections --session 5f1c9e2a
        """
        from ctxtree.service import history
        from ctxtree.service.session import open_session

        if session_id is not None and not injections:
            raise UsageError(
                "--session goes with --injections", "ctx log --injections --session ID"
            )
        if injections:
            if entry_id:
                raise UsageError(
                    "--injections lists every entry handed over; it takes no ID",
                    "filter with --session, or pipe --json to jq",
                )
            _injections(open_session(tree), session_id, limit, json_out)
            return
        commits = history.log(open_session(tree), entry_id, limit)
        if json_out:
            emit_json([c.to_json() for c in commits])
            return
        rows = [
            (
                c.sha[:10],
                c.time[:19].replace("T", " "),
                c.op or "-",
                c.trailer("Ctx-Actor") or c.author,
                c.subject,
            )
            for c in commits
        ]
        for line in table(rows):
            out(line)
        if not commits:  # an entry file no commit has touched yet
            note(f"no commit has touched {entry_id or 'the store'} yet; `ctx commit` records it")

    @app.command()
    @handled
    def diff(
        rev: Annotated[
            str | None,
            typer.Argument(metavar="[REV]", help="A revision: a sha from `ctx log`, HEAD~1, ..."),
        ] = None,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Changes since REV; without REV, the uncommitted changes (hand edits).

        \b
        Examples:
          ctx diff            what `ctx commit` would record
          ctx diff HEAD~1     the last change
        """
        from ctxtree.service import history
        from ctxtree.service.session import open_session

        result = history.diff(open_session(tree), rev)
        if json_out:
            emit_json(result.to_json())
        elif result.text:
            sys.stdout.write(result.text + "\n")
        else:  # say so, on stderr: an empty stdout alone reads like a failure
            note(f"no changes since {rev}" if rev else "no uncommitted changes")

    @app.command()
    @handled
    def undo(
        count: Annotated[
            int, bounded_argument("[N]", UNDO_COMMITS, help="How many ctx commits to take back.")
        ] = 1,
        dry_run: Annotated[
            bool,
            typer.Option("--dry-run", help="Print the commits and the revert's diff only."),
        ] = False,
        author: AuthorOpt = None,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Take back the last N changes as one new commit (refuses to clobber later edits).

        Undo commits and changes already undone are skipped, so each `ctx undo` walks one
        change further back: run it twice to take back the last two changes. There is no
        redo; a change undone by mistake is in `ctx log`, to add again.

        \b
        Examples:
          ctx undo              take back the last change
          ctx undo 2 --dry-run  show what taking back the last two would change
        """
        from ctxtree.service import history
        from ctxtree.service.session import open_session

        result = history.undo(open_session(tree, actor=author), count, dry_run=dry_run)
        if json_out:
            emit_json(result.to_json())
            return
        rows = table([(c.sha[:10], c.subject) for c in result.undone])
        if result.diff is not None:
            for line in rows:
                note(f"would undo: {line}")
            sys.stdout.write(result.diff)
            note(f"dry run: would undo {plural(len(result.undone), 'commit')}; nothing changed")
            return
        confirm(f"undid {plural(len(result.undone), 'commit')} ({(result.commit or '')[:10]}):")
        for line in rows:
            confirm(f"  {line}")

    @app.command()
    @handled
    def blame(
        entry_id: EntryArg,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Who, what and when for each part of an entry: every frontmatter value (title,
        summary, each tag, keyword, relation, source), section and fact (body line), with the
        commit, actor, time and op that introduced it; follows `ctx mv` and archive moves.

        \b
        Examples:
          ctx blame auth/jwt/refresh-rotation
          ctx blame auth/jwt/refresh-rotation --json
        """
        from ctxtree.service import blame as blaming
        from ctxtree.service.session import open_session

        parts = blaming.blame(open_session(tree), entry_id)
        if json_out:
            emit_json([p.to_json() for p in parts])
            return
        rows = []
        for part in parts:
            c = part.commit
            label = "" if part.kind == "fact" else part.kind
            text = ("  " if part.kind == "fact" and part.section else "") + part.text
            text = text if len(text) <= 60 else text[:59] + "…"
            if c is None:
                rows.append((f"{part.line:>3}", label, text, blaming.UNCOMMITTED, "", "", ""))
                continue
            actor = c.trailer("Ctx-Actor") or c.author
            when = c.time[:16].replace("T", " ")
            rows.append((f"{part.line:>3}", label, text, c.sha[:10], actor, when, c.op or "-"))
        for line in table(rows):
            out(line)

    @app.command()
    @handled
    def forget(
        entry_id: Annotated[
            str | None,
            typer.Argument(
                metavar="[ID]",
                help="Entry id (current or archived); with --recursive a folder.",
            ),
        ] = None,
        matching: MatchingOpt = None,
        purge: Annotated[
            bool, typer.Option("--purge", help="Also remove it from the store's git history.")
        ] = False,
        recursive: Annotated[
            bool,
            typer.Option(
                "--recursive",
                "-r",
                help="Forget a folder: every entry in it (archived too), its overviews and "
                "summaries.",
            ),
        ] = False,
        fact: Annotated[
            str | None,
            typer.Option(
                "--fact", metavar="TEXT", help="Forget one fact of the entry, keep the rest."
            ),
        ] = None,
        yes: Annotated[
            bool,
            typer.Option("--yes", "-y", help="Do not ask to confirm --purge or --recursive."),
        ] = False,
        author: AuthorOpt = None,
        dry_run: Annotated[
            bool,
            typer.Option("--dry-run", help="Print the diff (and the commits a purge rewrites)."),
        ] = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Remove knowledge on purpose: the entry (current or archived), every relation and
        [[link]] to it in other entries (links become plain text), and its cached search rows,
        in one commit. Unlike `rm` it never refuses because of references; `ctx undo` brings
        it back.

        --purge also removes it from the history, for secrets or personal data: every version
        at every path it had (moves and archive moves followed), its id in other entries' old
        versions and in commit messages (replaced by "(forgotten)"/"[forgotten]"); then the
        reflogs are expired and `git gc --prune=now` deletes the old objects. It cannot be
        undone, needs a clean store (no uncommitted changes), and asks to confirm (--yes to
        skip; required when stdin is not a terminal). Limits: text that was copied into OTHER
        entries is not purged (a warning names the files where its lines still appear);
        clones, remotes and backups keep the old history until they are rewritten too
        (`ctx sync --push-purge` rewrites the remote's branch). The purged commits' old
        shas are recorded in `.ctx-purged` so `ctx sync` never merges or pushes them back.

        --fact TEXT forgets one fact of the entry (named as `ctx edit --drop-fact` names it)
        and keeps the rest; its commit does not repeat the text. With --purge every commit
        is rewritten without it (file versions and messages), the other facts kept.

        --recursive forgets a whole folder (a domain or topic, e.g. an imported transcript's
        session) in one commit, after listing it and asking (--yes to skip). It does not
        purge: forget the folder, then purge its entries one by one.

        \b
        Examples:
          ctx forget auth/jwt/old-notes
          ctx forget people/alice/phone --purge --dry-run
          ctx forget conversations/s01 --recursive --yes
          ctx forget people/alice/profile --fact "phone 555-0100" --purge --yes
          ctx forget --matching "alice@acme.io" --purge --dry-run

        --matching QUERY selects by description instead of id: every entry holding an email,
        handle, phone/ID/card number or non-Latin name of QUERY in any written form
        (ALICE@ACME.IO = alice@acme.io, 123-45-6789 = 123456789, 王小明 = Wang Xiaoming);
        else every entry naming all its capitalised names (and relation words such as
        phone, employer); else every entry holding all its words (employer also matches
        works, job, company). --dry-run lists the selection with reasons; more than
        3 entries, or any --purge, needs --yes when stdin is not a terminal.
        """
        from ctxtree.service import forget as forgetting
        from ctxtree.service.session import open_session

        if (entry_id is None) == (matching is None):
            raise UsageError(
                "give an entry ID or --matching QUERY (one of them)", "ctx forget --help"
            )
        session = open_session(tree, actor=author)
        if matching is not None:
            if recursive:
                raise UsageError("--recursive takes a folder ID, not --matching", "")
            if fact is not None:
                raise UsageError("--fact names one fact of one entry ID, not --matching", "")
            _forget_matching(session, matching, purge, yes, dry_run, json_out)
            return
        assert entry_id is not None
        if recursive:
            if fact is not None:
                raise UsageError("--fact names one fact of one entry", "drop --recursive")
            _forget_folder(session, entry_id, purge, yes, dry_run, json_out)
            return
        if purge and not dry_run and not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    "--purge rewrites the store's history and cannot be undone; "
                    "stdin is not a terminal, so it cannot ask",
                    "pass --yes to confirm (see first what it does with --dry-run)",
                )
            if not typer.confirm(
                f"Remove {'a fact of ' * (fact is not None)}{entry_id} from the store and "
                "from all of its git history? "
                "This cannot be undone",
                default=False,
                err=True,
            ):
                raise UsageError("not confirmed; nothing changed", "")
        if fact is not None:
            _forget_fact(session, entry_id, fact, purge, dry_run, json_out)
            return
        result = forgetting.forget(session, entry_id, purge=purge, dry_run=dry_run)
        report = result.purge
        if json_out:
            emit_json(result.to_json())
        elif result.diff is not None:
            sys.stdout.write(result.diff)
            if report is not None:
                plan = report.plan
                for line in table([(sha[:10], subject) for sha, subject in plan.touched]):
                    out(f"would rewrite: {line}")
                note(
                    f"dry run: the purge would rewrite {plan.rewritten} of "
                    f"{plural(plan.commits, 'commit')} ({len(plan.dropped)} left empty would be "
                    "removed); nothing changed"
                )
            else:
                note("dry run: nothing changed")
        else:
            if result.commit:
                confirm(f"forgot {result.id} ({result.commit[:10]})")
            if result.changed:
                confirm(f"  links to it removed in: {', '.join(result.changed)}")
            if report is not None:
                plan = report.plan
                out(
                    f"purged {result.id} from the history: {plan.rewritten} of "
                    f"{plural(plan.commits, 'commit')} rewritten, {len(plan.dropped)} removed "
                    f"({report.seconds:.1f} s)"
                )
        if report is not None:
            _purge_warnings(report)


def _forget_fact(
    session: Session, entry_id: str, fact: str, purge: bool, dry_run: bool, json_out: bool
) -> None:
    from ctxtree.service import facts

    result = facts.forget_fact(session, entry_id, fact, purge=purge, dry_run=dry_run)
    report = result.purge
    if json_out:
        emit_json(result.to_json())
    elif result.diff is not None:
        sys.stdout.write(result.diff)
        note("dry run: nothing changed")
    else:
        confirm(f"forgot a fact of {result.id} ({(result.commit or '')[:10]})")
        if report is not None:
            plan = report.plan
            out(
                f"purged the fact from the history: {plan.rewritten} of "
                f"{plural(plan.commits, 'commit')} rewritten ({report.seconds:.1f} s)"
            )
    if report is not None:
        _purge_warnings(report)


# Forgetting by description takes at most this many entries without --yes or a prompt.
UNCONFIRMED_MATCHES = 3


def _forget_matching(
    session: Session, query: str, purge: bool, yes: bool, dry_run: bool, json_out: bool
) -> None:
    from ctxtree.service import forget as forgetting

    selection = forgetting.select_matching(session, query)
    if not selection.matches:
        from ctxtree.errors import NotFoundError

        raise NotFoundError(
            f"no entry matches {query!r} ({selection.kind})",
            "check the wording with `ctx search`, or forget by id",
        )
    if dry_run:
        _show_selection(selection, json_out)
        return
    if (purge or len(selection.matches) > UNCONFIRMED_MATCHES) and not yes:
        what = "purge" if purge else "forget"
        if not sys.stdin.isatty():
            raise UsageError(
                f"would {what} {plural(len(selection.matches), 'entry')} matching {query!r}; "
                "stdin is not a terminal, so it cannot ask",
                "check the list with --dry-run, then pass --yes",
            )
        for line in _selection_lines(selection):
            note(line)
        if not typer.confirm(f"{what.capitalize()} these entries?", default=False, err=True):
            raise UsageError("not confirmed; nothing changed", "")
    results = forgetting.forget_matching(session, selection, purge=purge)
    if json_out:
        emit_json({**selection.to_json(), "forgotten": [r.to_json() for r in results]})
        return
    for result in results:
        whole = isinstance(result, forgetting.ForgetResult)
        what = result.id if whole else f"a fact of {result.id}"
        confirm(f"forgot {what} ({(result.commit or '')[:10]})")


def _selection_lines(selection: Selection) -> list[str]:
    lines = []
    for match in selection.matches:
        lines.append(f"{match.id}  {match.title}")
        lines += [f"    because: {reason}" for reason in match.reasons]
        lines += [f"    line: {line}" for line in match.lines]
        lines += [f"    only the fact: {fact}" for fact in match.facts]
    return lines


def _show_selection(selection: Selection, json_out: bool) -> None:
    if json_out:
        emit_json({**selection.to_json(), "dry_run": True})
        return
    for line in _selection_lines(selection):
        out(line)
    note(
        f"dry run: {plural(len(selection.matches), 'entry')} match by {selection.kind}; "
        "nothing changed"
    )


def _forget_folder(
    session: Session, folder: str, purge: bool, yes: bool, dry_run: bool, json_out: bool
) -> None:
    from ctxtree.cli.entry_cmds import confirm_folder_removal
    from ctxtree.service import entries
    from ctxtree.service import forget as forgetting

    if purge:
        raise UsageError(
            "--purge takes one entry at a time: each purge rewrites the whole history",
            f"forget the folder (`ctx forget {folder} --recursive`), then purge its entries "
            "one by one (`ctx forget ID --purge`)",
        )
    listing = entries.folder_listing(session, folder, areas=("tree", "archive"))
    if not dry_run:
        confirm_folder_removal(listing, "forget", yes)
    result = forgetting.forget_folder(session, folder, dry_run=dry_run)
    if json_out:
        emit_json(result.to_json())
    elif result.diff is not None:
        sys.stdout.write(result.diff)
        note("dry run: nothing changed")
    else:
        confirm(
            f"forgot {result.id}/: {plural(len(result.removed), 'entry')}, "
            f"{plural(len(listing.files), 'file')} ({(result.commit or '')[:10]})"
        )
        if result.changed:
            confirm(f"  links to it removed in: {', '.join(result.changed)}")


def _purge_warnings(report: PurgeReport) -> None:
    if report.unsettled:
        warn(
            "the rewrite changed files that are on disk as before: "
            f"{', '.join(report.unsettled)}; see `ctx diff`, then commit or discard them"
        )
    for path in report.leftovers:
        warn(f"its text or id still appears in {path} (copied there; forget or edit it too)")
    where = f" (remotes: {', '.join(report.remotes)})" if report.remotes else ""
    verb = "would still have" if report.dry_run else "still has"
    sync = (
        "; `ctx sync --push-purge` replaces a remote's branch, teammates' `ctx sync` then "
        "tells them to re-clone"
        if report.remotes
        else ""
    )
    warn(
        f"every clone, remote and backup of this store {verb} the old history{where}: "
        f"rewrite or re-clone each of them too{sync}"
    )
