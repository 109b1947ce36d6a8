"""Store use cases: init, status, config, committing hand edits."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctxtree import config as cfg
from ctxtree.errors import ConflictError, CtxError, StoreError, UsageError
from ctxtree.service.content import check_text, decode_input, guard_secrets, refuse_token
from ctxtree.service.entries import WriteResult, dry_diff
from ctxtree.service.session import Session, default_actor
from ctxtree.tree import frontmatter
from ctxtree.tree.paths import STORE_DIRNAME, STORE_MARKER, id_from_relpath, xdg_data_home
from ctxtree.tree.store import Store, init_files, is_temp_file, journal_pending
from ctxtree.wording import plural


@dataclass(frozen=True)
class InitResult:
    root: Path
    created: bool
    commit: str | None
    project: Path | None = None  # the git repository the store sits in, if any
    ignored: bool = False  # whether that repository's .gitignore leaves the store out
    gitignore_added: str = ""  # the line `--gitignore` added to it

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "created": self.created,
            "commit": self.commit,
            "project_repository": str(self.project) if self.project else None,
            "ignored_by_project": self.ignored,
            "gitignore_added": self.gitignore_added or None,
        }


def config_text(values: dict[str, Any]) -> str:
    header = "# ctxtree store settings; `ctx config set KEY VALUE` edits this file with a commit.\n"
    return header + frontmatter.dump_yaml(values, flow=False) + "\n"


def store_above(root: Path) -> Path | None:
    """The store that commands run at `root` would use today (found walking up, as
    `discover_store` does), other than `root` itself: a new store there would nest in it."""
    for directory in root.parents:
        candidate = directory / STORE_DIRNAME
        if candidate != root and (candidate / STORE_MARKER).is_file():
            return candidate
        if (directory / STORE_MARKER).is_file() and (directory / "tree").is_dir():
            return directory
    return None


def project_repository(root: Path) -> Path | None:
    """The git work tree the store's folder sits in (`.git` above it), if any."""
    for directory in root.parents:
        if (directory / ".git").exists():
            return directory
    return None


def ignore_line(project: Path, root: Path) -> str:
    """The .gitignore line that leaves the store out of the project's repository."""
    return "/" + root.relative_to(project).as_posix() + "/"


def ignored_by(project: Path, root: Path) -> bool:
    """Whether the project's top .gitignore has a line naming the store (a plain reading of
    the usual forms: `.ctx`, `.ctx/`, `/.ctx/`, `**/.ctx`; git's full rules are not
    re-implemented, so an unusual pattern reads as "not ignored" and only costs advice)."""
    path = project / ".gitignore"
    if not path.is_file():
        return False
    rel = root.relative_to(project).as_posix()
    forms = {root.name, f"**/{root.name}", f"/{rel}", rel}
    wanted = forms | {f"{form}/" for form in forms}
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return any(line.strip() in wanted for line in lines)


def init(
    target: str | None,
    global_: bool,
    env: Mapping[str, str],
    cwd: Path,
    *,
    here: bool = False,
    gitignore: bool = False,
    actor: str | None = None,
) -> InitResult:
    """Create a store (idempotent: an existing store is left as it is). Refuses to create
    one below an existing store (commands there already use that one) unless `here`. With
    `gitignore`, adds the store to the enclosing git repository's .gitignore; without it,
    no file of the user's is touched."""
    from ctxtree.tree.git import GitRepo, commit_message

    if global_:
        root = xdg_data_home(env)
    elif target:
        root = Path(target).expanduser().absolute()
        if root.name != STORE_DIRNAME and (root / STORE_DIRNAME / STORE_MARKER).is_file():
            root = root / STORE_DIRNAME
    else:
        root = cwd.absolute() / STORE_DIRNAME
    project = None if global_ else project_repository(root)
    if gitignore and project is None:
        raise UsageError(
            f"--gitignore: {root.parent} is not inside a git repository",
            "there is no project .gitignore to add the store to",
        )
    created, sha = False, None
    if not (root / STORE_MARKER).is_file():
        above = None if global_ or here else store_above(root)
        if above is not None:
            raise ConflictError(
                f"a store already exists above {root.parent}: {above} (commands here use it)",
                "use that store as it is, or pass --here to create a second store nested in it",
            )
        if root.exists() and not root.is_dir():
            raise StoreError(f"{root} exists and is not a directory", "choose another path")
        try:
            paths = init_files(root, config_text(cfg.DEFAULTS))
        except OSError as exc:
            raise StoreError(f"cannot create a store at {root}: {exc.strerror}", "") from None
        repo = GitRepo.init(root)
        who = actor or env.get("CTX_ACTOR") or default_actor(env)
        refuse_token(who, "the author (--author or CTX_ACTOR)")
        created = True
        sha = repo.commit(paths, commit_message("init", "new ctx store", who, ["cli"]))
        set_up_repository(root)
    ignored = project is not None and ignored_by(project, root)
    added = ""
    if gitignore and project is not None and not ignored:
        added = ignore_line(project, root)
        add_line(project / ".gitignore", added)
        ignored = True
    return InitResult(root, created, sha, project, ignored, added)


