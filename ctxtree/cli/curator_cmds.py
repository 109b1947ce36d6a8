"""`ctx curate`: a configured model, or the host agent (--for-agent), curates an input."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ctxtree.cli.curate_cmds import RedactOpt, _print_report, closing_note
from ctxtree.cli.errors import handled
from ctxtree.cli.options import (
    AuthorOpt,
    CommandOpt,
    JsonOpt,
    ModelOpt,
    ScopeOpt,
    TreeOpt,
    bounded_option,
)
from ctxtree.cli.output import emit_json, note, out
from ctxtree.wording import plural

if TYPE_CHECKING:
    from ctxtree.service.curator import CurateResult
    from ctxtree.service.session import Session

CHUNK = (200, 200_000)  # curate --chunk-tokens


def register(app: typer.Typer) -> None:
    @app.command()
    @handled
    def curate(
        text: Annotated[
            str | None,
            typer.Argument(
                metavar="[TEXT|-]", help="Text to curate, or - for stdin.", show_default=False
            ),
        ] = None,
        files: Annotated[
            list[str] | None,
            typer.Option("--file", "-f", metavar="F", help="A file to curate (repeatable)."),
        ] = None,
        diff: Annotated[
            str | None,
            typer.Option(
                "--diff",
                metavar="REV",
                help="Curate `git diff REV` of the project.",
                show_default=False,
            ),
        ] = None,
        transcript: Annotated[
            str | None,
            typer.Option(
                "--transcript",
                metavar="FILE",
                help="A chat transcript (JSON Lines).",
                show_default=False,
            ),
        ] = None,
        episode: Annotated[
            str | None,
            typer.Option(
                "--episode",
                metavar="ID",
                help="A captured session or commit episode.",
                show_default=False,
            ),
        ] = None,
        trust: Annotated[
            str | None,
            typer.Option(
                "--trust",
                metavar="T",
                show_default=False,
                help="Trust of what the input yields: user, agent or external "
                "(default: user for text, files and diffs; agent for transcripts "
                "and episodes).",
            ),
        ] = None,
        for_agent: Annotated[
            bool,
            typer.Option("--for-agent", help="Print a brief for your agent instead; no model."),
        ] = False,
        abstracts: Annotated[
            bool,
            typer.Option(
                "--abstracts",
                help="Instead: write folder abstracts (_index.md, context.md) for --scope.",
            ),
        ] = False,
        scope: ScopeOpt = "",
        chunk_tokens: Annotated[
            int, bounded_option("--chunk-tokens", bounds=CHUNK, help="Tokens per model call.")
        ] = 3000,
        model: ModelOpt = None,
        llm_command: CommandOpt = None,
        redact: RedactOpt = False,
        author: AuthorOpt = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show the plan and its diff; write nothing.")
        ] = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Turn an input into memory: a model proposes a plan (the `ctx apply` format) and
        it is applied as `ctx apply` applies one, in one commit, or not at all.

        The model sees the input and the entries it may duplicate or contradict, so it
        UPDATEs or MERGEs rather than adding a duplicate, and SUPERSEDEs what the input
        contradicts. Each new or updated entry records the input as a source and carries at
        most the input's trust (--trust). Long inputs go in chunks of --chunk-tokens, each
        seeing what the earlier ones proposed. A plan that is not valid JSON or fails
        validation goes back to the model twice; then nothing is written. An episode stays
        as captured: what is learnt from it links to it, and it is marked curated.

        With --for-agent no model is needed: it prints a brief (input, related entries,
        rules, plan format) for your coding agent to answer with `ctx apply -`.

        \b
        Examples:
          ctx curate "We moved CI to self-hosted runners; the hosted ones timed out"
          git diff HEAD~1 | ctx curate - --dry-run
          ctx curate --file docs/adr/0007-queues.md --model gpt-4o-mini
          ctx curate --episode sessions/claude-code/abc123 --for-agent
          ctx curate --abstracts --scope auth
        """
        from ctxtree.cli.import_cmds import read_input
        from ctxtree.errors import UsageError
        from ctxtree.service import curator
        from ctxtree.service.session import open_session

        if for_agent and (dry_run or model or llm_command):
            raise UsageError(
                "--for-agent needs no model and writes nothing",
                "drop --dry-run, --model and --llm-command",
            )
        given = text is not None or files or diff or transcript or episode
        if abstracts and (given or for_agent):
            raise UsageError(
                "--abstracts curates folders, not an input", "run it on its own, with --scope"
            )
        if scope and not abstracts:
            raise UsageError("--scope goes with --abstracts", "add --abstracts, or drop --scope")
        session = open_session(tree, actor=author)
        if abstracts:
            _abstracts(session, scope, model, llm_command, dry_run, json_out)
            return
        typed = read_input("-", "text")[1] if text == "-" else text
        inputs = curator.Inputs(
            text=typed,
            text_from="stdin" if text == "-" else "argument",
            files=tuple(read_input(f, "file") for f in files or ()),
            diff=diff,
            transcript=read_input(transcript) if transcript else None,
            episode=episode,
            trust=trust,
        )
        materials = curator.gather(session, inputs, Path.cwd())
        if for_agent:
            brief = curator.brief_for_agent(session, materials)
            emit_json({"brief": brief}) if json_out else sys.stdout.write(brief)
            return
        from ctxtree.cli import render

        with render.progress("curating") as advance:
            result = curator.curate(
                session, os.environ, materials, model=model, command=llm_command,
                chunk_tokens=chunk_tokens, dry_run=dry_run, redact=redact, progress=advance,
            )  # fmt: skip
        _report(result, json_out, dry_run)


def _abstracts(
    session: Session, scope: str, model: str | None, command: str | None, dry_run: bool,
    as_json: bool,
) -> None:  # fmt: skip
    from ctxtree.cli import render
    from ctxtree.service.abstracts import write_abstracts

    with render.progress("abstracts") as advance:
        result = write_abstracts(
            session, os.environ, scope, model=model, command=command, dry_run=dry_run,
            progress=advance,
        )  # fmt: skip
    if as_json:
        emit_json(result.to_json())
        return
    for relpath in result.written:
        out(f"{'would write' if dry_run else 'wrote'} {relpath}")
    if result.diff:
        sys.stdout.write(result.diff)
    calls = plural(result.usage.calls, "model call")
    current = plural(len(result.cached), "folder")
    note(f"{result.model}: {calls}; {current} already current")
    if result.commit:
        note(f"committed {result.commit[:10]}")


def _report(result: CurateResult, as_json: bool, dry_run: bool) -> None:
    applied = result.applied
    if as_json:
        emit_json(result.to_json())
    elif applied is not None:
        _print_report(applied, False)
    if applied is not None and (error := applied.error()) is not None:
        raise error
    if as_json:
        return
    calls = plural(result.usage.calls, "model call")
    tokens = f", {result.usage.total_tokens:,} tokens" if result.usage.total_tokens else ""
    fixed = f", {plural(result.corrections, 'correction')}" if result.corrections else ""
    note(f"{result.model}: {plural(result.chunks, 'part')}, {calls}{tokens}{fixed}")
    if not result.plan["operations"]:
        note("the model found nothing worth keeping in the input")
    if result.episodes:
        verb = "would mark" if dry_run else "marked"
        note(f"{verb} curated: {', '.join(result.episodes)}")
    if applied is None:
        note("nothing changed; no commit")
    else:
        closing_note(applied)
