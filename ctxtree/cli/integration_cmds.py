"""Integration commands: `ctx hooks install|uninstall|status|check` and `ctx review`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import AuthorOpt, JsonOpt, TreeOpt
from ctxtree.cli.output import emit_json, note, out, table
from ctxtree.wording import plural

hooks_app = typer.Typer(
    help="Install, list and remove the hooks that feed and use the memory: git (the store's "
    "pre-commit, the project's post-commit), Claude Code (.claude/settings.json), Codex "
    "(.codex/hooks.json, .codex/config.toml, AGENTS.md) and Cursor (.cursor/mcp.json, "
    ".cursor/rules/ctx.mdc).\n\n\b\n"
    "Examples:\n  ctx hooks install --all\n  ctx hooks status\n  ctx hooks uninstall --claude",
    rich_markup_mode=None,
    no_args_is_help=True,
)
review_app = typer.Typer(
    help="Review entries flagged stale because the code they are anchored to changed, and "
    "the inbox of external writes held for review (config review.external: inbox).\n\n\b\n"
    "Examples:\n  ctx review stale\n  ctx review ok auth/jwt/refresh-rotation\n"
    "  ctx review list\n  ctx review accept notes/web/tip",
    rich_markup_mode=None,
    no_args_is_help=True,
)

GitOpt = Annotated[
    bool, typer.Option("--git", help="Git hooks (store pre-commit, project post-commit).")
]
ClaudeOpt = Annotated[
    bool, typer.Option("--claude", help="Claude Code hooks in .claude/settings.json.")
]
CodexOpt = Annotated[
    bool,
    typer.Option("--codex", help="Codex: .codex/hooks.json, .codex/config.toml (MCP), AGENTS.md."),
]
CursorOpt = Annotated[
    bool, typer.Option("--cursor", help="Cursor: .cursor/mcp.json, .cursor/rules/ctx.mdc.")
]
AllOpt = Annotated[bool, typer.Option("--all", help="Every integration above.")]
Which = tuple[bool, bool, bool, bool]


def _which(git: bool, claude: bool, codex: bool, cursor: bool, every: bool, bare: Which) -> Which:
    """The integrations chosen: the flags, `--all` for every one, `bare` without a flag."""
    if every:
        return True, True, True, True
    if not (git or claude or codex or cursor):
        return bare
    return git, claude, codex, cursor


def _places(tree: str | None):  # type: ignore[no-untyped-def]
    from ctxtree.service import installer
    from ctxtree.service.session import open_session

    return installer.places(open_session(tree).store.root, Path.cwd())


def _change(tree: str | None, which: Which, json_out: bool, install: bool) -> None:
    """Install or uninstall the chosen integrations, then print what changed."""
    from ctxtree.service import agent_installer as agents
    from ctxtree.service import installer
    from ctxtree.service.session import open_session

    session = open_session(tree)
    where = installer.places(session.store.root, Path.cwd())
    report = installer.Report()
    do_git, do_claude, do_codex, do_cursor = which
    if do_git:
        (installer.install_git if install else installer.uninstall_git)(where, report)
    if do_claude:
        (installer.install_claude if install else installer.uninstall_claude)(where, report)
    if do_codex:
        if install:
            agents.install_codex(where, session, report)
        else:
            agents.uninstall_codex(where, report)
    if do_cursor:
        if install:
            agents.install_cursor(where, session, report)
        else:
            agents.uninstall_cursor(where, report)
    if json_out:
        emit_json(report.to_json())
        return
    for line in report.changes:
        out(line)
    for line in report.unchanged:
        note(line)
    if not report.changes:
        note("nothing changed")


@hooks_app.command("install")
@handled
def install(
    git: GitOpt = False, claude: ClaudeOpt = False, codex: CodexOpt = False,
    cursor: CursorOpt = False, every: AllOpt = False,
    tree: TreeOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Install hooks (git and Claude Code without a flag; --all adds Codex and Cursor).
    Idempotent; an existing git hook is kept and run first, other settings, hooks and MCP
    servers are kept; prints what changed.

    \b
    Examples:
      ctx hooks install --all
      ctx hooks install --git
      ctx hooks install --codex --cursor
    """
    _change(tree, _which(git, claude, codex, cursor, every, (True, True, False, False)),
            json_out, install=True)  # fmt: skip


