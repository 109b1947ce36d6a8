"""Reading the store's git history: commits and their Ctx-* trailers, a file's versions and
lines, what changed when. Read only; every query is one `git` process through the repository's
runner (`GitRepo.run`), so the write lock and error wording are the same as for writes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctxtree.tree.git import GitRepo

FIELD = "\x1f"
RECORD = "\x1e"
TRAILER_OP = "Ctx-Op"
# One commit record: sha, author time, author, subject, trailers (parsed by `parse_commits`).
COMMIT_FORMAT = FIELD.join(["%H", "%aI", "%an", "%s", "%(trailers:only,unfold)"]) + RECORD
ZERO_SHA = "0" * 40


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


def parse_commits(out: str) -> list[Commit]:
    """The commits of git output written with `COMMIT_FORMAT`, in output order."""
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


class History:
    """Queries on the history of one store repository (`GitRepo.history`)."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo

    def _text(self, *args: str, ok: tuple[int, ...] = (0,), stdin: bytes | None = None) -> str:
        return self.repo.run(*args, ok=ok, stdin=stdin).decode("utf-8", "surrogateescape")

    def _empty(self) -> bool:
        return self.repo.current_head() is None

    # ---- commits -----------------------------------------------------------------------
    def log(self, paths: Sequence[str] = (), limit: int = 20, rev: str = "HEAD") -> list[Commit]:
        """The newest `limit` commits reachable from `rev` (touching `paths`, when given)."""
        if self._empty():
            return []
        args = [f"--format={COMMIT_FORMAT}", f"-n{limit}", rev]
        if paths:
            args += ["--", *paths]
        return parse_commits(self._text("log", *args))

    def commits(self, shas: Sequence[str]) -> dict[str, Commit]:
        """The commits named by `shas`, with their trailers, by full sha (one git process)."""
        wanted = sorted(set(shas))
        if not wanted:
            return {}
        out = self._text("show", "-s", "--no-walk=unsorted", f"--format={COMMIT_FORMAT}", *wanted)
        return {commit.sha: commit for commit in parse_commits(out)}

    def op_times(self, op: str) -> list[tuple[str, str]]:
        """(sha, author time) of every commit reachable from HEAD whose `Ctx-Op` trailer is
        `op`, newest first: one `git log --grep`, the trailer re-checked on each hit."""
        if self._empty():
            return []
        fmt = FIELD.join(["%H", "%aI", f"%(trailers:key={TRAILER_OP},valueonly)"]) + RECORD
        out = self._text("log", f"--grep=^{TRAILER_OP}: {op}$", f"--format={fmt}")
        found = []
        for record in out.split(RECORD):
            parts = record.strip("\n").split(FIELD)
            if len(parts) == 3 and op in parts[2].split():
                found.append((parts[0], parts[1]))
        return found

    def commit_before(self, date: str) -> tuple[str, str] | None:
        """(sha, committer date) of the last commit at or before `date` (ISO 8601, with an
        offset), or None when there is none (or no commit at all)."""
        if self._empty():
            return None
        out = self._text("log", "-1", f"--before={date}", f"--format=%H{FIELD}%cI", "HEAD")
        sha, _sep, when = out.strip().partition(FIELD)
        return (sha, when) if sha else None

    def first_commit(self) -> tuple[str, str] | None:
        """(sha, committer date) of the root commit, None before the first commit."""
        if self._empty():
            return None
        out = self._text("log", "--max-parents=0", f"--format=%H{FIELD}%cI", "HEAD")
        sha, _sep, when = out.strip().splitlines()[-1].partition(FIELD)
        return sha, when

    # ---- what changed ------------------------------------------------------------------
    def changed_paths(self, sha: str) -> list[str]:
        """Paths commit `sha` changed (against its first parent)."""
        out = self._text("show", "--name-only", "--format=", "-m", "--first-parent", sha)
        return [line for line in out.splitlines() if line.strip()]

    def changes_since(
        self, rev: str | None, folder: str
    ) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """(Ctx-Op, author time, [(status, path)]) of each commit after `rev` (all history when
        None) that touched `folder`, newest first; renames show as a delete and an add. One
        `git log`."""
        if self._empty():
            return []
        fmt = RECORD + FIELD.join(["%aI", f"%(trailers:key={TRAILER_OP},valueonly)"]) + FIELD
        span = [f"{rev}..HEAD"] if rev else ["HEAD"]
        out = self._text(
            "log", "--no-renames", "--name-status", f"--format={fmt}", *span, "--", folder
        )
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

    def introduced_by(self, paths: Sequence[str]) -> dict[str, str]:
        """Short sha of the commit that last added each of `paths` at that path (a move
        counts as adding it there); paths never committed are left out. One `git log`."""
        return self._last_added(paths, "%h")

    def _last_added(self, paths: Sequence[str], fmt: str) -> dict[str, str]:
        """`fmt` (a git log placeholder) of the newest commit that added each of `paths` at
        that path (a move or restore counts as adding it there); one `git log`."""
        if not paths or self._empty():
            return {}
        wanted = set(paths)
        # Past the argument-list limit, walk every entry's adds and keep those asked for.
        spec = list(paths) if len(paths) <= 200 else ["tree", "archive"]
        out = self._text(
            "log", "--diff-filter=A", "--no-renames", f"--format={RECORD}{fmt}", "--name-only",
            "--", *spec,
        )  # fmt: skip
        found: dict[str, str] = {}
        for record in out.split(RECORD):
            lines = [line.strip() for line in record.splitlines() if line.strip()]
            for path in lines[1:]:
                if path in wanted:
                    found.setdefault(path, lines[0])  # newest first: the last add
        return found

    def renames_since(self, sha: str, paths: Sequence[str]) -> list[tuple[str, str]]:
        """(old, new) paths of the renames under `paths` committed after `sha`, newest first
        (git's rename detection, which sees `ctx mv` and archive moves)."""
        out = self._text(
            "log", "-M", "--diff-filter=R", "--name-status", "--format=", f"{sha}..HEAD", "--",
            *paths,
        )  # fmt: skip
        renames = []
        for line in out.splitlines():
            status, _t, rest = line.partition("\t")
            old, _t, new = rest.partition("\t")
            if status.startswith("R") and new:
                renames.append((old, new))
        return renames

    # ---- one file through time -----------------------------------------------------------
    def follow(self, path: str, every_ref: bool = False) -> list[tuple[str, str, str, str]]:
        """(commit, path there, old blob, new blob) of each change to the file at `path`,
        newest first, following renames and moves (90% similar: entries share boilerplate,
        so git's default 50% pairs unrelated ones) but not copies: an entry created as a
        copy of another begins there. Blobs are all zeros where there is none."""
        args = ["log", "--follow", "-M90%", "-m", "--raw", "--no-abbrev", f"--format={RECORD}%H"]
        if every_ref:
            args.insert(1, "--all")
        out = self.repo.run(*args, "--", path).decode("utf-8", "replace")
        changes: list[tuple[str, str, str, str]] = []
        current = path
        for record in out.split(RECORD)[1:]:
            sha, *lines = record.split("\n")
            for line in lines:
                if not line.startswith(":"):
                    continue
                meta, *names = line.split("\t")
                _old_mode, _new_mode, old, new, status = meta[1:].split()[:5]
                if names[-1] != current:
                    continue
                if status[0] == "C":  # the copy's source is another entry
                    changes.append((sha.strip(), current, ZERO_SHA, new))
                    return changes
                changes.append((sha.strip(), current, old, new))
                if status[0] == "R":
                    current = names[0]
        return changes

    def versions(self, path: str) -> list[tuple[str, str]]:
        """(commit sha, text) of each committed version of `path` reachable from HEAD,
        oldest first, following renames and moves (see `follow`)."""
        if self._empty():
            return []
        wanted: dict[str, str] = {}
        for sha, _path, _old, new in self.follow(path):
            if new.strip("0"):
                wanted.setdefault(sha, new)
        if not wanted:
            return []
        batch = self.repo.run("cat-file", "--batch", stdin="\n".join(wanted.values()).encode())
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

    def blame(self, path: str) -> list[tuple[str, int, str]] | None:
        """(commit sha, line number, text) of every line of `path` as it is on disk; the sha
        is all zeros for an uncommitted line. Follows renames and moves (`-M` also finds
        lines moved within the file). None when the file was never committed."""
        from ctxtree.tree.git import SHA_RE

        out = self.repo.run("blame", "--line-porcelain", "-M", "--", path, ok=(0, 128))
        if not out:
            return None
        lines: list[tuple[str, int, str]] = []
        sha, number = "", 0
        for raw in out.decode("utf-8", "replace").split("\n"):
            if raw.startswith("\t"):
                lines.append((sha, number, raw[1:]))
                continue
            parts = raw.split(" ")
            if len(parts) >= 3 and SHA_RE.fullmatch(parts[0]):
                sha, number = parts[0], int(parts[2])
        return lines

    # ---- a commit's files ----------------------------------------------------------------
    def file_at(self, rev: str, path: str) -> str | None:
        """A file's exact text in `rev` (a commit, or HEAD), None when absent there."""
        done = self.repo.process(["show", f"{rev}:{path}"])
        if done.returncode != 0:
            return None
        return bytes(done.stdout).decode("utf-8", "surrogateescape")

    def existing(self, sha: str, paths: Sequence[str]) -> set[str]:
        """Which of `paths` exist in commit `sha`."""
        out = self._text("ls-tree", "-r", "--name-only", sha, "--", *paths)
        return {line for line in out.splitlines() if line}

    def files_containing(self, sha: str, text: str, paths: Sequence[str]) -> list[str]:
        """Paths under `paths` whose text in commit `sha` holds `text` (git grep, fixed string)."""
        out = self._text("grep", "-l", "-F", "-e", text, sha, "--", *paths, ok=(0, 1))
        return [line.split(":", 1)[1] for line in out.splitlines() if ":" in line]

    def object_ids(self, revs: Sequence[str]) -> list[str | None]:
        """The object each of `revs` names (e.g. `sha^:path`), None when it names none."""
        if not revs:
            return []
        out = self._text("cat-file", "--batch-check=%(objectname)", stdin="\n".join(revs).encode())
        return [None if " " in line.strip() else line.strip() for line in out.splitlines()]

    def export(self, sha: str, dest: Path) -> None:
        """Write every file of commit `sha` under `dest`, through `git archive`: the store's
        index and working tree are never touched."""
        import tarfile

        data = self.repo.run("archive", "--format=tar", sha)
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(dest, filter="data")
