"""Reads as the store stood at a date (`--as-of DATE` on search, context and show).

The answer comes from the last store commit at or before DATE, materialised once into
`cache/asof/<sha>/` (files from `git archive`, plus their own search index) and reused by later
reads of the same commit; validity windows are judged at DATE itself. The real index and working
tree are never touched, and nothing here is committed: cache/ is ignored by git.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctxtree.errors import NotFoundError, UsageError
from ctxtree.hints import Param
from ctxtree.service.session import Session
from ctxtree.tree import validity
from ctxtree.tree.store import Store

if TYPE_CHECKING:
    from ctxtree.retrieval.index import Index
    from ctxtree.tree.git import GitRepo

SNAPSHOTS = "cache/asof"
KEEP = 4  # snapshots kept, most recently used first
STALE_BUILD = timedelta(hours=1)  # a half-built snapshot this old belongs to a dead process

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})")
AS_OF = Param("as_of")
EXAMPLE = ("e.g. ", Param("as_of", "2026-11-20"), " (the end of that day, UTC) or ",
           Param("as_of", "2026-11-20T09:30:00Z"))  # fmt: skip


def parse_date(raw: str) -> datetime:
    """DATE for --as-of: `YYYY-MM-DD` is the last second of that day (UTC); a full ISO 8601
    timestamp with `Z` or an offset is exact. Anything else is a usage error."""
    text = raw.strip()
    try:
        if _DAY.fullmatch(text):
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            return day + timedelta(days=1, seconds=-1)
        if _STAMP.fullmatch(text):
            return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        pass
    raise UsageError((AS_OF, f" {raw!r} is not a date"), EXAMPLE)


@dataclass(frozen=True)
class AsOf:
    """Where an --as-of answer comes from."""

    as_of: str  # the instant asked about (UTC)
    commit: str  # the last store commit at or before it
    committed: str  # that commit's date
    snapshot: str  # live (HEAD, clean) | built | reused | git (one file read from git)
    build_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "commit": self.commit,
            "committed": self.committed,
            "snapshot": self.snapshot,
        }

    def note(self) -> str:
        return f"as of {self.as_of}: the store at commit {self.commit[:10]} ({self.committed})"

    def explain(self) -> str:
        how = {
            "live": "the live index (that commit is HEAD and nothing is uncommitted)",
            "built": f"a snapshot built now in {self.build_ms:.0f} ms under {SNAPSHOTS}/",
            "reused": f"a snapshot reused from {SNAPSHOTS}/",
            "git": "the file in git",
        }[self.snapshot]
        return (
            f"as-of: answered from commit {self.commit[:10]} ({self.committed}), the last at or "
            f"before {self.as_of}, through {how}; validity windows judged at {self.as_of}"
        )


@dataclass(frozen=True)
class Snapshot:
    store: Store
    origin: AsOf


def _repo(session: Session) -> GitRepo:
    from ctxtree.tree.git import GitRepo

    return GitRepo(session.store.root)


def commit_at(repo: GitRepo, moment: datetime) -> tuple[str, str]:
    """(sha, date) of the last commit at or before `moment`; NotFoundError when none."""
    found = repo.history.commit_before(validity.iso(moment))
    if found is None:
        first = repo.history.first_commit()
        since = f"first commit: {first[1]}" if first else "no commits yet"
        raise NotFoundError(
            f"the store has no history before {validity.iso(moment)} ({since})",
            ("pass a later ", AS_OF, " date; see `ctx log` for the history"),
        )
    return found


def snapshot(session: Session, moment: datetime) -> Snapshot:
    """The store as of `moment`: the live store when that is HEAD with nothing uncommitted
    under tree/ or archive/, else a materialised (and indexed) copy of the commit."""
    repo = _repo(session)
    sha, committed = commit_at(repo, moment)
    as_of = validity.iso(moment)
    if sha == repo.head_sha() and not any(
        path.startswith(("tree/", "archive/")) for _s, path in repo.dirty_paths()
    ):
        return Snapshot(session.store, AsOf(as_of, sha, committed, "live"))
    base = session.store.root / SNAPSHOTS
    target = base / sha
    if target.is_dir():
        origin = AsOf(as_of, sha, committed, "reused")
    else:
        started = time.perf_counter()
        _build(repo, sha, base, target)
        origin = AsOf(as_of, sha, committed, "built", (time.perf_counter() - started) * 1000)
    os.utime(target)  # marks it recently used, for pruning
    _prune(base, keep=KEEP, current=sha)
    return Snapshot(Store(target), origin)


def snapshot_index(snapshot: Snapshot) -> Index:
    """The snapshot's search index. A materialised commit never changes, so its index is
    refreshed only when it was never filled (new, or thrown away by a schema change)."""
    from ctxtree.retrieval.index import Index

    if snapshot.origin.snapshot == "live":
        return Index.open(snapshot.store)
    index = Index.open(snapshot.store, refresh=False)
    if index.generation() == 0:
        index.refresh()
    return index


def _build(repo: GitRepo, sha: str, base: Path, target: Path) -> None:
    """Export the commit and index it in a private folder, then rename it into place, so a
    snapshot folder that exists is complete (a concurrent reader may build the same one)."""
    from ctxtree.retrieval.index import Index

    base.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=base, prefix=".build-"))
    try:
        repo.history.export(sha, building)
        Index.open(Store(building)).close()
        try:
            os.rename(building, target)
        except OSError:
            if not target.is_dir():
                raise  # not a lost race with another reader
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _prune(base: Path, keep: int, current: str) -> None:
    """Keep the `keep` most recently used snapshots (and `current`); drop abandoned builds."""
    try:
        items = list(os.scandir(base))
    except FileNotFoundError:
        return
    now = time.time()
    done = []
    for item in items:
        if not item.is_dir(follow_symlinks=False):
            continue
        mtime = item.stat(follow_symlinks=False).st_mtime
        if item.name.startswith("."):
            if now - mtime > STALE_BUILD.total_seconds():
                shutil.rmtree(item.path, ignore_errors=True)
        elif item.name != current:
            done.append((mtime, item.path))
    done.sort(reverse=True)
    for _mtime, path in done[max(0, keep - 1) :]:
        shutil.rmtree(path, ignore_errors=True)


def drop_snapshots(store: Store) -> None:
    """Delete every snapshot (a purge: they hold files and indexes of rewritten commits)."""
    shutil.rmtree(store.root / SNAPSHOTS, ignore_errors=True)


@dataclass(frozen=True)
class EntryAt:
    """An entry's file as it stood at a date."""

    entry_id: str  # its id then (differs from the one asked for when it was moved since)
    path: str
    text: str
    superseded_by: tuple[str, ...]
    origin: AsOf


