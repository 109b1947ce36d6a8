"""The check the store's own `pre-commit` hook runs (`ctx hooks check`): when someone edits
entries by hand and commits with plain git, a staged file holding a credential or an entry
that does not parse is refused. ctx's own commits skip the hook (`--no-verify`): they were
validated on the write path already."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ctxtree.errors import InvalidEntryError
from ctxtree.tree import frontmatter, secrets
from ctxtree.tree.paths import id_from_relpath


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def _git(root: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, check=True).stdout


def staged_problems(root: Path) -> list[Problem]:
    """Every staged (added, copied, modified, renamed) file with a secret in its text, and
    every staged entry file that does not parse."""
    names = _git(root, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR")
    found: list[Problem] = []
    for relpath in sorted(n for n in names.decode("utf-8", "replace").split("\0") if n):
        text = _git(root, "show", f":{relpath}").decode("utf-8", errors="replace")
        for hit in secrets.scan(text):
            found.append(Problem(relpath, f"looks like a credential: {hit.describe()}"))
            break
        entry_id = id_from_relpath(relpath)
        if entry_id is not None:
            try:
                frontmatter.parse(text, entry_id, relpath)
            except InvalidEntryError as exc:
                found.append(Problem(relpath, exc.message))
    return found