@hooks_app.command("uninstall")
@handled
def uninstall(
    git: GitOpt = False, claude: ClaudeOpt = False, codex: CodexOpt = False,
    cursor: CursorOpt = False, every: AllOpt = False,
    tree: TreeOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Remove exactly what `ctx hooks install` added (all of it without a flag); a git hook
    it had kept aside is put back.

    \b
    Examples:
      ctx hooks uninstall
      ctx hooks uninstall --claude
    """
    _change(tree, _which(git, claude, codex, cursor, every, (True, True, True, True)),
            json_out, install=False)  # fmt: skip


@hooks_app.command("status")
@handled
def status(tree: TreeOpt = None, json_out: JsonOpt = False) -> None:
    """What is installed, and totals from the injection log (`ctx log --injections`).

    \b
    Examples:
      ctx hooks status
      ctx hooks status --json
    """
    from ctxtree.service import installer

    data = installer.status(_places(tree))
    if json_out:
        emit_json(data)
        return
    git = data["git"]
    assert isinstance(git, dict)
    rows = [(f"git {name}", state) for name, state in git.items()]
    events = data["claude"]
    assert isinstance(events, list)
    rows.append(("claude code", ", ".join(events) if events else "not installed"))
    codex, cursor = data["codex"], data["cursor"]
    assert isinstance(codex, dict) and isinstance(cursor, dict)
    rows.append(("codex hooks", ", ".join(codex["hooks"]) or "not installed"))
    rows.append(
        ("codex", _parts(codex, mcp="mcp server", features="hooks on", agents_md="AGENTS.md"))
    )
    rows.append(("cursor", _parts(cursor, mcp="mcp server", rule="rule ctx.mdc")))
    for line in table(rows):
        out(line)
    totals = data["injections"]
    assert isinstance(totals, dict)
    out(
        f"injections: {totals['injections']} ({plural(totals['tokens'], 'token')}) in "
        f"{plural(totals['sessions'], 'session')}; {plural(totals['silent'], 'silent prompt')}"
    )


def _parts(state: dict[str, object], **names: str) -> str:
    """'mcp server, AGENTS.md' for the parts installed; 'not installed' for none."""
    return ", ".join(label for key, label in names.items() if state.get(key)) or "not installed"


@hooks_app.command("check")
@handled
def check(tree: TreeOpt = None, json_out: JsonOpt = False) -> None:
    """What the store's pre-commit hook runs: refuse staged files that hold a credential or
    entries that do not parse (exit 5, one line per problem).

    \b
    Examples:
      ctx hooks check --json
    """
    from ctxtree.errors import InvalidEntryError
    from ctxtree.service.session import open_session
    from ctxtree.service.staged import staged_problems

    problems = staged_problems(open_session(tree).store.root)
    if json_out:
        emit_json([p.to_json() for p in problems])
    else:
        for problem in problems:
            out(f"{problem.path}: {problem.message}")
    if problems:
        raise InvalidEntryError(
            f"commit refused: {plural(len(problems), 'staged file')} with problems",
            "fix them (ctx lint helps), or commit through ctx",
        )


@review_app.command("stale")
@handled
def stale(tree: TreeOpt = None, json_out: JsonOpt = False) -> None:
    """List entries flagged stale: their anchored code changed since they were reviewed.

    \b
    Examples:
      ctx review stale
      ctx review stale --json
    """
    from ctxtree.service import review
    from ctxtree.service.session import open_session

    found = review.stale_entries(open_session(tree))
    if json_out:
        emit_json([s.to_json() for s in found])
        return
    rows = [(s.id, s.stale.since or "?", ", ".join(s.stale.paths)) for s in found]
    for line in table(rows):
        out(line)
    if not found:
        note("no stale entries")


@review_app.command("ok")
@handled
def ok(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="The entry reviewed.")],
    author: AuthorOpt = None,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Clear an entry's stale flag (one commit): it still holds, or you just fixed it.

    \b
    Examples:
      ctx review ok auth/jwt/refresh-rotation
    """
    from ctxtree.cli.entry_cmds import report_write
    from ctxtree.service import review
    from ctxtree.service.session import open_session

    result = review.mark_ok(open_session(tree, actor=author), entry_id)
    report_write(result, json_out, f"reviewed {entry_id}")


def register(app: typer.Typer) -> None:
    from ctxtree.cli.errors import Group

    app.add_typer(hooks_app, name="hooks", cls=Group)
    from ctxtree.cli import inbox_cmds

    inbox_cmds.add_commands(review_app)
    app.add_typer(review_app, name="review", cls=Group)
