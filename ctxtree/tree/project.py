"""A commit of the user's project as the post-commit hook reads it: plain values, stdlib
only, so the hook process can build one before it loads anything heavy."""

from __future__ import annotations

from dataclasses import dataclass

AGENT_MARKERS = ("claude", "codex", "cursor", "copilot", "aider", "gemini")


@dataclass(frozen=True)
class FileChange:
    path: str
    added: int | None  # None for a binary file
    deleted: int | None

    def line(self) -> str:
        if self.added is None or self.deleted is None:
            return f"- {self.path} (binary)"
        return f"- {self.path} (+{self.added} -{self.deleted})"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # ISO 8601
    subject: str
    body: str
    files: tuple[FileChange, ...]

    @property
    def ref(self) -> str:
        return f"commit:{self.sha[:12]}"

    def agent(self) -> str:
        """The coding agent that co-authored it (a `Co-Authored-By:` trailer naming one), or ""."""
        for line in self.body.lower().splitlines():
            if line.startswith("co-authored-by:"):
                for name in AGENT_MARKERS:
                    if name in line:
                        return name if name != "claude" else "claude-code"
        return ""
