"""`ctx forget`: remove knowledge on purpose (SPEC §3), and with `--purge` from history too."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ctxtree.curation import matching
from ctxtree.errors import CtxError, InvalidEntryError, NotFoundError, UsageError
from ctxtree.hints import Call, Param
from ctxtree.service import purge as purging
from ctxtree.service.drafts import parse_folder
from ctxtree.service.entries import refuse_folder
from ctxtree.service.operations import in_folder
from ctxtree.service.session import Session
from ctxtree.tree import frontmatter, journal
from ctxtree.tree import relations as rel
from ctxtree.tree.git import GitRepo
from ctxtree.tree.lock import write_lock
from ctxtree.tree.model import Entry
from ctxtree.tree.paths import id_from_relpath, parse_id
from ctxtree.tree.store import indexable_id
from ctxtree.tree.suggestions import missing_entry
from ctxtree.wording import plural

if TYPE_CHECKING:
    from ctxtree.service.facts import FactForgetResult
    from ctxtree.tree.transaction import Transaction


@dataclass(frozen=True)
class ForgetResult:
    id: str
    commit: str | None
    changed: tuple[str, ...]  # other files rewritten so nothing points at it
    diff: str | None = None  # on a dry run
    purge: purging.PurgeReport | None = None
    removed: tuple[str, ...] = ()  # a folder's entries (`forget FOLDER --recursive`)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "op": "forget",
            "ids": [self.id, *self.removed],
            "commit": self.commit,
            "changed": list(self.changed),
        }
        return with_outcome(data, self.diff, self.purge)


def with_outcome(
    data: dict[str, Any], diff: str | None, purge: purging.PurgeReport | None
) -> dict[str, Any]:
    """A forget's JSON report with what a dry run would change and what a purge rewrote:
    one shape for forgetting an entry, a folder and a fact."""
    if diff is not None:
        data["dry_run"] = True
        data["diff"] = diff
    if purge is not None:
        data["purge"] = purge.to_json()
    return data


def _locate(session: Session, entry_id: str, repo: GitRepo, purge: bool) -> list[str]:
    """The entry's files (tree/ID.md and/or archive/ID.md). A purge also accepts an entry
    that only the history still holds (removed earlier with `ctx rm`)."""
    found = [
        relpath
        for relpath in (f"tree/{entry_id}.md", f"archive/{entry_id}.md")
        if session.store.path(relpath).is_file()
    ]
    if found or (
        purge and any(repo.history.follow(p, every_ref=True) for p in purging.own_paths(entry_id))
    ):
        return found
    raise missing_entry(
        session.store,
        entry_id,
        f"no entry {entry_id!r} (current or archived" + (", nor in the history)" if purge else ")"),
    )


def _without(entry: Entry, gone: Sequence[str], plain: str | None, folder: str = "") -> Entry:
    """`entry` with no declared relation to the `gone` ids (or into `folder`) and its
    [[links]] to them unwrapped."""
    relations = tuple(
        r
        for r in entry.relations
        if r.target not in gone and not (folder and in_folder(r.target, folder))
    )
    body = rel.unwrap_links(entry.body, gone, plain)
    if relations == entry.relations and body == entry.body:
        return entry
    return replace(entry, relations=relations, body=body)


def _clean_referrer(
    relpath: str, text: str, gone: Sequence[str], purge: bool, folder: str = ""
) -> str:
    """A file that mentions a forgotten entry (or folder), rewritten so nothing dangles
    (and, when purging, so its id is gone from the text)."""
    other_id = id_from_relpath(relpath)
    plain = purging.IN_FILES if purge else None
    try:
        if other_id is None:
            raise InvalidEntryError("not an entry")
        entry = frontmatter.parse(text, other_id, relpath)
        text = frontmatter.serialize(_without(entry, gone, plain, folder))
    except InvalidEntryError:  # an overview, a summary, or a malformed entry: text only
        text = rel.unwrap_links(text, gone, plain)
    return purging.erase_mentions(text, gone) if purge else text


def _summaries(session: Session, tx: Transaction, subject: str, gone: set[str]) -> list[str]:
    """Regenerate the existing `_index.md` of the folders above `subject` (an entry, or a
    folder being forgotten) without the `gone` ids, so no summary keeps a title or summary
    of theirs."""
    from ctxtree.curation.summaries import index_relpath, plan_indexes

    parts = subject.split("/")[:-1]
    folders = ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
    existing = {
        folder: text for folder in folders if (text := tx.read(index_relpath(folder))) is not None
    }
    if not existing:
        return []
    entries, _bad = session.store.entries(parts[0])
    kept = [e for e in entries if e.id not in gone]
    changed = []
    for update in plan_indexes(kept, existing, only_existing=True):
        if update.folder not in existing:
            continue
        if update.text:
            tx.write(update.relpath, update.text)
        else:
            tx.delete(update.relpath)
        changed.append(update.relpath)
    return changed


def drop_abstracts(tx: Transaction, subject: str) -> list[str]:
    """Remove a model's abstract (`context.md` written by `ctx curate --abstracts`) from the
    folders above `subject`: it may retell the forgotten entry in words no search for its
    text would find, and context packs it with the folder's entries. A person's overview
    stays; `ctx curate --abstracts` writes the others again."""
    from ctxtree.curation.summaries import GENERATOR, recorded_generator

    parts = subject.split("/")[:-1]
    removed = []
    for depth in range(1, len(parts) + 1):
        relpath = f"tree/{'/'.join(parts[:depth])}/context.md"
        text = tx.read(relpath)
        if text is not None and recorded_generator(text) not in (None, GENERATOR):
            tx.delete(relpath)
            removed.append(relpath)
    return removed


def _remove(
    session: Session, tx: Transaction, repo: GitRepo, entry_id: str, purge: bool,
    gone: set[str],
) -> tuple[list[str], list[str]]:  # fmt: skip
    """Within `tx`: delete an entry's files, regenerate the summaries above it without any of
    the `gone` ids (every entry this transaction removes), drop a model's abstracts above it,
    and rewrite what refers to it. Returns (its files' texts, the other files changed)."""
    relpaths = _locate(session, entry_id, repo, purge)
    texts = [session.store.read_text(p) for p in relpaths]
    changed = (
        _summaries(session, tx, entry_id, gone) + drop_abstracts(tx, entry_id) if relpaths else []
    )
    # A purge leaves no mention in any file; a plain forget fixes links in entries.
    for relpath in repo.rewrite.grep_files(entry_id, ["."] if purge else ["tree", "archive"]):
        if relpath in relpaths or relpath in changed:
            continue
        if not purge and not relpath.endswith(".md"):
            continue
        before = tx.read(relpath)
        if before is None:
            continue
        after = _clean_referrer(relpath, before, [entry_id], purge)
        if after != before:
            tx.write(relpath, after)
            changed.append(relpath)
    for relpath in relpaths:
        tx.delete(relpath)
    return texts, changed


def forget(
    session: Session, raw_id: str, purge: bool = False, dry_run: bool = False
) -> ForgetResult:
    """Remove an entry, every relation and [[link]] to it, and its cache rows, in one
    commit; with `purge`, then rewrite the store's history without it (see service.purge)."""
    refuse_folder(session, raw_id, "forget")
    entry_id = parse_id(raw_id)
    store = session.store
    report: purging.PurgeReport | None = None
    with session.transaction("forget", dry_run=dry_run) as tx:
        repo = GitRepo(store.root)
        if purge:
            _require_rewritable(repo)
        texts, changed = _remove(session, tx, repo, entry_id, purge, {entry_id})
        tx.subject = purging.IN_MESSAGES if purge else entry_id
        names = sorted(indexable_id(p) or p for p in changed)
        if names:
            tx.body = "Links to it removed in: " + ", ".join(names)
        if purge and dry_run:
            report = _purge(session, repo, entry_id, texts, frozenset(), dry_run=True)
    ids = [entry_id]
    if purge and not dry_run:
        with write_lock(store.root / ".git" / "ctx.lock", session.lock_timeout()) as lock_fd:
            repo = GitRepo(store.root, lock_fd=lock_fd)
            _require_rewritable(repo)
            intent = journal.new_intent(journal.PURGE, repo.current_head(), {})
            journal.begin(store.root, intent)
            try:
                report = _purge(session, repo, entry_id, texts, frozenset({tx.commit_sha or ""}))
                journal.end(store.root)
            except BaseException as exc:
                with contextlib.suppress(Exception):  # else the next command repairs it
                    journal.recover(store.root, repo, intent, log=False)
                if not isinstance(exc, CtxError):
                    raise
                if tx.commit_sha:
                    _message, hint = exc.parts()
                    retry = (entry_id, Param("purge", True), Param("yes", True, cli_only=True))
                    exc.hint = (
                        f"{entry_id} is forgotten ({tx.commit_sha[:10]}) but the history was not "
                        "rewritten; retry with `", Call("forget", retry, "forget"), "`. ",
                        *([hint] if isinstance(hint, str) else hint),
                    )  # fmt: skip
                raise
            ids = list(report.ids)
    if not dry_run:
        _forget_cached(session, ids, scrub=purge)
        if purge:
            _scrub_cache(session, ids, texts)
    return ForgetResult(
        entry_id,
        tx.commit_sha,
        tuple(names),
        tx.diff if dry_run else None,
        report,
    )


def forget_folder(session: Session, raw: str, dry_run: bool = False) -> ForgetResult:
    """`ctx forget FOLDER --recursive`: forget every entry under a folder (current and
    archived) in one commit, with its overviews and summaries; relations and [[links]] into
    it from elsewhere are removed like a single forget's. A purge goes one entry at a time
    (each rewrites the whole history), so it is not offered here."""
    folder = parse_folder(raw)
    store = session.store
    with session.transaction("forget", dry_run=dry_run) as tx:
        repo = GitRepo(store.root)
        files = [f for area in ("tree", "archive") for f in store.files_under(folder, area)]
        if not files:
            raise NotFoundError(f"no folder {folder!r}", "list folders with `ctx tree`")
        ids = sorted({i for f in files if (i := id_from_relpath(f)) is not None})
        changed = _summaries(session, tx, folder, set(ids))
        gone = [folder, *ids]
        for relpath in repo.rewrite.grep_files(folder, ["tree", "archive"]):
            if relpath in files or relpath in changed or not relpath.endswith(".md"):
                continue
            before = tx.read(relpath)
            if before is None:
                continue
            after = _clean_referrer(relpath, before, gone, purge=False, folder=folder)
            if after != before:
                tx.write(relpath, after)
                changed.append(relpath)
        for relpath in files:
            tx.delete(relpath)
        tx.subject = f"{folder}/ ({len(ids)} entries)"
        names = sorted(indexable_id(p) or p for p in changed)
        tx.body = "\n".join(
            [*files, *(["Links to it removed in: " + ", ".join(names)] if names else [])]
        )
    if not dry_run:
        _forget_cached(session, ids, scrub=False)
    return ForgetResult(
        folder, tx.commit_sha, tuple(names), tx.diff if dry_run else None, removed=tuple(ids)
    )


@dataclass(frozen=True)
class Selection:
    """The entries a description refers to (curation/matching.py), each with its reasons."""

    query: str
    kind: str  # identity | names | terms | nothing: the evidence that selected them
    matches: tuple[matching.Match, ...]

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.matches]

    def to_json(self) -> dict[str, Any]:
        return {
            "matching": self.query,
            "evidence": self.kind,
            "matches": [m.to_json() for m in self.matches],
        }


