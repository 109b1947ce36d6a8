"""Agent sessions captured as `episode` entries (the PreCompact/Stop hooks), and what waits
to be curated. Writes go through the one write path, with secrets masked rather than refused:
a hook that refuses loses the session, so a credential in a prompt becomes a mask."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from ctxtree.curation.conversation import FOLDER, Conversation, episode
from ctxtree.errors import CtxError
from ctxtree.service.session import Session
from ctxtree.tree.paths import entry_relpath, id_from_relpath

if TYPE_CHECKING:  # the write path: only capture() needs it, session start does not
    from ctxtree.service.workspace import Workspace, WriteResult

# A raw capture is worth less than curated knowledge until someone distils it: it starts
# below the default importance, so session start shows curated entries first.
CAPTURED_IMPORTANCE = 25
# The frontmatter key `ctx curate` stamps on an episode it read: when (a later capture of the
# same session updates the episode and makes it wait again).
CURATED_KEY = "curated"


def capture(
    session: Session,
    conversation: Conversation,
    session_id: str,
    final_message: str = "",
    agent: str = "claude-code",
) -> WriteResult:
    """Create the session's episode, or bring it up to date (one entry per session: a later
    capture of the same session replaces its prompts, outcome and files, keeping the entry's
    importance, relations and anything a curator added to its frontmatter)."""
    from ctxtree.service import operations as ops
    from ctxtree.service.workspace import AlreadyDone, run

    draft = episode(conversation, session_id, final_message, agent)

    def write(ws: Workspace) -> object:
        current = ws.entry(draft.id)
        if current is None:
            return ops.do_add(ws, replace(draft, importance=CAPTURED_IMPORTANCE))
        fresh = replace(
            current,
            title=draft.title,
            summary=draft.summary,
            body=draft.body,
            keywords=draft.keywords,
            sources=tuple(dict.fromkeys((*current.sources, *draft.sources))),
        )
        if fresh == current:
            raise AlreadyDone("the session's episode is up to date")
        return ws.put(replace(fresh, updated=session.timestamp))

    return run(
        session, "capture", draft.id, write, (draft.id,),
        body=f"Session {session_id}", sources=[f"conversation:{session_id}"], redact=True,
    )  # fmt: skip


def waiting(session: Session, except_id: str = "") -> list[str]:
    """Captured sessions of every agent not curated yet, oldest id first; `except_id` leaves
    out the session asking. Curated means: marked `curated: TIME` (by `ctx curate`) no earlier
    than its last capture, or some entry is `derived_from` it (a plan the host agent applied).
    Curation never archives or rewrites the episode: the evidence stays."""
    found = (id_from_relpath(relpath) for relpath in session.store.files_under(FOLDER))
    candidates = [entry_id for entry_id in found if entry_id and entry_id != except_id]
    left = [entry_id for entry_id in candidates if not _marked(session, entry_id)]
    if not left:
        return []
    from ctxtree.retrieval.index import Index

    index = Index.open(session.store)
    try:
        derived = {dst for _src, dst, kind in index.links_to(left) if kind == "derived_from"}
    finally:
        index.close()
    return [entry_id for entry_id in left if entry_id not in derived]


# `curated:` and `updated:` as ctxtree writes them: top-level keys (column 0, so not inside a
# multi-line value) holding a timestamp, plain or single-quoted.
_STAMP = re.compile(r"^(curated|updated): *('?)([0-9][0-9T:.+\-Z]*)\2 *$", re.M)


def _marked(session: Session, entry_id: str) -> bool:
    """Whether the episode was curated since its last capture. Read from the frontmatter's two
    timestamps without parsing the YAML (a store with hundreds of captured sessions paid
    ~0.8 ms of parsing each at every session start); anything unusual parses the entry."""
    try:
        text = session.store.read_text(entry_relpath(entry_id))  # a symbolic link raises
    except CtxError:
        return False  # a broken capture still waits for someone
    head = text[: text.find("\n---", 3) + 1] if text.startswith("---\n") else text
    if CURATED_KEY not in head:
        return False  # never curated: the common case, no stamp at all
    stamps: list[tuple[str, str]] = [(k, v) for k, _quote, v in _STAMP.findall(head)]
    found = dict(stamps)
    if len(stamps) == 2 and len(found) == 2 and head.count(f"\n{CURATED_KEY}:") == 1:
        return found[CURATED_KEY] >= found["updated"]
    try:
        entry = session.store.read_entry(entry_id)
    except CtxError:
        return False
    mark = dict(entry.extra).get(CURATED_KEY)
    return isinstance(mark, str) and mark >= (entry.updated or "")
