"""`ctx import ...`: other formats into the tree, one commit per import."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import TURNS, AuthorOpt, DryRunOpt, JsonOpt, TreeOpt, bounded_option
from ctxtree.cli.output import confirm, emit_json, note
from ctxtree.tree.sourcefiles import MAX_FILE_BYTES
from ctxtree.wording import plural

if TYPE_CHECKING:
    from ctxtree.curation.importers.records import Imported
    from ctxtree.service.imports import ImportReport
    from ctxtree.service.session import Session

app = typer.Typer(
    help="Import knowledge from other formats.\n\n\b\nExamples:\n"
    "  ctx import markdown ~/notes/vault\n"
    "  ctx import agents-file CLAUDE.md\n"
    "  ctx import json export.json\n"
    "  ctx import transcript chat.jsonl",
    rich_markup_mode=None,
    no_args_is_help=True,
)


def read_input(
    file: str, what: str = "transcript", max_bytes: int = 256 * 1024 * 1024
) -> tuple[str, str]:
    """(name, text) of FILE, or of stdin for `-`, read up to `max_bytes`; binary and
    non-UTF-8 input is refused."""
    from ctxtree.errors import InvalidEntryError, NotFoundError, UsageError
    from ctxtree.service.content import decode_input

    if file == "-":
        name, data = "stdin", sys.stdin.buffer.read(max_bytes + 1)
    else:
        path = Path(file)
        try:
            with path.open("rb") as handle:
                name, data = path.name, handle.read(max_bytes + 1)
        except FileNotFoundError:
            raise NotFoundError(f"no file {file}", "check the path") from None
        except IsADirectoryError:
            raise UsageError(f"{file} is a directory", "pass a file, or - for stdin") from None
    label = f"the {what} on stdin" if file == "-" else f"{what} {name}"
    if len(data) > max_bytes:
        raise InvalidEntryError(
            f"{label} is over the {max_bytes:,}-byte limit", "split it into smaller pieces"
        )
    return name, decode_input(data, label)


ReplaceOpt = Annotated[
    bool,
    typer.Option(
        "--replace",
        help="Take the source's version of changed entries even where it drops facts, "
        "and remove entries an earlier import made that the source no longer has.",
    ),
]
TrustOpt = Annotated[
    str, typer.Option("--trust", help="Trust of the imported entries: user, agent or external.")
]


def slug_option(value: str, flag: str) -> str:
    """A --domain/--topic value, refused as a usage error unless it is one slug ('' passes)."""
    from ctxtree.errors import InvalidEntryError, UsageError
    from ctxtree.tree.paths import check_segment

    if value:
        try:
            check_segment(value, value)
        except InvalidEntryError as exc:
            raise UsageError(f"bad value for {flag}: {exc.message}", exc.hint) from None
    return value


def index_after_import(session: Session) -> None:
    """A bulk import is the moment to index and count tokens: the first query after it then
    never loads the tokenizer (~300 ms). Best effort: the import itself has landed."""
    from ctxtree.errors import CtxError
    from ctxtree.service import recall

    try:
        recall.count_tokens(session)
    except (CtxError, OSError) as exc:
        note(f"imported, but indexing failed ({exc}); the next read will retry")


def run_import(
    read: Callable[[], Imported],
    *,
    fmt: str,
    label: str,
    tree: str | None,
    author: str | None,
    trust: str | None,
    dry_run: bool,
    replace: bool,
    json_out: bool,
) -> None:
    """The body of every `ctx import FORMAT` command but transcript: open the store, let the
    format read its source (`read`), write it through the import use case with a progress
    bar, and render the report."""
    from ctxtree.cli import render
    from ctxtree.service.imports import import_records
    from ctxtree.service.session import open_session

    session = open_session(tree, actor=author)
    imported = read()
    with render.progress(f"importing {fmt}") as advance:
        report = import_records(
            session, imported, fmt=fmt, label=label, dry_run=dry_run, replace_all=replace,
            trust=trust, progress=advance,
        )  # fmt: skip
    if report.commit:
        index_after_import(session)
    render_report(report, json_out)


def render_report(report: ImportReport, json_out: bool) -> None:
    if json_out:
        emit_json(report.to_json())
        return
    for skip in report.skipped[:20]:
        note(f"skipped {skip.path}: {skip.reason}")
    if len(report.skipped) > 20:
        note(f"skipped {len(report.skipped) - 20} more (--json lists them all)")
    if report.dropped:
        note("dropped: " + ", ".join(f"{n} × {what}" for what, n in report.dropped))
    if report.diff is not None:
        sys.stdout.write(report.diff)
        note(f"dry run: {report.fmt} import of {report.label} would be {report.counts()}")
        return
    commit = f" ({report.commit[:10]})" if report.commit else "; nothing written"
    confirm(f"{report.fmt} import of {report.label}: {report.counts()}{commit}")
    if report.removed:
        confirm(f"  removed {plural(len(report.removed), 'entry')} the source no longer has")


@app.command("markdown")
@handled
def markdown(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A folder of notes or a vault.")],
    domain: Annotated[str, typer.Option("--domain", help="Put every note under this domain.")] = "",
    trust: TrustOpt = "user",
    replace: ReplaceOpt = False,
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import a folder of markdown notes: an Obsidian vault, a docs/ folder, notes with or
    without frontmatter. Folders map to domain/topic/subtopic (deeper ones join the entry's
    name); [[wikilinks]] between notes become related relations; tags and aliases are kept.
    Hidden (.obsidian/), binary, non-UTF-8, huge and linked files are skipped with reasons.
    Importing again changes only what changed.

    \b
    Examples:
      ctx import markdown ~/vaults/work
      ctx import markdown docs --domain docs --dry-run
      ctx import markdown docs --domain docs --replace
    """
    from ctxtree.curation.importers import markdown as reader
    from ctxtree.tree.sourcefiles import read_folder

    def read() -> Imported:
        found = read_folder(folder)
        return reader.read(found.files, found.skipped, domain=slug_option(domain, "--domain"))

    run_import(
        read, fmt=reader.FORMAT, label=str(folder), tree=tree, author=author, trust=trust,
        dry_run=dry_run, replace=replace, json_out=json_out,
    )  # fmt: skip


