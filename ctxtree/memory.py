"""The Python API: `Memory`, one object for one store, in the spirit of sqlite_utils.Database.

    from ctxtree import Memory
    memory = Memory.open()            # the store `ctx` would use here
    memory.add("auth/jwt/rotation", title="Refresh tokens rotate", kind="decision")
    hits = memory.search("refresh token").hits

Every method is a thin call of the use case the `ctx` command of the same name runs
(ctxtree/service/), so the CLI, plans, hooks and Python cannot disagree. Results are the
service's frozen dataclasses (with `to_json()` where the CLI prints JSON); failures raise the
ctxtree.errors exceptions, their messages spelled for Python (`allow_loss=True` where the CLI
says `--allow-loss`).

A Memory holds only the store's path and who is acting. Each call opens the store afresh
(finishing or undoing a write a crash interrupted), and each write takes the store's write
lock and lands as one git commit, exactly as one `ctx` command does: one Memory may be shared
by threads, and other processes (or `ctx` itself) may write to the same store meanwhile.
Heavy modules (git, yaml, the tokenizer) load on the first call that needs them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ctxtree.errors import CtxError

if TYPE_CHECKING:
    from ctxtree.curation.briefs import Material
    from ctxtree.retrieval.throttle import Throttle
    from ctxtree.service.curator import CurateResult
    from ctxtree.service.entries import WriteResult
    from ctxtree.service.facts import FactForgetResult
    from ctxtree.service.forget import ForgetResult
    from ctxtree.service.inbox import Item
    from ctxtree.service.plans import ApplyResult
    from ctxtree.service.query import QueryResult
    from ctxtree.service.reads import Shown
    from ctxtree.service.recall import ContextResult, SearchResult
    from ctxtree.service.session import Session
    from ctxtree.tree.model import EntryRef, Relation, Source

P = ParamSpec("P")
R = TypeVar("R")
PathLike = str | os.PathLike[str]


def _in_python(func: Callable[P, R]) -> Callable[P, R]:
    """Errors raised inside `func` name parameters as Python does (`redact=True`)."""

    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CtxError as exc:
            exc.for_python()
            raise

    return call


class Memory:
    """A ctx store. Open one with `Memory.open(path)` or create one with `Memory.init(path)`.

    `actor` names who writes (an agent name, or `human:NAME`); it lands in every commit's
    trailers and in new entries' `author`. Without it: CTX_ACTOR, then the store's `actor`
    setting, then `human:$USER`, as for `ctx`.
    """

    def __init__(
        self, root: PathLike, *, actor: str | None = None, recheck_seconds: float = 0.0
    ) -> None:
        """Use the store at `root` (its folder, usually `.ctx`); `open` and `init` check it.
        With `recheck_seconds` (a long-lived server), reads compare the files with the search
        index only after a commit to the store (every ctx write is one) or once that many
        seconds have passed; by default every read compares."""
        self.root = Path(root)
        self.actor = actor
        self._throttle: Throttle | None = None
        if recheck_seconds > 0:
            from ctxtree.retrieval.throttle import Throttle

            self._throttle = Throttle(recheck_seconds)

    def __repr__(self) -> str:
        return f"Memory({str(self.root)!r})"

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    @_in_python
    def open(cls, path: PathLike | None = None, *, actor: str | None = None) -> Memory:
        """The store at `path` (a store folder, or a project folder holding `.ctx/`); without
        `path`, the one `ctx` would use: CTX_TREE, else a `.ctx/` in the current folder or a
        parent, else the per-user store. Raises StoreError when there is none."""
        from ctxtree.service.session import open_session

        session = open_session(None if path is None else os.fspath(path), actor=actor)
        return cls(session.store.root, actor=actor)

    @classmethod
    @_in_python
    def init(cls, path: PathLike | None = None, *, actor: str | None = None) -> Memory:
        """Create a store at `path` (default: `.ctx` in the current folder), as `ctx init`
        does, and open it. An existing store is opened as it is."""
        from ctxtree.service import admin

        env = {**os.environ, "CTX_ACTOR": actor} if actor else os.environ
        target = None if path is None else os.fspath(path)
        result = admin.init(target, False, env, Path.cwd())
        return cls(result.root, actor=actor)

    def _session(self, actor: str | None = None) -> Session:
        from ctxtree.service.session import open_session

        session = open_session(str(self.root), actor=actor or self.actor)
        if self._throttle is None:
            return session
        from dataclasses import replace

        return replace(session, throttle=self._throttle)

    # ---- reading -------------------------------------------------------------------------
    @_in_python
    def get(self, entry_id: str, *, as_of: str | None = None) -> Shown:
        """One entry (`.entry`) with its status (`current`, `superseded`, `expired`,
        `archived`...), as `ctx show` gives it; `as_of` (a date, `2026-11-20` or an ISO
        timestamp) reads it as the store stood then. Reading counts as using the entry (the
        lifecycle signal `ctx maintain` folds into importance). Raises NotFoundError."""
        from ctxtree.service import reads

        session = self._session()
        shown = reads.show(session, entry_id, as_of)
        if shown.origin is None:
            reads.record_used(session, shown.entry.id)
        return shown

    @_in_python
    def entries(self, prefix: str = "") -> list[EntryRef]:
        """Ids, titles and paths of the entries under `prefix` (a domain, topic or id prefix;
        all when empty), as `ctx ls` lists them. Malformed files are left out (`ctx lint`
        reports them)."""
        from ctxtree.service import reads

        refs, _problems = reads.listing(self._session(), prefix)
        return refs

    @_in_python
    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        scope: str = "",
        kind: str = "",
        include_superseded: bool = False,
        include_archived: bool = False,
        as_of: str | None = None,
    ) -> SearchResult:
        """Ranked hits for `query` without any LLM, as `ctx search` finds them. The result
        has `.hits` (id, title, score, snippet, status...), `.confidence` (0..1) and
        `.confident`: False means nothing relevant is in memory (the CLI's exit code 3).
        `scope` limits it to a domain or topic, `kind` to one kind of entry."""
        from ctxtree.service import recall

        return recall.search(
            self._session(), query, limit, scope, kind, include_superseded, include_archived,
            as_of,
        )  # fmt: skip

    @_in_python
    def context(
        self,
        query: str | None = None,
        *,
        budget: int = 1500,
        format: str = "markdown",
        scope: str = "",
        as_of: str | None = None,
    ) -> ContextResult:
        """The best material for `query` packed into `budget` tokens (cl100k_base) for a
        prompt, as `ctx context` packs it: `.text`, `.tokens` (never over the budget),
        `.ids`, `.confident`. Without a query, the store's most important knowledge (`ctx
        context --core`). `format` is markdown, xml or json."""
        from ctxtree.service import recall

        session = self._session()
        if query is None:
            return recall.core_context(session, budget, format, as_of=as_of)
        return recall.context(session, query, budget, format, scope, as_of=as_of)

    @_in_python
    def query(
        self,
        question: str,
        *,
        max_tier: int | None = None,
        budget: int | None = None,
        model: str | None = None,
        command: str | None = None,
    ) -> QueryResult:
        """An answer to `question` from memory, as `ctx query` gives it: `.status`
        ("answered", or "not_in_memory", "not_confident", "unverified", "budget_exhausted"),
        `.answer`, `.citations` (each `.id`, `.quote`, `.verified`), `.tier` (0-4). Tiers 3-4
        call the configured model (llm.model / llm.command, CTX_LLM_MODEL, or `model` /
        `command` here); `max_tier=2` never does. Every citation is checked against its
        entry. Raises LlmError when the model is unreachable or never answers in shape."""
        from ctxtree.service.query import query

        return query(self._session(), question, max_tier, budget, model, command)

    # ---- writing -------------------------------------------------------------------------
    @_in_python
    def add(
        self,
        entry_id: str,
        *,
        title: str,
        body: str = "",
        summary: str = "",
        kind: str = "note",
        tags: Iterable[str] = (),
        keywords: Iterable[str] = (),
        relations: Iterable[str | Relation] = (),
        sources: Iterable[str | Source] = (),
        author: str | None = None,
        trust: str | None = None,
        redact: bool = False,
        dry_run: bool = False,
    ) -> WriteResult:
        """Create an entry, as `ctx add` does; refuses an id in use (ConflictError).

        `relations` are `"TYPE:TARGET"` strings (`"depends_on:auth/jwt/keys"`) or Relation
        values, `sources` `"TYPE:REF"` strings (`"commit:3f2a1c9"`) or Source values.
        `author` overrides the Memory's actor for this entry; `trust` defaults to `user` for
        a `human:` author, else `agent`. A secret in any field is refused (InvalidEntryError)
        unless `redact`, which masks it. `dry_run` returns the diff (`.diff`) and commits
        nothing."""
        from ctxtree.service import entries
        from ctxtree.tree.model import Entry, Relation, Source

        session = self._session(author)
        who = author or session.actor
        draft = Entry(
            id=entry_id,
            title=title,
            body=body,
            summary=summary,
            kind=kind,
            tags=tuple(tags),
            keywords=tuple(keywords),
            relations=tuple(
                r if isinstance(r, Relation) else entries.parse_relation(r) for r in relations
            ),
            sources=tuple(s if isinstance(s, Source) else entries.parse_source(s) for s in sources),
            author=who,
            trust=trust or entries.default_trust(who),
        )
        return entries.add(session, draft, redact=redact, dry_run=dry_run)

    @_in_python
    def edit(
        self,
        entry_id: str,
        *,
        title: str | None = None,
        summary: str | None = None,
        body: str | None = None,
        append_body: str | None = None,
        kind: str | None = None,
        trust: str | None = None,
        maturity: str | None = None,
        importance: int | None = None,
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
        add_keywords: Iterable[str] = (),
        remove_keywords: Iterable[str] = (),
        add_sources: Iterable[str | Source] = (),
        valid_from: str | None = None,
        valid_until: str | None = None,
        allow_loss: bool = False,
        redact: bool = False,
        dry_run: bool = False,
    ) -> WriteResult:
        """Change an entry's fields, as `ctx edit` does; None leaves a field as it is, and
        `valid_from=""`/`valid_until=""` clear a date. Changing nothing commits nothing
        (`.commit` is None). A `body` that drops a fact line, or anything that drops a
        relation or source, raises ConflictError unless `allow_loss=True`; `append_body`
        adds a paragraph without replacing anything (not together with `body`)."""
        from ctxtree.service import entries
        from ctxtree.tree.model import Source

        changes = entries.Changes(
            title=title,
            summary=summary,
            body=body,
            append_body=append_body,
            kind=kind,
            trust=trust,
            maturity=maturity,
            importance=importance,
            add_tags=tuple(add_tags),
            remove_tags=tuple(remove_tags),
            add_keywords=tuple(add_keywords),
            remove_keywords=tuple(remove_keywords),
            add_sources=tuple(
                s if isinstance(s, Source) else entries.parse_source(s) for s in add_sources
            ),
            valid_from=valid_from,
            valid_until=valid_until,
        )
        return entries.edit(
            self._session(),
            entry_id,
            changes,
            redact=redact,
            dry_run=dry_run,
            allow_loss=allow_loss,
        )

    @_in_python
    def move(self, old: str, new: str, *, dry_run: bool = False) -> WriteResult:
        """Rename an entry; every relation and [[link]] to it is rewritten in the same
        commit (`ctx mv`)."""
        from ctxtree.service import entries

        return entries.move(self._session(), old, new, dry_run=dry_run)

    @_in_python
    def remove(self, entry_id: str, *, force: bool = False, dry_run: bool = False) -> WriteResult:
        """Delete an entry (`ctx rm`); refused while other entries point at it unless
        `force`, which drops their relations to it. It stays in git history."""
        from ctxtree.service import entries

        return entries.remove(self._session(), entry_id, force=force, dry_run=dry_run)

    @_in_python
    def link(
        self, source: str, target: str, *, type: str = "related", dry_run: bool = False
    ) -> WriteResult:
        """Add a relation `source -type-> target` (`ctx link`); `target` is an entry or a
        domain/topic folder. An existing relation commits nothing."""
        from ctxtree.service import entries

        return entries.link(self._session(), source, target, type, dry_run=dry_run)

    @_in_python
    def unlink(
        self, source: str, target: str, *, type: str | None = None, dry_run: bool = False
    ) -> WriteResult:
        """Remove the relations `source -> target` (of one `type` if given), as `ctx unlink`."""
        from ctxtree.service import entries

        return entries.unlink(self._session(), source, target, type, dry_run=dry_run)

    @_in_python
    def merge(
        self, source: str, target: str, *, reason: str = "", redact: bool = False,
        dry_run: bool = False,
    ) -> WriteResult:  # fmt: skip
        """Fold `source` into `target` and delete `source`, in one commit (`ctx merge`)."""
        from ctxtree.service import restructure

        return restructure.merge(self._session(), source, target, reason, redact, dry_run)

    @_in_python
    def supersede(
        self, old: str, new: str, *, reason: str = "", dry_run: bool = False
    ) -> WriteResult:
        """Record that `new` replaces `old` (`ctx supersede`): `old` leaves default results
        but stays for history (`include_superseded=True`, `as_of`)."""
        from ctxtree.service import restructure

        return restructure.supersede(self._session(), old, new, reason, dry_run)

    @_in_python
    def archive(self, entry_id: str, *, reason: str = "", dry_run: bool = False) -> WriteResult:
        """Move an entry to archive/ (`ctx archive`): out of default results, still found
        with `include_archived=True`; `restore` brings it back."""
        from ctxtree.service import restructure

        return restructure.archive(self._session(), entry_id, reason, dry_run)

    @_in_python
    def restore(self, entry_id: str, *, reason: str = "", dry_run: bool = False) -> WriteResult:
        """Bring an archived entry back into the tree (`ctx restore`)."""
        from ctxtree.service import restructure

        return restructure.restore(self._session(), entry_id, reason, dry_run)

    @_in_python
    def edit_fact(
        self,
        entry_id: str,
        fact: str = "",
        *,
        new: str = "",
        action: str = "supersede",
        reason: str = "",
        dry_run: bool = False,
    ) -> WriteResult:
        """Change one fact of an entry and keep the rest (`ctx edit --supersede-fact`,
        `--replace-fact`, `--drop-fact`, `--add-fact`): `action` is "supersede" (no longer
        true; `new` optional), "replace" (a correction), "drop" or "add" (`new` is the fact).
        The fact is named by its text or words only it contains; NotFoundError when none
        matches, ConflictError when several do (both list the entry's facts)."""
        from ctxtree.service import facts
        from ctxtree.service.operations import FactChange

        change = FactChange(action, fact, new)
        return facts.edit_fact(self._session(), entry_id, change, reason, dry_run=dry_run)

    @_in_python
    def forget_fact(
        self, entry_id: str, fact: str, *, purge: bool = False, dry_run: bool = False
    ) -> FactForgetResult:
        """Forget one fact of an entry and keep the rest (`ctx forget ID --fact`); with
        `purge=True` every commit is rewritten without it (cannot be undone)."""
        from ctxtree.service import facts

        return facts.forget_fact(self._session(), entry_id, fact, purge=purge, dry_run=dry_run)

    @_in_python
    def forget(self, entry_id: str, *, purge: bool = False, dry_run: bool = False) -> ForgetResult:
        """Remove knowledge on purpose (`ctx forget`): the entry, every relation and [[link]]
        to it, and its cached rows, in one commit. `purge=True` also rewrites the store's git
        history without it (for secrets or personal data; it cannot be undone)."""
        from ctxtree.service import forget

        return forget.forget(self._session(), entry_id, purge=purge, dry_run=dry_run)

    @_in_python
    def review_list(self) -> list[Item]:
        """The review inbox (`ctx review list`): writes of external content held until
        accepted, when config `review.external` is `inbox`. `.conflict` says why one cannot
        be accepted now."""
        from ctxtree.service import inbox

        return inbox.listing(self._session())

    @_in_python
    def review_accept(self, *ids: str, all: bool = False, dry_run: bool = False) -> WriteResult:
        """Land inbox items in the tree as proposed, one commit (`ctx review accept`);
        ConflictError when an entry changed since its update was proposed."""
        from ctxtree.service import inbox

        return inbox.accept(self._session(), ids, all, dry_run)

    @_in_python
    def review_reject(
        self, *ids: str, all: bool = False, reason: str = "", dry_run: bool = False
    ) -> WriteResult:
        """Remove inbox items, one commit (`ctx review reject`); history keeps them."""
        from ctxtree.service import inbox

        return inbox.reject(self._session(), ids, all, reason, dry_run)

    @_in_python
    def apply(
        self,
        plan: Mapping[str, Any] | str,
        *,
        source: str = "python",
        allow_loss: bool = False,
        redact: bool = False,
        dry_run: bool = False,
    ) -> ApplyResult:
        """Apply a plan of operations (ADD, UPDATE, UPSERT, MERGE, SUPERSEDE, ARCHIVE,
        DELETE, LINK, each with a reason) as one commit, or none of it, as `ctx apply` does.
        `plan` is the plan's JSON value (a dict) or its JSON text; `ctx apply --schema`
        prints the format. An UPDATE that drops facts, relations or sources is blocked
        unless `allow_loss`. When any operation fails nothing is written and PlanError is
        raised; its `.result.operations` say what each operation did. `source` names where
        the plan came from in the commit's trailers (`Ctx-Source: plan:SOURCE`)."""
        from ctxtree.service import plans

        session = self._session()
        parsed = plans.load_plan(plan) if isinstance(plan, str) else plans.checked_plan(plan)
        result = plans.apply_plan(
            session, parsed, source, redact=redact, allow_loss=allow_loss, dry_run=dry_run
        )
        error = result.error()
        if error is not None:
            raise error
        return result

    def _materials(
        self, session: Session, text: str, files: Iterable[PathLike], episode: str | None,
        trust: str | None,
    ) -> list[Material]:  # fmt: skip
        from ctxtree.service import curator

        named = tuple((str(f), Path(f).read_text(encoding="utf-8")) for f in files)
        inputs = curator.Inputs(text=text or None, files=named, episode=episode, trust=trust)
        return curator.gather(session, inputs, self.root)

    @_in_python
    def curate(
        self,
        text: str = "",
        *,
        files: Iterable[PathLike] = (),
        episode: str | None = None,
        trust: str | None = None,
        model: str | None = None,
        command: str | None = None,
        dry_run: bool = False,
    ) -> CurateResult:
        """Curate `text`, `files` and/or an `episode` as `ctx curate` does: the configured
        model (or `model` / `command`) proposes a plan that is applied as `apply` applies
        one, one commit or none. Raises PlanError when an operation fails, LlmError when
        the model cannot be reached or never answers with a valid plan."""
        from ctxtree.service import curator

        session = self._session()
        materials = self._materials(session, text, files, episode, trust)
        result = curator.curate(
            session, os.environ, materials, model=model, command=command, dry_run=dry_run
        )
        error = result.applied.error() if result.applied else None
        if error is not None:
            raise error
        return result

    @_in_python
    def curation_brief(
        self,
        text: str = "",
        *,
        files: Iterable[PathLike] = (),
        episode: str | None = None,
        trust: str | None = None,
    ) -> str:
        """The brief `ctx curate --for-agent` prints: input, related entries, rules and the
        plan format, for a host agent to answer with a plan for `apply`. No model needed."""
        from ctxtree.service import curator

        session = self._session()
        return curator.brief_for_agent(
            session, self._materials(session, text, files, episode, trust)
        )
