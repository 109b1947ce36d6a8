"""The store's own git repository. The only module that imports gitpython (lazily).

Commits go through gitpython's command interface (`repo.git.<cmd>`): one `git` process per
call, measured 3-5x faster here than gitpython's pure-Python index writer (SPEC §1).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctxtree.errors import ConflictError, NotFoundError, StoreError

_SHA_RE = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
FIELD = "\x1f"
RECORD = "\x1e"
TRAILER_OP = "Ctx-Op"


@dataclass(frozen=True)
class Commit:
    sha: str
    time: str
    author: str
    subject: str
    trailers: tuple[tuple[str, str], ...]

    @property
    def op(self) -> str:
        return self.trailer(TRAILER_OP)

    def trailer(self, key: str) -> str:
        return next((v for k, v in self.trailers if k == key), "")

    def to_json(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "time": self.time,
            "author": self.author,
            "subject": self.subject,
            "op": self.op,
            "actor": self.trailer("Ctx-Actor"),
            "sources": [v for k, v in self.trailers if k == "Ctx-Source"],
        }


def commit_message(
    op: str, subject: str, actor: str, sources: Sequence[str], body: str = ""
) -> str:
    """`op: subject`, an optional body, and the Ctx-* trailers that make history queryable.

    Credentials are masked here too: reasons, subjects and source refs reach the message
    from user input, and history is the hardest place to remove a secret from."""
    from ctxtree.tree.secrets import redact

    lines = [f"{op}: {subject}".strip(), ""]
    if body.strip():
        lines += [body.strip(), ""]
    lines.append(f"Ctx-Op: {op}")
    lines.append(f"Ctx-Actor: {actor}")
    lines += [f"Ctx-Source: {source}" for source in (sources or ["cli"])]
    return redact("\n".join(lines) + "\n")


@contextlib.contextmanager
def _pathspec(paths: Sequence[str]) -> Iterator[list[str]]:
    """Arguments naming `paths` for git: inline when few, through a file when many (a
    commit of thousands of files would exceed the argument-list limit)."""
    if len(paths) <= 200:
        yield ["--", *paths]
        return
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as handle:
        handle.write("\0".join(paths))
    try:
        yield [f"--pathspec-from-file={handle.name}", "--pathspec-file-nul"]
    finally:
        os.unlink(handle.name)


def _dated(date: str | None) -> dict[str, str] | None:
    return {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None


def _git_error(exc: Exception, action: str) -> StoreError:
    stderr = getattr(exc, "stderr", "") or str(exc)
    detail = " ".join(str(stderr).replace("stderr:", "").split())[:300]
    return StoreError(f"git {action} failed: {detail}", "run `ctx status` to inspect the store")


class GitRepo:
    """An opened, validated store repository."""

    def __init__(self, root: Path, lock_fd: int | None = None) -> None:
        # The store's write lock, handed to every git process that changes the store: a
        # killed ctx's git child keeps the store locked until it exits, so the next command
        # never repairs a write that is still landing (tree/journal.py).
        self.lock_fd = lock_fd
        try:
            import git
        except ImportError as exc:  # gitpython refuses to import without a git executable
            raise StoreError(
                f"git is not usable: {exc}", "install git and make sure it is on PATH"
            ) from None
        self._git_module = git
        self.root = root
        if not (root / ".git").exists():
            raise StoreError(
                f"the store at {root} has no git repository (.git is missing)",
                f"restore {root / '.git'} from a backup, or run `git init` there and "
                "`ctx commit` to start a new history",
            )
        head = root / ".git" / "HEAD"
        try:
            head_text = head.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            head_text = ""
        # A file check instead of `git rev-parse`: one git process less on every write.
        if not (head_text.startswith("ref: refs/") or _SHA_RE.fullmatch(head_text)):
            raise StoreError(
                f"the store's git repository at {root / '.git'} is corrupt (HEAD is unreadable)",
                f"run `git -C {root} fsck` to inspect it; the markdown files are intact",
            )
        try:
            self.repo = git.Repo(root)
            self.git = self.repo.git
        except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError) as exc:
            raise StoreError(
                f"the store's git repository at {root / '.git'} is corrupt or unreadable "
                f"({type(exc).__name__})",
                f"run `git -C {root} fsck` to inspect it; the markdown files are intact",
            ) from None

    @staticmethod
    def init(root: Path) -> GitRepo:
        try:
            import git
        except ImportError as exc:
            raise StoreError(f"git is not usable: {exc}", "install git") from None
        try:
            repo = git.Repo.init(root, initial_branch="main")
        except git.GitCommandError as exc:
            raise _git_error(exc, "init") from None
        try:
            repo.git.config("--get", "user.email")
        except git.GitCommandError:
            # No identity anywhere: give the store one so commits never fail on a new machine.
            repo.git.config("user.name", "ctxtree")
            repo.git.config("user.email", "ctxtree@localhost")
        instance = GitRepo.__new__(GitRepo)
        instance.lock_fd = None
        instance._git_module = git
        instance.root = root
        instance.repo = repo
        instance.git = repo.git
        return instance

    def head_sha(self) -> str | None:
        try:
            return str(self.git.rev_parse("--verify", "-q", "HEAD"))
        except self._git_module.GitCommandError as exc:
            if exc.status == 1 and not str(exc.stderr).strip():
                return None  # no commits yet
            raise

    def commit(self, paths: Sequence[str], message: str, date: str | None = None) -> str:
        """Stage exactly `paths` (additions, edits, deletions) and commit only them, dated
        `date` (ISO 8601) when given. The message goes through stdin and long path lists
        through a file: a commit of any size never meets the argument-list limit."""
        env = _dated(date)
        with _pathspec(paths) as spec:
            try:
                self._raw("add", "-A", *spec)
                self._raw(
                    "-c", "gc.auto=0", "commit", "-q", "--no-verify", "-F", "-", *spec,
                    stdin=message.encode("utf-8"), env=env,
                )  # fmt: skip
            except StoreError as exc:
                with contextlib.suppress(StoreError):
                    self._raw("reset", "-q", *spec)
                raise StoreError(exc.message.replace("git add", "git commit"), exc.hint) from None
        self.collect_garbage()
        return self.head_sha_fast() or str(self.git.rev_parse("HEAD"))

    def collect_garbage(self) -> None:
        """`git gc --auto`, started only when git's own estimate says it has work: our commits
        pass gc.auto=0, because a gc forked by them would inherit the write lock and hold it
        for as long as it runs. Estimated the way git does: loose objects in one fan-out
        folder, times 256, against gc.auto (6700)."""
        try:
            loose = len(os.listdir(self.root / ".git" / "objects" / "17"))
        except OSError:
            return
        if loose * 256 <= 6700:
            return
        import subprocess

        subprocess.Popen(
            ["git", "gc", "--auto", "--quiet"],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def head_sha_fast(self) -> str | None:
        """HEAD's sha read from .git files (loose or packed ref), without a git process;
        None before the first commit or when it cannot be read that way."""
        git_dir = self.root / ".git"
        try:
            head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
            if not head.startswith("ref: "):
                return head if _SHA_RE.fullmatch(head) else None
            ref = head[len("ref: ") :]
            loose = git_dir / ref
            if loose.is_file():
                sha = loose.read_text(encoding="utf-8").strip()
                return sha if _SHA_RE.fullmatch(sha) else None
            packed = git_dir / "packed-refs"
            if packed.is_file():
                for line in packed.read_text(encoding="utf-8").splitlines():
                    sha, _sep, name = line.partition(" ")
                    if name == ref and _SHA_RE.fullmatch(sha):
                        return sha
        except OSError:
            return None
        return None

    def commit_index(self, message: str, date: str | None = None) -> str:
        """Commit what is staged (undo's revert), the message through stdin."""
        self._raw(
            "-c", "gc.auto=0", "commit", "-q", "--no-verify", "-F", "-",
            stdin=message.encode("utf-8"), env=_dated(date),
        )  # fmt: skip
        return self.head_sha_fast() or str(self.git.rev_parse("HEAD"))

    def reset_paths(self, paths: Sequence[str]) -> None:
        """Point the index entries of `paths` back at HEAD (the files are left alone)."""
        if not paths:
            return
        with _pathspec(paths) as spec:
            self._raw("reset", "-q", *spec, ok=(0, 1))

    def reset_index(self) -> None:
        """Point the whole index at HEAD (files untouched)."""
        self._raw("reset", "-q")

    def checkout_paths(self, paths: Sequence[str]) -> None:
        """Write HEAD's version of `paths` (each present in HEAD) to index and files."""
        if not paths:
            return
        with _pathspec(paths) as spec:
            self._raw("checkout", "HEAD", *spec)

    def current_head(self) -> str | None:
        """HEAD's sha (a file read when it can be; git otherwise); None before any commit."""
        found = self.head_sha_fast()
        if found is not None:
            return found
        try:
            return self.head_sha()
        except self._git_module.GitCommandError as exc:
            raise _git_error(exc, "rev-parse") from None

    def paths_in_head(self, paths: Sequence[str]) -> set[str]:
        """Which of `paths` HEAD holds."""
        if self.current_head() is None:
            return set()
        out = self._raw("ls-tree", "-r", "-z", "--name-only", "--full-tree", "HEAD")
        return set(out.decode("utf-8", "replace").split("\0")) & set(paths)

    def changed_against_head(self, paths: Sequence[str]) -> list[str]:
        """Which of `paths` differ between the files and HEAD (one `git status`)."""
        wanted = set(paths)
        return sorted(p for _status, p in self.dirty_paths() if p in wanted)

    def lock_files(self) -> list[Path]:
        """git's own lock files in the store: a git process killed mid-write leaves them."""
        git_dir = self.root / ".git"
        found = [
            git_dir / name
            for name in ("index.lock", "HEAD.lock", "packed-refs.lock", "ORIG_HEAD.lock",
                         "config.lock", "shallow.lock")
            if (git_dir / name).exists()
        ]  # fmt: skip
        refs = git_dir / "refs"
        for folder, _dirs, names in os.walk(refs):
            found += [Path(folder) / n for n in names if n.endswith(".lock")]
        return found

    def clear_stale_locks(self, wait: float = 2.0) -> list[str]:
        """Remove git lock files no live git process owns; returns what was removed.

        A lock is left alone while a git process runs in the store (waiting up to `wait`
        seconds for it): a reader's `git status` may hold index.lock for a moment. Where
        processes cannot be listed (no /proc), a lock older than 10 s counts as stale."""
        import time

        locks = self.lock_files()
        deadline = time.monotonic() + wait
        while locks and self.live_git_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
            locks = self.lock_files()
        if not locks:
            return []
        pids = self.live_git_pids()
        if pids:
            raise StoreError(
                f"git process {pids[0]} is still working in the store and holds "
                f"{locks[0].relative_to(self.root)}",
                "wait for it to finish, then run the command again",
            )
        removed = []
        for lock in locks:
            if not Path("/proc/self").exists():
                try:
                    if time.time() - lock.stat().st_mtime < 10:
                        continue
                except OSError:
                    continue
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
                removed.append(str(lock.relative_to(self.root)))
        return removed

    def live_git_pids(self) -> list[int]:
        """Live `git` processes whose working directory is in the store (Linux /proc)."""
        proc = Path("/proc")
        if not (proc / "self").exists():
            return []
        root = os.path.realpath(self.root)
        found = []
        for item in os.listdir(proc):
            if not item.isdigit() or int(item) == os.getpid():
                continue
            try:
                if (proc / item / "comm").read_text().strip() != "git":
                    continue
                cwd = os.readlink(proc / item / "cwd")
            except OSError:
                continue
            if cwd == root or cwd.startswith(root + os.sep):
                found.append(int(item))
        return found

    def staged_paths(self) -> list[str]:
        """Paths whose index entry differs from HEAD (staged, not committed)."""
        out = self._raw("diff", "--cached", "--name-only", "-z", "--no-renames")
        return sorted(p for p in out.decode("utf-8", "surrogateescape").split("\0") if p)

    def fsck(self) -> list[str]:
        """`git fsck` problems, one line each (empty when the repository is sound)."""
        done = self._run(["fsck", "--no-progress", "--no-dangling"], None, None)
        text = (done.stdout + done.stderr).decode("utf-8", "replace")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if done.returncode != 0 and not lines:
            lines = [f"git fsck exited {done.returncode}"]
        return lines

    def sequencer_busy(self) -> bool:
        git_dir = self.root / ".git"
        return (git_dir / "REVERT_HEAD").exists() or (git_dir / "sequencer").exists()

    def log(self, paths: Sequence[str] = (), limit: int = 20, rev: str = "HEAD") -> list[Commit]:
        fmt = FIELD.join(["%H", "%aI", "%an", "%s", "%(trailers:only,unfold)"]) + RECORD
        args = [f"--format={fmt}", f"-n{limit}", rev]
        if paths:
            args += ["--", *paths]
        if self.head_sha() is None:
            return []
        try:
            out = self.git.log(*args)
        except self._git_module.GitCommandError as exc:
            raise _git_error(exc, "log") from None
        commits = []
        for record in out.split(RECORD):
            record = record.strip("\n")
            if not record:
                continue
            sha, time, author, subject, trailer_text = record.split(FIELD)
            trailers = []
            for line in trailer_text.splitlines():
                key, sep, value = line.partition(":")
                if sep:
                    trailers.append((key.strip(), value.strip()))
            commits.append(Commit(sha, time, author, subject, tuple(trailers)))
        return commits

    def dirty_paths(self) -> list[tuple[str, str]]:
        """(status, path) for every uncommitted change, untracked files included."""
        out = self._raw("status", "--porcelain=v1", "-z", "--untracked-files=all")
        items = out.decode("utf-8", "surrogateescape").split("\0")
        result: list[tuple[str, str]] = []
        index = 0
        while index < len(items):
            item = items[index]
            index += 1
            if not item:
                continue
            code, path = item[:2], item[3:]
            if code[0] in "RC":
                index += 1  # the rename's source path follows
            result.append((code.strip() or "?", path))
        return result

    def diff(self, rev: str | None, paths: Sequence[str] = ()) -> str:
        args = [rev or "HEAD"]
        if paths:
            args += ["--", *paths]
        try:
            return str(self.git.diff(*args))
        except self._git_module.GitCommandError as exc:
            if "unknown revision" in str(exc.stderr) or "bad revision" in str(exc.stderr):
                raise NotFoundError(
                    f"unknown revision {rev!r}", "see `ctx log` for revisions"
                ) from None
            raise _git_error(exc, "diff") from None

    def changed_paths(self, sha: str) -> list[str]:
        out = self.git.show("--name-only", "--format=", "-m", "--first-parent", sha)
        return [line for line in str(out).splitlines() if line.strip()]

    def revert(self, shas: Sequence[str]) -> None:
        """Apply the inverse of `shas` (newest first) to index and tree, without committing."""
        try:
            self._raw("revert", "--no-commit", "--no-edit", *shas)
        except StoreError as exc:
            with contextlib.suppress(StoreError):
                self._raw("revert", "--abort")
            detail = exc.message.removeprefix("git revert failed: ")[:200]
            raise ConflictError(
                f"undo would clobber later edits ({detail})",
                "undo fewer commits, or revert by hand with git in the store",
            ) from None

    def staged_changes(self) -> bool:
        return self._raw_code("diff", "--cached", "--quiet") != 0

    def abandon_revert(self) -> None:
        """Undo an applied-but-uncommitted revert and forget git's sequencer state."""
        for args in (("--abort",), ("--quit",)):
            with contextlib.suppress(StoreError):
                self._raw("revert", *args)

    def finish_revert(self) -> None:
        with contextlib.suppress(StoreError):
            self._raw("revert", "--quit")

    def show_file(self, rev: str, path: str) -> str | None:
        try:
            return str(self.git.show(f"{rev}:{path}"))
        except self._git_module.GitCommandError:
            return None

    def introduced_by(self, paths: Sequence[str]) -> dict[str, str]:
        """Short sha of the commit that last added each of `paths` at that path (a move
        counts as adding it there); paths never committed are left out. One `git log`."""
        return self._last_added(paths, "%h")

    def _last_added(self, paths: Sequence[str], fmt: str) -> dict[str, str]:
        """`fmt` (a git log placeholder) of the newest commit that added each of `paths` at
        that path (a move or restore counts as adding it there); one `git log`."""
        if not paths or self.head_sha() is None:
            return {}
        wanted = set(paths)
        # Past the argument-list limit, walk every entry's adds and keep those asked for.
        spec = list(paths) if len(paths) <= 200 else ["tree", "archive"]
        try:
            out = str(
                self.git.log(
                    "--diff-filter=A", "--no-renames", f"--format={RECORD}{fmt}", "--name-only",
                    "--", *spec,
                )
            )  # fmt: skip
        except self._git_module.GitCommandError as exc:
            raise _git_error(exc, "log") from None
        found: dict[str, str] = {}
        for record in out.split(RECORD):
            lines = [line.strip() for line in record.splitlines() if line.strip()]
            for path in lines[1:]:
                if path in wanted:
                    found.setdefault(path, lines[0])  # newest first: the last add
        return found

    # ---- forget --purge, blame, undo --dry-run ------------------------------------------
    def _raw(
        self,
        *args: str,
        stdin: bytes | None = None,
        ok: tuple[int, ...] = (0,),
        env: dict[str, str] | None = None,
    ) -> bytes:
        """Run git in the store with bytes in and out (history rewrites need exact bytes;
        gitpython decodes and strips output). Holds the write lock through `lock_fd`."""
        done = self._run(args, stdin, env)
        if done.returncode not in ok:
            detail = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
            verb = next((a for a in args if not a.startswith("-") and "=" not in a), "")
            raise StoreError(
                f"git {verb} failed: {detail}", "run `ctx doctor` to inspect the store"
            )
        return bytes(done.stdout)

    def _raw_code(self, *args: str) -> int:
        return int(self._run(args, None, None).returncode)

    def _run(self, args: Sequence[str], stdin: bytes | None, env: dict[str, str] | None) -> Any:
        import subprocess

        return subprocess.run(
            ["git", *args],
            cwd=self.root,
            input=stdin,
            capture_output=True,
            check=False,
            env={**os.environ, **env} if env else None,
            pass_fds=(self.lock_fd,) if self.lock_fd is not None else (),
        )

    def follow(self, path: str, every_ref: bool = False) -> list[tuple[str, str, str, str]]:
        """(commit, path there, old blob, new blob) of each change to the file at `path`,
        newest first, following renames and moves (90% similar: entries share boilerplate,
        so git's default 50% pairs unrelated ones) but not copies: an entry created as a
        copy of another begins there. Blobs are all zeros where there is none."""
        args = ["log", "--follow", "-M90%", "-m", "--raw", "--no-abbrev", "--format=%x1e%H"]
        if every_ref:
            args.insert(1, "--all")
        out = self._raw(*args, "--", path).decode("utf-8", "replace")
        changes: list[tuple[str, str, str, str]] = []
        current = path
        for record in out.split("\x1e")[1:]:
            sha, *lines = record.split("\n")
            for line in lines:
                if not line.startswith(":"):
                    continue
                meta, *names = line.split("\t")
                _old_mode, _new_mode, old, new, status = meta[1:].split()[:5]
                if names[-1] != current:
                    continue
                if status[0] == "C":  # the copy's source is another entry
                    changes.append((sha.strip(), current, "0" * 40, new))
                    return changes
                changes.append((sha.strip(), current, old, new))
                if status[0] == "R":
                    current = names[0]
        return changes

    def grep_files(self, needle: str, pathspecs: Sequence[str]) -> list[str]:
        """Files (tracked or untracked, not ignored) under `pathspecs` containing `needle`."""
        out = self._raw(
            "grep", "-l", "-F", "--untracked", "-e", needle, "--", *pathspecs, ok=(0, 1)
        )
        return sorted(line for line in out.decode("utf-8").splitlines() if line)

    def rewrite_blockers(self) -> list[str]:
        """Why the history cannot be rewritten safely now: a detached HEAD, a merge, revert
        or rebase in progress, uncommitted changes (a rewrite resets the index)."""
        git_dir = self.root / ".git"
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        problems = [] if head.startswith("ref: ") else ["HEAD is detached"]
        states = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply")
        problems += [f"{name} exists" for name in states if (git_dir / name).exists()]
        dirty = [path for _status, path in self.dirty_paths()]
        if dirty:
            more = f" (and {len(dirty) - 3} more)" if len(dirty) > 3 else ""
            shown = ", ".join(dirty[:3]) + more
            problems.append(f"uncommitted changes in {shown}")
        return problems

    def fast_export(self) -> bytes:
        """Every ref's history as a fast-import stream, blobs by sha (`--no-data`)."""
        return self._raw(
            "fast-export", "--all", "--no-data", "--show-original-ids", "--reencode=yes",
            "--signed-tags=strip", "--tag-of-filtered-object=rewrite", "--use-done-feature",
        )  # fmt: skip

    def fast_import(self, stream: bytes) -> None:
        """Replace the refs with the commits of `stream`, then point the index at the new
        HEAD (the files on disk already match it)."""
        self._raw("fast-import", "--force", "--quiet", stdin=stream)
        self._raw("reset", "-q")

    def drop_old_history(self) -> None:
        """Make the objects a rewrite replaced unreachable, then delete them: backup refs,
        ORIG_HEAD and FETCH_HEAD, every reflog entry, then `git gc --prune=now`."""
        refs = self._raw("for-each-ref", "--format=%(refname)", "refs/original/")
        for ref in refs.decode("utf-8").split():
            self._raw("update-ref", "-d", ref)
        for name in ("ORIG_HEAD", "FETCH_HEAD"):
            (self.root / ".git" / name).unlink(missing_ok=True)
        self._raw("reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all")
        self._raw("gc", "--prune=now", "--quiet")

    def remotes(self) -> list[str]:
        return self._raw("remote").decode("utf-8").split()

    def has_object(self, sha: str) -> bool:
        return bool(self._raw("cat-file", "-t", sha, ok=(0, 1, 128)).strip())

    def blobs_containing(self, needles: Sequence[bytes]) -> dict[str, bytes]:
        """Every blob in the object database holding one of `needles`, by sha: one
        `git cat-file --batch-all-objects` pass over all objects."""
        import subprocess

        found: dict[str, bytes] = {}
        if not needles:
            return found
        with subprocess.Popen(
            ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        ) as proc:
            assert proc.stdout is not None
            while header := proc.stdout.readline():
                sha, kind, size = header.split()
                data = proc.stdout.read(int(size) + 1)[:-1]
                if kind == b"blob" and any(n in data for n in needles):
                    found[sha.decode("ascii")] = data
        return found

    def blob_paths(self) -> dict[str, str]:
        """A path each object reachable from any ref was seen at (`rev-list --objects`)."""
        out = self._raw("rev-list", "--all", "--objects")
        paths: dict[str, str] = {}
        for line in out.decode("utf-8", "replace").splitlines():
            sha, _sep, path = line.partition(" ")
            if path:
                paths.setdefault(sha, path)
        return paths

    def blame(self, path: str) -> list[tuple[str, int, str]] | None:
        """(commit sha, line number, text) of every line of `path` as it is on disk; the sha
        is all zeros for an uncommitted line. Follows renames and moves (`-M` also finds
        lines moved within the file). None when the file was never committed."""
        out = self._raw("blame", "--line-porcelain", "-M", "--", path, ok=(0, 128))
        if not out:
            return None
        lines: list[tuple[str, int, str]] = []
        sha, number = "", 0
        for raw in out.decode("utf-8", "replace").split("\n"):
            if raw.startswith("\t"):
                lines.append((sha, number, raw[1:]))
                continue
            parts = raw.split(" ")
            if len(parts) >= 3 and _SHA_RE.fullmatch(parts[0]):
                sha, number = parts[0], int(parts[2])
        return lines

    def commits(self, shas: Sequence[str]) -> dict[str, Commit]:
        """The commits named by `shas`, with their trailers, by full sha (one git process)."""
        wanted = sorted(set(shas))
        if not wanted:
            return {}
        fmt = FIELD.join(["%H", "%aI", "%an", "%s", "%(trailers:only,unfold)"]) + RECORD
        out = self._raw("show", "-s", "--no-walk=unsorted", f"--format={fmt}", *wanted)
        found: dict[str, Commit] = {}
        for record in out.decode("utf-8", "replace").split(RECORD):
            record = record.strip("\n")
            if not record:
                continue
            sha, time, author, subject, trailer_text = record.split(FIELD)
            trailers = []
            for line in trailer_text.splitlines():
                key, sep, value = line.partition(":")
                if sep:
                    trailers.append((key.strip(), value.strip()))
            found[sha] = Commit(sha, time, author, subject, tuple(trailers))
        return found

    def versions(self, path: str) -> list[tuple[str, str]]:
        """(commit sha, text) of each committed version of `path` reachable from HEAD,
        oldest first, following renames and moves (see `follow`)."""
        if self.head_sha() is None:
            return []
        wanted: dict[str, str] = {}
        for sha, _path, _old, new in self.follow(path):
            if new.strip("0"):
                wanted.setdefault(sha, new)
        if not wanted:
            return []
        batch = self._raw("cat-file", "--batch", stdin="\n".join(wanted.values()).encode())
        texts: list[tuple[str, str]] = []
        pos = 0
        for sha in wanted:
            end = batch.index(b"\n", pos)
            header = batch[pos:end].split()
            pos = end + 1
            if len(header) == 3 and header[1] == b"blob":
                size = int(header[2])
                texts.append((sha, batch[pos : pos + size].decode("utf-8", "replace")))
                pos += size + 1
        return list(reversed(texts))

    def staged_diff(self) -> str:
        return self._raw("diff", "--cached").decode("utf-8", "replace")

    def object_ids(self, revs: Sequence[str]) -> list[str | None]:
        """The object each of `revs` names (e.g. `sha^:path`), None when it names none."""
        if not revs:
            return []
        out = self._raw("cat-file", "--batch-check=%(objectname)", stdin="\n".join(revs).encode())
        found = out.decode("utf-8", "replace").splitlines()
        return [None if " " in line.strip() else line.strip() for line in found]

    # ---- ctx maintain ----------------------------------------------------------------------
    def op_times(self, op: str) -> list[tuple[str, str]]:
        """(sha, author time) of every commit reachable from HEAD whose `Ctx-Op` trailer is
        `op`, newest first: one `git log --grep`, the trailer re-checked on each hit."""
        if self.head_sha() is None:
            return []
        fmt = FIELD.join(["%H", "%aI", f"%(trailers:key={TRAILER_OP},valueonly)"]) + RECORD
        try:
            out = str(self.git.log(f"--grep=^{TRAILER_OP}: {op}$", f"--format={fmt}"))
        except self._git_module.GitCommandError as exc:
            raise _git_error(exc, "log") from None
        found = []
        for record in out.split(RECORD):
            parts = record.strip("\n").split(FIELD)
            if len(parts) == 3 and op in parts[2].split():
                found.append((parts[0], parts[1]))
        return found

    def changes_since(
        self, rev: str | None, folder: str
    ) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """(Ctx-Op, author time, [(status, path)]) of each commit after `rev` (all history when
        None) that touched `folder`, newest first; renames show as a delete and an add. One
        `git log`."""
        if self.head_sha() is None:
            return []
        fmt = RECORD + FIELD.join(["%aI", f"%(trailers:key={TRAILER_OP},valueonly)"]) + FIELD
        span = [f"{rev}..HEAD"] if rev else ["HEAD"]
        try:
            out = str(
                self.git.log(
                    "--no-renames", "--name-status", f"--format={fmt}", *span, "--", folder
                )
            )
        except self._git_module.GitCommandError as exc:
            raise _git_error(exc, "log") from None
        commits = []
        for record in out.split(RECORD):
            parts = record.split(FIELD)
            if len(parts) != 3:
                continue
            files = []
            for line in parts[2].splitlines():
                status, _tab, path = line.partition("\t")
                if path:
                    files.append((status.strip(), path))
            commits.append((parts[1].strip(), parts[0].strip(), files))
        return commits

    def added_times(self, paths: Sequence[str]) -> dict[str, str]:
        """Author time of the newest commit that added each of `paths` at that path (a move or
        restore counts as adding it there); paths never committed are left out. One `git log`."""
        return self._last_added(paths, "%aI")

    def commit_before(self, date: str) -> tuple[str, str] | None:
        """(sha, committer date) of the last commit at or before `date` (ISO 8601, with an
        offset), or None when there is none (or no commit at all)."""
        try:
            out = str(self.git.log("-1", f"--before={date}", f"--format=%H{FIELD}%cI", "HEAD"))
        except self._git_module.GitCommandError as exc:
            if self.head_sha() is None:
                return None
            raise _git_error(exc, "log") from None
        sha, _sep, when = out.strip().partition(FIELD)
        return (sha, when) if sha else None

    def first_commit(self) -> tuple[str, str] | None:
        """(sha, committer date) of the root commit, None before the first commit."""
        if self.head_sha() is None:
            return None
        out = str(self.git.log("--max-parents=0", f"--format=%H{FIELD}%cI", "HEAD"))
        sha, _sep, when = out.strip().splitlines()[-1].partition(FIELD)
        return sha, when

    def renames_since(self, sha: str, paths: Sequence[str]) -> list[tuple[str, str]]:
        """(old, new) paths of the renames under `paths` committed after `sha`, newest first
        (git's rename detection, which sees `ctx mv` and archive moves)."""
        out = str(
            self.git.log(
                "-M", "--diff-filter=R", "--name-status", "--format=", f"{sha}..HEAD", "--",
                *paths,
            )
        )  # fmt: skip
        renames = []
        for line in out.splitlines():
            status, _t, rest = line.partition("\t")
            old, _t, new = rest.partition("\t")
            if status.startswith("R") and new:
                renames.append((old, new))
        return renames

    def existing(self, sha: str, paths: Sequence[str]) -> set[str]:
        """Which of `paths` exist in commit `sha`."""
        out = str(self.git.ls_tree("-r", "--name-only", sha, "--", *paths))
        return {line for line in out.splitlines() if line}

    def file_at(self, sha: str, path: str) -> str | None:
        """A file's exact text in commit `sha`, None when absent there."""
        try:
            return str(self.git.show(f"{sha}:{path}", strip_newline_in_stdout=False))
        except self._git_module.GitCommandError:
            return None

    def files_containing(self, sha: str, text: str, paths: Sequence[str]) -> list[str]:
        """Paths under `paths` whose text in commit `sha` holds `text` (git grep, fixed string)."""
        try:
            out = str(self.git.grep("-l", "-F", "-e", text, sha, "--", *paths))
        except self._git_module.GitCommandError as exc:
            if exc.status == 1:
                return []  # no match
            raise _git_error(exc, "grep") from None
        return [line.split(":", 1)[1] for line in out.splitlines() if ":" in line]

    def export(self, sha: str, dest: Path) -> None:
        """Write every file of commit `sha` under `dest`, through `git archive`: the store's
        index and working tree are never touched."""
        import io
        import tarfile

        data = self.git.archive("--format=tar", sha, stdout_as_string=False)
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(dest, filter="data")