@app.command("agents-file")
@handled
def agents_file(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="CLAUDE.md, AGENTS.md or a .cursor rule (.mdc).")
    ],
    domain: Annotated[str, typer.Option("--domain", help="Domain to import into.")] = (
        "instructions"
    ),
    topic: Annotated[
        str, typer.Option("--topic", help="Topic (default: from the file name).")
    ] = "",
    trust: TrustOpt = "user",
    replace: ReplaceOpt = False,
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import an agent's instruction file: one entry per `##` section (kind procedure, rule,
    fact or convention by what it says), the text above them as the topic's context.md. A
    Cursor rule's globs become the entries' anchors. The section `ctx export agents-file`
    wrote is left out: it came from the store. Importing again changes only what changed.

    \b
    Examples:
      ctx import agents-file CLAUDE.md
      ctx import agents-file .cursor/rules/python.mdc --dry-run
      ctx import agents-file packages/api/AGENTS.md --topic api-agents
    """
    from ctxtree.curation.importers import agents_file as reader

    def read() -> Imported:
        name, text = read_input(file, "agents file", max_bytes=MAX_FILE_BYTES)
        where = file if file != "-" else name
        domain_slug, topic_slug = slug_option(domain, "--domain"), slug_option(topic, "--topic")
        return reader.read(text, where, domain=domain_slug, topic=topic_slug)

    run_import(
        read, fmt=reader.FORMAT, label=file, tree=tree, author=author, trust=trust,
        dry_run=dry_run, replace=replace, json_out=json_out,
    )  # fmt: skip


@app.command("json")
@handled
def json_export(
    file: Annotated[str, typer.Argument(metavar="FILE", help="A `ctx export json` file, or -.")],
    trust: Annotated[
        str | None,
        typer.Option("--trust", help="Set every entry's trust (default: as exported)."),
    ] = None,
    replace: ReplaceOpt = False,
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import a `ctx export json` file: every entry with all its fields (authors, dates,
    lifecycle, sources, validity), so a fresh store gets the same entry files. Entries the
    store holds with the same knowledge are left alone.

    \b
    Examples:
      ctx export json --out team.json && ctx --tree ../other import json team.json
      ctx import json team.json --dry-run
    """
    from ctxtree.curation.importers import json_export as reader

    def read() -> Imported:
        name, text = read_input(file, "export")
        return reader.read(text, name)

    run_import(
        read, fmt=reader.FORMAT, label=file, tree=tree, author=author, trust=trust,
        dry_run=dry_run, replace=replace, json_out=json_out,
    )  # fmt: skip