def all_entries(session: Session) -> list[Entry]:
    """Every readable entry, current and archived (a malformed one is skipped, as search does)."""
    store = session.store
    entries, _bad = store.entries()
    for entry_id, relpath in store.entry_paths(area="archive"):
        with contextlib.suppress(InvalidEntryError):
            entries.append(frontmatter.parse(store.read_text(relpath), entry_id, relpath))
    return entries


def select_matching(session: Session, query: str) -> Selection:
    """`ctx forget --matching QUERY --dry-run`: what a forget by description would take."""
    request = matching.parse_request(query)
    if request.kind == "nothing":
        raise UsageError(
            f"{query!r} names nothing to match (only request words)",
            "describe what to forget: an email, a number, a name or the fact's words",
        )
    found = matching.select(request, all_entries(session))
    return Selection(query, request.kind, tuple(found))


def forget_matching(
    session: Session, selection: Selection, purge: bool = False
) -> list[ForgetResult | FactForgetResult]:
    """Forget every selected entry, as `ctx forget ID` would, and where only some facts of
    an entry hold the identifier (`Match.facts`), just those, as `ctx forget ID --fact`
    would: all in one commit, so a crash leaves all or nothing and `ctx undo` brings back
    the whole selection. A purge goes one entry or fact at a time (each rewrites the whole
    history) after its own commit."""
    from ctxtree.service.facts import FactForgetResult, forget_fact

    results: list[ForgetResult | FactForgetResult] = []
    if purge:
        for match in selection.matches:
            if not match.facts:
                results.append(forget(session, match.id, purge=True))
            for fact in match.facts:
                results.append(forget_fact(session, match.id, fact, purge=True))
        return results
    from ctxtree.service.operations import FactChange, do_fact
    from ctxtree.service.workspace import Workspace

    whole = [m.id for m in selection.matches if not m.facts]
    gone = set(whole)  # every summary regenerated in this commit leaves all of them out
    changed: dict[str, list[str]] = {}
    dropped: list[tuple[str, str]] = []
    with session.transaction("forget") as tx:
        repo = GitRepo(session.store.root)
        for entry_id in whole:
            changed[entry_id] = _remove(session, tx, repo, entry_id, False, gone)[1]
        ws = Workspace(session, tx)
        for match in selection.matches:
            dropped += [
                (match.id, do_fact(ws, match.id, FactChange("drop", f))) for f in match.facts
            ]
        # The request may hold what is forgotten (an email, a number): ids only, as a fact
        # forget keeps its text out of the message.
        tx.subject = f"{plural(len(selection.matches), 'entry')} by description"
        tx.body = "\n".join(
            f"{m.id}{' (facts only)' if m.facts else ''}" for m in selection.matches
        )
    _forget_cached(session, whole, scrub=False)
    for entry_id in whole:
        names = sorted({indexable_id(p) or p for p in changed[entry_id]})
        results.append(ForgetResult(entry_id, tx.commit_sha, tuple(names)))
    results += [FactForgetResult(i, tx.commit_sha, fact) for i, fact in dropped]
    return results


