"""Import use cases: other formats into the tree, each import one commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ctxtree.curation.importers import transcript
from ctxtree.errors import ConflictError, UsageError
from ctxtree.service.content import check_text, guard_secrets, refuse_token
from ctxtree.service.session import Session
from ctxtree.tree import frontmatter
from ctxtree.tree.paths import entry_relpath

FORMATS = ("jsonl",)


@dataclass(frozen=True)
class ImportResult:
    op: str
    source: str
    domain: str
    topics: tuple[str, ...]
    ids: tuple[str, ...]
    turns: int
    commit: str | None
    redacted: int = 0
    diff: str | None = None

    def to_json(self) -> dict[str, object]:
        extra: dict[str, object] = {} if self.diff is None else {"dry_run": True, "diff": self.diff}
        return extra | {
            "op": self.op,
            "source": self.source,
            "domain": self.domain,
            "topics": list(self.topics),
            "ids": list(self.ids),
            "turns": self.turns,
            "redacted": self.redacted,
            "commit": self.commit,
        }


def overview_text(overview: transcript.Overview) -> str:
    """A folder's context.md: title and summary frontmatter, a heading, the body."""
    head = (
        f"title: {frontmatter.dump_yaml(overview.title)}\n"
        f"summary: {frontmatter.dump_yaml(overview.summary)}\n"
    )
    return f"---\n{head}---\n# {overview.title}\n\n{overview.body}\n"


def _guarded(
    turns: Sequence[transcript.Turn], name: str, redact: bool
) -> tuple[list[transcript.Turn], int]:
    """Refuse (or mask) secrets in every field a turn contributes to the tree."""
    clean: list[transcript.Turn] = []
    redacted = 0
    for turn in turns:
        # Named by its line, not its id: the id is checked too, and an error must not echo it.
        where = f"the turn on line {turn.line} of {name}"
        refuse_token(turn.id, f"the id of {where}")
        fields = {
            f"the id of {where}": turn.id,
            f"the text of {where}": turn.text,
            f"the speaker of {where}": turn.speaker,
            f"the time of {where}": turn.time,
            f"the conversation of {where}": turn.conversation,
        }
        masked = list(guard_secrets(fields, redact).values())
        updated = replace(
            turn,
            id=masked[0],
            text=masked[1],
            speaker=masked[2],
            time=masked[3],
            conversation=masked[4],
        )
        redacted += updated != turn
        clean.append(updated)
    return clean, redacted


def import_transcript(
    session: Session,
    text: str,
    domain: str = transcript.DEFAULT_DOMAIN,
    *,
    name: str = "stdin",
    window: int = transcript.DEFAULT_WINDOW,
    fmt: str = "jsonl",
    redact: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Write a transcript as one topic per session and one entry per window of turns, in one
    commit. Refuses when a topic folder it would create exists already (a re-import)."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is not supported", f"use one of {', '.join(FORMATS)}")
    if window < 1:
        raise UsageError("--window must be at least 1", "e.g. --window 6")
    turns, redacted = _guarded(transcript.parse_jsonl(text, name), name, redact)
    layout = transcript.organise(
        turns,
        domain=domain,
        source=name,
        window=window,
        author=session.actor,
        now=session.timestamp,
        importance=int(session.settings.lifecycle.importance_default),
    )
    limit = session.settings.limits.max_entry_bytes
    for entry in layout.entries:
        check_text(entry.body, f"entry {entry.id}", limit)
    store = session.store
    sources = [f"transcript:{name}"]
    with session.transaction("import", sources, dry_run=dry_run) as tx:
        existing = [t.folder for t in layout.topics if store.folder_exists(t.folder)]
        if existing:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise ConflictError(
                f"topic {existing[0]!r}{more} already exists: was this transcript imported before?",
                "import into another --domain, or remove the old topics first",
            )
        domain_overview, *topic_overviews = layout.overviews
        domain_context = f"tree/{layout.domain}/context.md"
        if not store.path(domain_context).is_file():
            tx.write(domain_context, overview_text(domain_overview))
        for overview in topic_overviews:
            tx.write(f"tree/{overview.folder}/context.md", overview_text(overview))
        for entry in layout.entries:
            tx.write(entry_relpath(entry.id), frontmatter.serialize(entry))
        tx.subject = (
            f"{len(turns)} turns from {name} into {layout.domain}/ "
            f"({len(layout.topics)} sessions, {len(layout.entries)} entries)"
        )
        tx.body = "\n".join(t.folder for t in layout.topics)
    return ImportResult(
        op="import",
        source=name,
        domain=layout.domain,
        topics=tuple(t.folder for t in layout.topics),
        ids=tuple(e.id for e in layout.entries),
        turns=len(turns),
        commit=tx.commit_sha,
        redacted=redacted,
        diff=tx.diff if dry_run else None,
    )