def entry_at(session: Session, entry_id: str, moment: datetime) -> EntryAt:
    """The file of `entry_id` in the last commit at or before `moment`, under tree/ or
    archive/, following later renames (`ctx mv`, archive moves) back to its path then."""
    from ctxtree.errors import InvalidEntryError
    from ctxtree.tree import frontmatter
    from ctxtree.tree.paths import id_from_relpath
    from ctxtree.tree.relations import outgoing

    repo = _repo(session)
    sha, committed = commit_at(repo, moment)
    origin = AsOf(validity.iso(moment), sha, committed, "git")
    candidates = [f"tree/{entry_id}.md", f"archive/{entry_id}.md"]
    for old, new in repo.history.renames_since(sha, ["tree", "archive"]):
        if new in candidates and old not in candidates:
            candidates.append(old)
    present = repo.history.existing(sha, candidates)
    path = next((p for p in candidates if p in present), None)
    text = repo.history.file_at(sha, path) if path else None
    then_id = id_from_relpath(path) if path else None
    if path is None or text is None or then_id is None:
        raise NotFoundError(
            f"{entry_id!r} did not exist on {origin.as_of} (store at commit {sha[:10]}, "
            f"{committed})",
            f"see its history with `ctx log {entry_id}`",
        )
    superseders = []
    for other in repo.history.files_containing(sha, then_id, ["tree"]):
        other_id = id_from_relpath(other)
        other_text = repo.history.file_at(sha, other) if other_id and other != path else None
        if other_id is None or other_text is None:
            continue
        try:
            parsed = frontmatter.parse(other_text, other_id, other)
        except InvalidEntryError:
            continue
        if any(r.type == "supersedes" and r.target == then_id for r in outgoing(parsed)):
            superseders.append(other_id)
    return EntryAt(then_id, path, text, tuple(sorted(superseders)), origin)