def _require_rewritable(repo: GitRepo) -> None:
    purging.require_rewritable(repo)


def _purge(
    session: Session,
    repo: GitRepo,
    entry_id: str,
    texts: list[str],
    keep: frozenset[str],
    dry_run: bool = False,
) -> purging.PurgeReport:
    lineage = purging.with_abstracts(repo, purging.lineage_of(repo, entry_id))
    live = {
        i for area in ("tree", "archive") for i, _path in session.store.entry_paths(area=area)
    } - {entry_id}
    # Every version it had, not only the last: a secret may have been edited out already.
    versions = texts + [
        t for p in sorted(lineage.own_paths) for _sha, t in repo.history.versions(p)
    ]
    readable = []
    for text in versions:
        try:
            entry = frontmatter.parse(text, entry_id)
            readable += [entry.title, entry.summary, entry.body]
        except InvalidEntryError:
            readable.append(text)
    return purging.purge(repo, lineage, live, "\n".join(readable), keep, dry_run)


def _scrub_cache(session: Session, ids: list[str], texts: list[str]) -> None:
    """After a purge, nothing under cache/ may hold the entry: usage lines go, snapshots of
    rewritten commits go, and any other file still holding its id or text is deleted."""
    from ctxtree.service import asof, maintain

    root = session.store.root
    maintain.forget_used(root, set(ids))
    asof.drop_snapshots(session.store)
    purging.scrub_cache(root / "cache", ids, "\n".join(texts))


def _forget_cached(session: Session, ids: list[str], scrub: bool) -> None:
    from ctxtree.retrieval.index import Index

    index = Index.open(session.store)
    try:
        index.forget(ids, scrub=scrub)
    finally:
        index.close()
