"""Anchors: the project paths an entry describes (SPEC §2). When a commit changes one, the
entry is flagged stale (SPEC §3). Pure rules, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase


def matches(anchor: str, path: str) -> bool:
    """Whether a changed `path` (relative to the project root, `/`-separated) falls under
    `anchor`: the same file, a file inside the anchored folder (`src/auth` or `src/auth/`), or
    a glob match (`src/**/*.py`, `*.sql`; `*` may cross folders, as in .gitignore's `**`).
    A leading `./` on the anchor is ignored."""
    anchor = anchor.strip().removeprefix("./")
    if not anchor:
        return False
    if any(c in anchor for c in "*?["):
        return fnmatchcase(path, anchor) or fnmatchcase(path, anchor.replace("**/", ""))
    folder = anchor.rstrip("/")
    return path == folder or path.startswith(folder + "/")


def touched(anchors: Iterable[str], paths: Iterable[str]) -> tuple[str, ...]:
    """The `paths` some anchor matches, in their given order."""
    wanted = [a for a in anchors if a.strip()]
    return tuple(p for p in paths if any(matches(a, p) for a in wanted))
