"""Agent sessions captured as `episode` entries (the PreCompact/Stop hooks), and what waits
to be curated. Writes go through the one write path, with secrets masked rather than refused:
a hook that refuses loses the session, so a credential in a prompt becomes a mask."""

from __future__ import annotations

from dataclasses import replace

from ctxtree.curation.conversation import FOLDER, Conversation, episode
from ctxtree.errors import CtxError
from ctxtree.service import operations as ops
from ctxtree.service.session import Session
from ctxtree.service.workspace import AlreadyDone, Workspace, WriteResult, run
from ctxtree.tree.paths import id_from_relpath

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


def _marked(session: Session, entry_id: str) -> bool:
    try:
        entry = session.store.read_entry(entry_id)
    except CtxError:
        return False  # a broken capture still waits for someone
    mark = dict(entry.extra).get(CURATED_KEY)
    return isinstance(mark, str) and mark >= (entry.updated or "")
