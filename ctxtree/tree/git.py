"""The store's own git repository: opening it, HEAD, the index, commits and reverts, and the
one runner every git process of ctx goes through (`GitRepo.run`). The only module that imports
gitpython (lazily). Reading the log is `repo.history` (tree/history.py), rewriting it
`repo.rewrite` (tree/rewrite.py), git's lock files tree/gitlocks.py.

Commits go through git's command line: one `git` process per call, measured 3-5x faster here
than gitpython's pure-Python index writer (SPEC §1).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctxtree.errors import ConflictError, NotFoundError, StoreError

if TYPE_CHECKING:
    from ctxtree.tree.history import History
    from ctxtree.tree.rewrite import Rewriter

SHA_RE = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


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
    import tempfile  # with shutil and random behind it: not on a hook's read path

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


def read_head(root: Path) -> str | None:
    """HEAD's sha of the repository at `root`, read from .git files (loose or packed ref)
    without a git process or gitpython, so hooks can stamp what they hand out; None before
    the first commit or when it cannot be read that way."""
    git_dir = root / ".git"
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref: "):
            return head if SHA_RE.fullmatch(head) else None
        ref = head[len("ref: ") :]
        loose = git_dir / ref
        if loose.is_file():
            sha = loose.read_text(encoding="utf-8").strip()
            return sha if SHA_RE.fullmatch(sha) else None
        packed = git_dir / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                sha, _sep, name = line.partition(" ")
                if name == ref and SHA_RE.fullmatch(sha):
                    return sha
    except OSError:
        return None
    return None


def project_diff(cwd: Path, rev: str) -> str:
    """`git diff REV` in the user's project at `cwd` (REV may be a range, `a..b`): what
    `ctx curate --diff REV` reads. Read only: the project's repository is never written."""
    import subprocess

    if rev.startswith("-"):
        raise NotFoundError(f"unknown revision {rev!r}", "pass a revision such as HEAD~1")
    done = subprocess.run(
        ["git", "diff", "--no-color", "--no-ext-diff", rev, "--"],
        cwd=cwd, capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
        if "unknown revision" in detail or "bad revision" in detail or "ambiguous" in detail:
            raise NotFoundError(f"unknown revision {rev!r} in {cwd}", "see `git log` for revisions")
        raise StoreError(f"git diff failed: {detail}", "run it in a git repository")
    return done.stdout.decode("utf-8", "replace")


def head_stamp(root: Path) -> tuple[str | None, int, int]:
    """What every commit, checkout, reset or `git add` in the repository at `root` changes:
    HEAD's sha and the git index file's (mtime_ns, size). Read from files, no git process."""
    try:
        index = os.stat(root / ".git" / "index")
        return read_head(root), index.st_mtime_ns, index.st_size
    except OSError:
        return read_head(root), 0, 0


# A revert merges through git's line-by-line text merge, not `ctx merge-driver`: its "theirs"
# is the old state being restored, whose `updated` is older than any later edit, so the
# driver's field rules would silently keep the later value and drop the undo. Line by line,
# a later edit of the same lines is a conflict, and undo refuses to clobber it.
TEXT_MERGE = "merge.ctx.driver=git merge-file -q --marker-size=%L %A %O %B"


def merge_texts(
    base: bytes, ours: bytes, theirs: bytes, names: Sequence[str]
) -> tuple[bytes, bool]:
    """Three-way merge of three texts with `git merge-file -p` (temp files, one git process,
    no repository needed): the result and whether it holds conflict hunks, which carry git's
    usual markers labelled `names` (ours, base, theirs)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ctx-merge-") as folder:
        files = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(folder) / name
            path.write_bytes(data)
            files.append(str(path))
        labels = [arg for name in names for arg in ("-L", name)]
        done = subprocess.run(
            ["git", "merge-file", "-p", *labels, *files], capture_output=True, check=False
        )
    if done.returncode < 0 or done.returncode > 127:
        detail = done.stderr.decode("utf-8", "replace").strip()[:300]
        raise StoreError(f"git merge-file failed: {detail}", "check that git is installed")
    return bytes(done.stdout), done.returncode != 0


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
        if not (head_text.startswith("ref: refs/") or SHA_RE.fullmatch(head_text)):
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

    @property
    def history(self) -> History:
        """Queries on the log: commits, a file's versions and lines (tree/history.py)."""
        from ctxtree.tree.history import History

        return History(self)

    @property
    def rewrite(self) -> Rewriter:
        """The steps of a history rewrite, for `ctx forget --purge` (tree/rewrite.py)."""
        from ctxtree.tree.rewrite import Rewriter

        return Rewriter(self)

    # ---- HEAD and commits ----------------------------------------------------------------
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
                self.run("add", "-A", *spec)
                self.run(
                    "-c", "gc.auto=0", "commit", "-q", "--no-verify", "-F", "-", *spec,
                    stdin=message.encode("utf-8"), env=env,
                )  # fmt: skip
            except StoreError as exc:
                with contextlib.suppress(StoreError):
                    self.run("reset", "-q", *spec)
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
        """HEAD's sha read from .git files, without a git process (see `read_head`)."""
        return read_head(self.root)

    def commit_index(self, message: str, date: str | None = None) -> str:
        """Commit what is staged (undo's revert), the message through stdin."""
        self.run(
            "-c", "gc.auto=0", "commit", "-q", "--no-verify", "-F", "-",
            stdin=message.encode("utf-8"), env=_dated(date),
        )  # fmt: skip
        return self.head_sha_fast() or str(self.git.rev_parse("HEAD"))

    def reset_paths(self, paths: Sequence[str]) -> None:
        """Point the index entries of `paths` back at HEAD (the files are left alone)."""
        if not paths:
            return
        with _pathspec(paths) as spec:
            self.run("reset", "-q", *spec, ok=(0, 1))

    def reset_index(self) -> None:
        """Point the whole index at HEAD (files untouched)."""
        self.run("reset", "-q")

    def checkout_paths(self, paths: Sequence[str]) -> None:
        """Write HEAD's version of `paths` (each present in HEAD) to index and files."""
        if not paths:
            return
        with _pathspec(paths) as spec:
            self.run("checkout", "HEAD", *spec)

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
        out = self.run("ls-tree", "-r", "-z", "--name-only", "--full-tree", "HEAD")
        return set(out.decode("utf-8", "replace").split("\0")) & set(paths)

    def changed_against_head(self, paths: Sequence[str]) -> list[str]:
        """Which of `paths` differ between the files and HEAD (one `git status`)."""
        wanted = set(paths)
        return sorted(p for _status, p in self.dirty_paths() if p in wanted)

    def staged_paths(self) -> list[str]:
        """Paths whose index entry differs from HEAD (staged, not committed)."""
        out = self.run("diff", "--cached", "--name-only", "-z", "--no-renames")
        return sorted(p for p in out.decode("utf-8", "surrogateescape").split("\0") if p)

    def fsck(self) -> list[str]:
        """`git fsck` problems, one line each (empty when the repository is sound)."""
        done = self.process(["fsck", "--no-progress", "--no-dangling"], None, None)
        text = (done.stdout + done.stderr).decode("utf-8", "replace")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if done.returncode != 0 and not lines:
            lines = [f"git fsck exited {done.returncode}"]
        return lines

    def sequencer_busy(self) -> bool:
        git_dir = self.root / ".git"
        return (git_dir / "REVERT_HEAD").exists() or (git_dir / "sequencer").exists()

    def dirty_paths(self) -> list[tuple[str, str]]:
        """(status, path) for every uncommitted change, untracked files included."""
        out = self.run("status", "--porcelain=v1", "-z", "--untracked-files=all")
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

    def revert(self, shas: Sequence[str]) -> None:
        """Apply the inverse of `shas` (newest first) to index and tree, without committing."""
        try:
            self.run("-c", TEXT_MERGE, "revert", "--no-commit", "--no-edit", *shas)
        except StoreError as exc:
            with contextlib.suppress(StoreError):
                self.run("revert", "--abort")
            detail = exc.message.removeprefix("git revert failed: ")[:200]
            raise ConflictError(
                f"undo would clobber later edits ({detail})",
                "undo fewer commits, or revert by hand with git in the store",
            ) from None

    def staged_changes(self) -> bool:
        return int(self.process(["diff", "--cached", "--quiet"]).returncode) != 0

    def abandon_revert(self) -> None:
        """Undo an applied-but-uncommitted revert and forget git's sequencer state."""
        for args in (("--abort",), ("--quit",)):
            with contextlib.suppress(StoreError):
                self.run("revert", *args)

    def finish_revert(self) -> None:
        with contextlib.suppress(StoreError):
            self.run("revert", "--quit")

    # ---- running git -------------------------------------------------------------------
    def run(
        self,
        *args: str,
        stdin: bytes | None = None,
        ok: tuple[int, ...] = (0,),
        env: dict[str, str] | None = None,
    ) -> bytes:
        """Run git in the store with bytes in and out (history rewrites need exact bytes;
        gitpython decodes and strips output), raising StoreError unless its exit status is
        in `ok`. Holds the write lock through `lock_fd`."""
        done = self.process(args, stdin, env)
        if done.returncode not in ok:
            detail = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
            verb = next((a for a in args if not a.startswith("-") and "=" not in a), "")
            raise StoreError(
                f"git {verb} failed: {detail}", "run `ctx doctor` to inspect the store"
            )
        return bytes(done.stdout)

    def process(
        self, args: Sequence[str], stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> Any:
        """`git args` in the store, finished; its exit status is the caller's to judge."""
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

    def staged_diff(self) -> str:
        return self.run("diff", "--cached").decode("utf-8", "replace")

    # ---- ctx maintain ----------------------------------------------------------------------
