"""Recording a commit of the user's project (the git `post-commit` hook, SPEC §7): the commit
becomes an `episode` entry, related to the entries whose `anchors` it touched, and those
entries are flagged stale, all in one commit of the store."""

from __future__ import annotations

from ctxtree.curation.anchors import touched
from ctxtree.service import operations as ops
from ctxtree.service.review import flagged
from ctxtree.service.session import Session
from ctxtree.service.workspace import Workspace, WriteResult, run
from ctxtree.tree.model import Entry, Relation, Source
from ctxtree.tree.project import Commit

EPISODES = "episodes/commits"
MAX_FILES = 200  # listed in the episode's body; a huge commit says how many more


def episode_id(commit: Commit) -> str:
    return f"{EPISODES}/{commit.date[:10] or 'undated'}-{commit.sha[:10]}"


def episode(commit: Commit, related: list[str]) -> Entry:
    """The commit as an episode: subject as title, message body, changed files with stats."""
    files = [f.line() for f in commit.files[:MAX_FILES]]
    if len(commit.files) > MAX_FILES:
        files.append(f"- … and {len(commit.files) - MAX_FILES} more files")
    message = "\n".join(
        line for line in commit.body.strip().splitlines() if not line.lower().startswith("co-")
    ).strip()
    parts = [message, f"Commit {commit.sha[:12]} by {commit.author} on {commit.date}."]
    if files:
        parts.append("Changed files:\n" + "\n".join(files))
    agent = commit.agent()
    return Entry(
        id=episode_id(commit),
        title=commit.subject.strip() or f"commit {commit.sha[:12]}",
        summary=f"Commit {commit.sha[:12]}: {len(commit.files)} files changed",
        body="\n\n".join(p for p in parts if p) + "\n",
        kind="episode",
        tags=("commit",),
        relations=tuple(Relation("related", i) for i in related),
        sources=(Source("commit", commit.sha[:12]),),
        author=agent or f"human:{commit.author}",
        trust="agent" if agent else "user",
    )


def record_commit(session: Session, commit: Commit) -> WriteResult:
    """One store commit: the episode, and the stale flag on every entry anchored to a changed
    file. Files inside the store itself (`.ctx/`) are never anchors."""
    paths = tuple(f.path for f in commit.files if not f.path.startswith(".ctx/"))

    def action(ws: Workspace) -> None:
        hits: list[tuple[Entry, tuple[str, ...]]] = []
        for entry in ws.session.store.entries(contains="anchors")[0]:
            changed = touched(entry.anchors, paths)
            if changed:
                hits.append((entry, changed))
        for entry, changed in hits:
            ws.put(flagged(entry, commit.ref, changed))
        if ws.entry(episode_id(commit)) is None:  # a re-run (amend to the same sha) adds none
            ops.do_add(ws, episode(commit, [e.id for e, _ in hits]))

    return run(
        session, "commit", f"record {commit.ref}: {commit.subject.strip()[:60]}", action,
        (episode_id(commit),), sources=[commit.ref], redact=True,
    )  # fmt: skip