@app.command("transcript")
@handled
def transcript(
    file: Annotated[str, typer.Argument(metavar="FILE", help="JSON Lines transcript, or -.")],
    domain: Annotated[str, typer.Option("--domain", help="Domain to import into.")] = (
        "conversations"
    ),
    fmt: Annotated[str, typer.Option("--format", help="Input format: jsonl.")] = "jsonl",
    window: Annotated[
        int, bounded_option("--window", bounds=TURNS, help="Consecutive turns per entry.")
    ] = 10,
    redact: Annotated[bool, typer.Option(help="Mask secrets instead of refusing.")] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Replace what an earlier import of this file made, in one commit."
        ),
    ] = False,
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import a chat transcript: one topic per session, one entry per window of turns.

    Each line of FILE is a JSON object with id, session, time, speaker, text and optionally
    conversation. Importing the same file again is a no-op when nothing changed
    ("unchanged"); when it did, the import is refused unless --replace, which removes what
    the earlier import of that file made (entries whose source is transcript:FILE in the
    domain, and topics left empty) and writes the new one, in one commit.

    \b
    Examples:
      ctx import transcript chat.jsonl --domain conversations
      cat chat.jsonl | ctx import transcript - --dry-run
      ctx import transcript chat.jsonl --replace
    """
    from ctxtree.service.imports import import_transcript
    from ctxtree.service.session import open_session

    session = open_session(tree, actor=author)
    name, text = read_input(file)
    result = import_transcript(
        session,
        text,
        domain,
        name=name,
        window=window,
        fmt=fmt,
        redact=redact,
        dry_run=dry_run,
        replace_earlier=replace,
    )
    if result.status == "unchanged":
        if json_out:
            emit_json(result.to_json())
        else:
            note(
                f"unchanged: {result.source} was imported into {result.domain}/ before with "
                "the same content; nothing written"
            )
        return
    if result.diff is not None:
        if json_out:
            emit_json(result.to_json())
        else:
            sys.stdout.write(result.diff)
            note(
                f"dry run: would import {plural(result.turns, 'turn')} as "
                f"{plural(len(result.ids), 'entry')}"
            )
        return
    index_after_import(session)
    if json_out:
        emit_json(result.to_json())
        return
    if result.redacted:
        note(f"masked secrets in {plural(result.redacted, 'turn')}")
    commit = f" ({result.commit[:10]})" if result.commit else ""
    verb = "replaced the earlier import:" if result.status == "replaced" else "imported"
    confirm(
        f"{verb} {plural(result.turns, 'turn')} from {result.source}: "
        f"{plural(len(result.ids), 'entry')} in {plural(len(result.topics), 'topic')} "
        f"under {result.domain}/{commit}"
    )
    if result.removed:
        confirm(f"  removed {plural(len(result.removed), 'entry')} it no longer makes")