def set_up_repository(root: Path) -> None:
    """What a store's repository needs on this machine beyond its committed files, for
    `ctx init` and `ctx clone` alike: the cache folder, the pre-commit hook refusing secrets
    and invalid entries, and the merge driver's git config."""
    from ctxtree.service.installer import Report, install_merge_driver, install_store_hook

    (root / "cache").mkdir(exist_ok=True)
    report = Report()
    install_store_hook(root, report)
    install_merge_driver(root, report)


def add_line(path: Path, line: str) -> None:
    """Append a line to a text file of the user's (created if absent), keeping what is there."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    separator = "" if not text or text.endswith("\n") else "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{separator}{line}\n")


@dataclass(frozen=True)
class Status:
    root: str
    entries: int
    domains: dict[str, int]
    last_commit: dict[str, Any] | None
    dirty: list[dict[str, str]]
    invalid: list[dict[str, Any]]
    git_error: str = ""
    archived: int = 0
    inbox: int = 0  # writes of external content waiting for review (`ctx review list`)
    extra: dict[str, Any] = field(default_factory=dict)
    recovered: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "entries": self.entries,
            "archived": self.archived,
            "inbox": self.inbox,
            "domains": self.domains,
            "last_commit": self.last_commit,
            "dirty": self.dirty,
            "invalid": self.invalid,
            "git_error": self.git_error,
            "recovered": self.recovered,
            "problems": self.problems,
        }


def status(session: Session) -> Status:
    """Counts, domains, last commit, uncommitted files and malformed files (with lines)."""
    from ctxtree.retrieval.index import Index
    from ctxtree.service.inbox import item_ids
    from ctxtree.tree.git import GitRepo

    store = session.store
    index = Index.open(store)
    try:
        domains, archived = index.census()
        invalid = [
            {"path": path, "line": line, "error": message}
            for path, message, line in index.invalid()
        ]
    finally:
        index.close()
    last = None
    dirty: list[dict[str, str]] = []
    git_error = ""
    try:
        repo = GitRepo(store.root)
        commits = repo.history.log(limit=1)
        last = commits[0].to_json() if commits else None
        dirty = [{"status": s, "path": p} for s, p in repo.dirty_paths()]
    except CtxError as exc:
        git_error = exc.message
    return Status(
        recovered=recent_recoveries(store.root),
        problems=store_problems(store.root),
        root=str(store.root),
        entries=sum(domains.values()),
        domains=domains,
        last_commit=last,
        dirty=dirty,
        invalid=invalid,
        git_error=git_error,
        archived=archived,
        inbox=len(item_ids(session)),
    )


def recent_recoveries(root: Path, days: float = 7.0) -> list[dict[str, Any]]:
    """Interrupted writes repaired in the last `days` days (the journal's log)."""
    from datetime import UTC, datetime, timedelta

    from ctxtree.tree import journal

    since = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [r for r in journal.recoveries(root) if str(r.get("at", "")) >= since]


def store_problems(root: Path) -> list[str]:
    """What needs `ctx doctor`, from a few stats: nothing here walks the tree."""

    problems = []
    if journal_pending(root):
        problems.append("a write is in progress or was interrupted (its journal is present)")
    if (root / ".git" / "ctx-journal.bad").exists():
        problems.append("an interrupted write's journal was unreadable: see `ctx doctor`")
    for name in ("index.lock", "HEAD.lock", "refs/heads/main.lock"):
        if (root / ".git" / name).exists():
            problems.append(f".git/{name} exists: git writes fail until it is gone")
    return problems


def config_get(session: Session, key: str | None) -> dict[str, Any]:
    values = session.config()
    if key is None:
        return cfg.flatten(values)
    return {key: cfg.get(values, key)}


def config_set(session: Session, key: str, raw_value: str, dry_run: bool = False) -> WriteResult:
    """Set one key in config.yaml (committed, so a credential is refused like anywhere else)."""
    value = cfg.coerce(key, raw_value)
    guard_secrets({key: raw_value}, redact=False)
    if key == "actor":
        refuse_token(raw_value, "the actor")
    try:
        session.settings  # noqa: B018 (the write reads the actor and lock timeout from it)
    except UsageError:
        # A bad value in config.yaml stops every other command; setting it right must not, so
        # this write runs with the default lock timeout (and the configured actor, if any).
        actor = session.config().get("actor")
        session = session.with_config(cfg.with_value(cfg.DEFAULTS, "actor", str(actor or "")))
    store = session.store
    with session.transaction("config", dry_run=dry_run) as tx:
        loaded = frontmatter.load_yaml(store.read_config_text()) or {}
        tx.subject = f"{key} = {value}"
        tx.write(STORE_MARKER, config_text(cfg.with_value(loaded, key, value)))
    return WriteResult("config", (key,), tx.commit_sha, diff=dry_diff(tx))


def commit_hand_edits(
    session: Session, message: str, redact: bool = False, dry_run: bool = False
) -> tuple[list[str], WriteResult]:
    """Commit files edited outside ctx, after checking each changed entry still parses and
    holds no credential (refused, or masked in the file with `redact`)."""
    from ctxtree.tree.git import GitRepo

    store = session.store
    repo = GitRepo(store.root)
    # A killed writer's temp files are debris for `ctx doctor`, never content.
    changed = [
        p for _s, p in repo.dirty_paths() if not p.startswith("cache/") and not is_temp_file(p)
    ]
    limit = session.settings.limits.max_entry_bytes
    cleaned: dict[str, str] = {}
    for relpath in changed:
        data = store.read_bytes(relpath)  # refuses a symbolic link
        if data is None:
            continue  # deleted
        text = decode_input(data, relpath)
        check_text(text, relpath, limit)
        entry_id = id_from_relpath(relpath)
        if entry_id:
            frontmatter.parse(text, entry_id, relpath)
        clean = guard_secrets({relpath: text}, redact)[relpath]
        if clean != text:
            cleaned[relpath] = clean
    if not changed:
        return [], WriteResult("commit", (), None, message="nothing to commit")
    with session.transaction("commit", dry_run=dry_run) as tx:
        for relpath in changed:
            if relpath in cleaned:
                tx.write(relpath, cleaned[relpath])
            else:
                tx.stage(relpath)
        tx.subject = message or f"hand edits to {plural(len(changed), 'file')}"
        if dry_run:
            tx.diff = _hand_diff(repo, store, changed, cleaned)
    return changed, WriteResult("commit", tuple(changed), tx.commit_sha, diff=dry_diff(tx))


def _hand_diff(repo: Any, store: Store, paths: list[str], cleaned: dict[str, str]) -> str:
    """What `ctx commit` would record: HEAD's version of each path against the file now."""
    import difflib

    chunks = []
    for relpath in paths:
        before = repo.history.file_at("HEAD", relpath)
        after = cleaned.get(relpath)
        if after is None and os.path.isfile(store.path(relpath)):
            after = store.read_text(relpath)
        lines = difflib.unified_diff(
            (before or "").splitlines(keepends=True),
            (after or "").splitlines(keepends=True),
            "/dev/null" if before is None else f"a/{relpath}",
            "/dev/null" if after is None else f"b/{relpath}",
        )
        chunks.append("".join(x if x.endswith("\n") else x + "\n" for x in lines))
    return "".join(chunks)
