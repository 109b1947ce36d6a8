"""`ctx demo`: build the sample store, then run real commands on it, narrated."""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from pathlib import Path

from ctxtree.cli.output import emit_json, out
from ctxtree.wording import plural

DEMO_PLAN = {
    "reason": "security review 2026-11",
    "operations": [
        {
            "op": "ADD",
            "id": "auth/jwt/access-token-ttl-5m",
            "title": "Access tokens live for 5 minutes",
            "kind": "decision",
            "summary": "Access JWTs now expire after 5 minutes; refresh rotation absorbs the load.",
            "tags": ["auth", "jwt", "security"],
            "keywords": ["access token", "TTL", "lifetime"],
            "relations": [{"type": "depends_on", "target": "auth/jwt/refresh-rotation"}],
            "sources": [{"type": "conversation", "ref": "security review 2026-11"}],
            "reason": "the review shortened the access token lifetime",
        },
        {
            "op": "SUPERSEDE",
            "old": "auth/jwt/access-token-ttl",
            "new": "auth/jwt/access-token-ttl-5m",
            "reason": "15 minutes was judged too long for a stolen token",
        },
    ],
}


def _run(args: list[str], root: Path) -> int:
    import typer.main

    from ctxtree.cli.app import build

    out(f"\n$ ctx {shlex.join(args)}")
    sys.stdout.flush()
    command = typer.main.get_command(build())
    code = command.main(args=[*args, "--tree", str(root)], prog_name="ctx", standalone_mode=False)
    sys.stdout.flush()
    return int(code or 0)


def _say(text: str) -> None:
    out(f"\n# {text}")


def run(directory: str | None, quiet: bool, as_json: bool) -> None:
    from ctxtree.service import demo

    os.environ.setdefault("CTX_ACTOR", "human:demo")
    base = Path(directory).absolute() if directory else Path(tempfile.mkdtemp(prefix="ctx-demo-"))
    base.mkdir(parents=True, exist_ok=True)
    session = demo.build(base)
    root = session.store.root
    entries, _bad = session.store.entries()
    if as_json:
        emit_json({"root": str(root), "entries": len(entries)})
        return
    out(f"Built a demo store with {plural(len(entries), 'entry')} at {root}")
    if quiet:
        return
    linked = max(entries, key=lambda e: (len(e.relations), e.importance, e.id))
    _say("What is in the store, and its last commit:")
    _run(["status"], root)
    _say("The hierarchy: domain / topic / entry.")
    _run(["tree", "--depth", "2"], root)
    _say("One entry: frontmatter carries kind, lifecycle, relations and provenance.")
    _run(["show", linked.id], root)
    _say("Its graph neighbourhood: outgoing relations and backlinks.")
    _run(["related", linked.id], root)
    _say("Search needs no LLM and no server: ranked hits with a calibrated confidence.")
    _run(["search", "refresh token reuse", "--limit", "3"], root)
    _say("Context packs the best material into a token budget, ready to pipe into a prompt.")
    _run(["context", "stripe webhook retries", "--budget", "250"], root)
    _say("Adding knowledge is one command and one git commit, with provenance.")
    new_id = "infra/ci/demo-cache-warmup"
    _run(
        [
            "add",
            new_id,
            "--title",
            "CI warms the wheel cache before tests",
            "--kind",
            "convention",
            "--tag",
            "ci",
            "--relate",
            f"related:{linked.id}",
            "--source",
            "manual:ctx-demo",
            "--author",
            "human:demo",
            "--body",
            "The first CI job builds wheels once and shares them with the test jobs.",
        ],
        root,
    )
    _say("Moving an entry rewrites every relation that points at it, in the same commit.")
    _run(["mv", new_id, "infra/ci/wheel-cache-warmup"], root)
    _run(["related", linked.id], root)
    _say("Every change is a commit you can read, diff and undo.")
    _run(["log", "-n", "4"], root)
    _run(["undo", "2"], root)
    _run(["ls", "infra"], root)
    _say("Agents curate through plans: checked whole, one commit, a status per operation.")
    plan = base / "demo-plan.json"
    plan.write_text(json.dumps(DEMO_PLAN, indent=1), encoding="utf-8")
    _run(["apply", str(plan)], root)
    _say("The superseded decision leaves default results; it stays for history.")
    _run(["search", "access token lifetime", "--limit", "2"], root)
    out(f"\nThe store is plain files in git: try `ctx --tree {root} tree`, or `git -C {root} log`.")
