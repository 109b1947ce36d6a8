"""`ctx review list|show|accept|reject`: the review inbox of external writes (service/inbox.py)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import AuthorOpt, DryRunOpt, JsonOpt, TreeOpt
from ctxtree.cli.output import emit_json, note, out, table

ItemsArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="ITEM...", help="Inbox items: the ids of the entries they propose."),
]
AllOpt = Annotated[bool, typer.Option("--all", help="Every item in the inbox.")]


def list_items(tree: TreeOpt = None, json_out: JsonOpt = False) -> None:
    """List the writes of external content waiting for review (config review.external: inbox).

    \b
    Examples:
      ctx review list
      ctx review list --json
    """
    from ctxtree.service import inbox
    from ctxtree.service.session import open_session

    items = inbox.listing(open_session(tree))
    if json_out:
        emit_json([i.to_json() for i in items])
        return
    rows = [
        (i.proposal.id, i.proposal.op, i.proposal.proposed_by, i.proposal.entry.title)
        for i in items
    ]
    for line in table(rows):
        out(line)
    for item in items:
        if item.conflict:
            note(f"{item.proposal.id}: {item.conflict}")
    if not items:
        note("the review inbox is empty")


def show_item(
    item: Annotated[str, typer.Argument(metavar="ITEM", help="The entry id the item proposes.")],
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show an inbox item: who proposed it, when, and the diff it would make to the tree.

    \b
    Examples:
      ctx review show auth/jwt/refresh-rotation
    """
    from ctxtree.service import inbox
    from ctxtree.service.session import open_session

    found = inbox.show(open_session(tree), item)
    p = found.proposal
    if json_out:
        emit_json(found.to_json() | {"entry": p.entry.to_json(), "diff": found.diff})
        return
    sources = ", ".join(s.render() for s in p.entry.sources) or "none"
    out(f"{p.op} {p.id}: proposed by {p.proposed_by} at {p.proposed_at}")
    out(f"author {p.entry.author} · trust {p.entry.trust} · sources {sources}")
    if found.conflict:
        out(f"conflict: {found.conflict}")
    out()
    sys.stdout.write(found.diff)


def accept(
    items: ItemsArg = None,
    every: AllOpt = False,
    dry_run: DryRunOpt = False,
    author: AuthorOpt = None,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Accept inbox items: each entry lands in the tree as proposed (its author, trust and
    sources kept), in one commit whose Ctx-Actor is you. Refused (exit 4) when the entry
    changed since an update was proposed.

    \b
    Examples:
      ctx review accept auth/jwt/refresh-rotation
      ctx review accept --all --dry-run
    """
    from ctxtree.cli.entry_cmds import report_write
    from ctxtree.service import inbox
    from ctxtree.service.session import open_session

    session = open_session(tree, actor=author)
    result = inbox.accept(session, items or [], every, dry_run)
    report_write(result, json_out, f"accepted {', '.join(result.ids)}")


def reject(
    items: ItemsArg = None,
    every: AllOpt = False,
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why, for the commit message.")
    ] = "",
    dry_run: DryRunOpt = False,
    author: AuthorOpt = None,
    tree: TreeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Reject inbox items: they are removed in one commit (history keeps what they proposed).

    \b
    Examples:
      ctx review reject notes/web/scraped-tip --reason "not true for our setup"
      ctx review reject --all
    """
    from ctxtree.cli.entry_cmds import report_write
    from ctxtree.service import inbox
    from ctxtree.service.session import open_session

    session = open_session(tree, actor=author)
    result = inbox.reject(session, items or [], every, reason, dry_run)
    report_write(result, json_out, f"rejected {', '.join(result.ids)}")


def add_commands(group: typer.Typer) -> None:
    group.command("list")(handled(list_items))
    group.command("show")(handled(show_item))
    group.command("accept")(handled(accept))
    group.command("reject")(handled(reject))
