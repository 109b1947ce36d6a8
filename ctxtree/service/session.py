"""What every command needs: the store, who is acting, and the clock. Built from flags,
environment and cwd by one function, so nothing is read at import time."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctxtree.config import Config, from_values
from ctxtree.errors import CtxError, UsageError
from ctxtree.tree.paths import discover_store
from ctxtree.tree.store import Store
from ctxtree.tree.validity import iso

if TYPE_CHECKING:
    from ctxtree.retrieval.throttle import Throttle
    from ctxtree.tree.transaction import Transaction


@dataclass(frozen=True)
class Session:
    """The store a command acts on, who acts, and the clock."""

    store: Store
    now: datetime
    actor_override: str = ""
    config_values: Mapping[str, Any] | None = None  # instead of config.yaml (`with_config`)
    throttle: Throttle | None = None  # a long-lived process's index freshness checks

    @cached_property
    def actor(self) -> str:
        """--author/CTX_ACTOR, else config `actor`, else human:$USER (read only by writers).
        It lands in every commit's trailers: a credential there is refused."""
        from ctxtree.hints import Param
        from ctxtree.service.content import refuse_token

        if self.actor_override:
            who = ("the author (", Param("actor", flag="--author"), " or CTX_ACTOR)")
            refuse_token(self.actor_override, who)
            return self.actor_override
        configured = self.settings.actor
        if configured:
            refuse_token(configured, "the configured actor")
        return configured or default_actor(os.environ)

    @property
    def timestamp(self) -> str:
        return iso(self.now)

    def config(self) -> dict[str, Any]:
        """config.yaml over the defaults, as written (what `ctx config` shows and sets)."""
        return self._config

    @cached_property
    def settings(self) -> Config:
        """config.yaml typed and validated, once per session: read settings from here."""
        return from_values(self.config())

    @cached_property
    def _config(self) -> dict[str, Any]:
        if self.config_values is not None:
            return dict(self.config_values)
        return self.store.config()

    def with_config(self, values: Mapping[str, Any]) -> Session:
        """This session with `values` as its configuration (the store's file is not read)."""
        return replace(self, config_values=values)

    def lock_timeout(self) -> float:
        return float(self.settings.limits.lock_timeout_seconds)

    @contextmanager
    def transaction(
        self, op: str, sources: Sequence[str] = (), dry_run: bool = False
    ) -> Iterator[Transaction]:
        """A store transaction as this session's actor, dated by its clock. After a commit,
        the search index (when there is one) takes the change in this process, which has
        the entry modules loaded already: otherwise the next read, often a prompt hook,
        parsed the written files itself (PyYAML's import and all: +70-130 ms on 10k
        entries)."""
        with self.store.transaction(
            op, self.actor, sources, self.lock_timeout(), dry_run=dry_run, date=self.timestamp
        ) as tx:
            yield tx
        if tx.commit_sha and not dry_run:
            self._refresh_index()

    def _refresh_index(self) -> None:
        from ctxtree.retrieval.index import Index

        if not Index.path_for(self.store).is_file():
            return  # no reader has built one: the first read builds it
        # The write is done; the index holds only derived data, and the next read repairs it.
        with suppress(CtxError, OSError):
            Index.open(self.store).close()


def clock(env: Mapping[str, str]) -> datetime:
    """Now, or the frozen instant in CTX_NOW (ISO 8601), which tests and replays use."""
    frozen = env.get("CTX_NOW")
    if not frozen:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(frozen.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"CTX_NOW={frozen!r} is not an ISO 8601 time", "e.g. CTX_NOW=2026-11-20T10:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def default_actor(env: Mapping[str, str]) -> str:
    name = env.get("USER") or env.get("LOGNAME")
    if not name:
        import pwd

        try:
            name = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            name = "unknown"
    return f"human:{name}"


def open_session(
    tree: str | None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    actor: str | None = None,
    recover: bool = True,
) -> Session:
    """The session for the store that flags, environment and cwd name. With `recover` (every
    command but `doctor`, which explains first), an interrupted write is finished or undone."""
    env = os.environ if env is None else env
    location = discover_store(tree, env, cwd or Path.cwd())
    store = Store(location.root).check(recover=recover)
    who = actor or env.get("CTX_ACTOR") or ""
    return Session(store=store, now=clock(env), actor_override=who)
