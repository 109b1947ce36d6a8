"""Rewriting the store's git history (`ctx forget --purge`): finding every object that holds a
text, exporting and re-importing the history without it, and deleting what the old history
left behind. Each step is git plumbing through the repository's runner (`GitRepo.run`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctxtree.tree.git import GitRepo


class Rewriter:
    """The steps of a history rewrite on one store repository (`GitRepo.rewrite`)."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo

    def blockers(self) -> list[str]:
        """Why the history cannot be rewritten safely now: a detached HEAD, a merge, revert
        or rebase in progress, uncommitted changes (a rewrite resets the index)."""
        git_dir = self.repo.root / ".git"
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        problems = [] if head.startswith("ref: ") else ["HEAD is detached"]
        states = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply")
        problems += [f"{name} exists" for name in states if (git_dir / name).exists()]
        dirty = [path for _status, path in self.repo.dirty_paths()]
        if dirty:
            more = f" (and {len(dirty) - 3} more)" if len(dirty) > 3 else ""
            shown = ", ".join(dirty[:3]) + more
            problems.append(f"uncommitted changes in {shown}")
        return problems

    def branch(self) -> str:
        return self.repo.run("symbolic-ref", "--short", "HEAD").decode("utf-8").strip()

    def committer(self) -> str:
        """`NAME <EMAIL> TIME TZ`, as a commit made now would record its committer."""
        return self.repo.run("var", "GIT_COMMITTER_IDENT").decode("utf-8").strip()

    def remotes(self) -> list[str]:
        return self.repo.run("remote").decode("utf-8").split()

    # ---- finding -------------------------------------------------------------------------
    def grep_files(self, needle: str, pathspecs: Sequence[str]) -> list[str]:
        """Files (tracked or untracked, not ignored) under `pathspecs` containing `needle`."""
        out = self.repo.run(
            "grep", "-l", "-F", "--untracked", "-e", needle, "--", *pathspecs, ok=(0, 1)
        )
        return sorted(line for line in out.decode("utf-8").splitlines() if line)

    def has_object(self, sha: str) -> bool:
        return bool(self.repo.run("cat-file", "-t", sha, ok=(0, 1, 128)).strip())

    def blobs_containing(self, needles: Sequence[bytes]) -> dict[str, bytes]:
        """Every blob in the object database holding one of `needles`, by sha: one
        `git cat-file --batch-all-objects` pass over all objects."""
        import subprocess

        found: dict[str, bytes] = {}
        if not needles:
            return found
        with subprocess.Popen(
            ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"],
            cwd=self.repo.root,
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
        out = self.repo.run("rev-list", "--all", "--objects")
        paths: dict[str, str] = {}
        for line in out.decode("utf-8", "replace").splitlines():
            sha, _sep, path = line.partition(" ")
            if path:
                paths.setdefault(sha, path)
        return paths

    # ---- rewriting -----------------------------------------------------------------------
    def fast_export(self) -> bytes:
        """Every ref's history as a fast-import stream, blobs by sha (`--no-data`)."""
        return self.repo.run(
            "fast-export", "--all", "--no-data", "--show-original-ids", "--reencode=yes",
            "--signed-tags=strip", "--tag-of-filtered-object=rewrite", "--use-done-feature",
        )  # fmt: skip

    def fast_import(self, stream: bytes) -> None:
        """Replace the refs with the commits of `stream`, then point the index at the new
        HEAD (the files on disk already match it)."""
        self.repo.run("fast-import", "--force", "--quiet", stdin=stream)
        self.repo.run("reset", "-q")

    def check_out(self, path: str) -> None:
        """Write `path` as HEAD has it (a file the rewrite added, such as the purge record)."""
        self.repo.run("checkout", "HEAD", "--", path)

    def drop_old_history(self) -> None:
        """Make the objects a rewrite replaced unreachable, then delete them: backup refs,
        ORIG_HEAD and FETCH_HEAD, every reflog entry, then `git gc --prune=now`."""
        refs = self.repo.run("for-each-ref", "--format=%(refname)", "refs/original/")
        for ref in refs.decode("utf-8").split():
            self.repo.run("update-ref", "-d", ref)
        for name in ("ORIG_HEAD", "FETCH_HEAD"):
            (self.repo.root / ".git" / name).unlink(missing_ok=True)
        self.repo.run("reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all")
        self.repo.run("gc", "--prune=now", "--quiet")
