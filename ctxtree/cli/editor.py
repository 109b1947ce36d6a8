"""Editing an entry in $EDITOR: the edited text is validated before anything is written."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile

from ctxtree.errors import CtxError, UsageError


def edit_in_editor(text: str) -> tuple[str, str]:
    """Open `text` in $VISUAL/$EDITOR; returns the edited text and the temp file holding it
    (the caller deletes it once the text is safely stored, so a rejected edit is not lost)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, path = tempfile.mkstemp(prefix="ctx-edit-", suffix=".md")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    try:
        code = subprocess.call([*shlex.split(editor), path])
    except FileNotFoundError:
        raise UsageError(f"editor {editor!r} not found", "set $EDITOR, e.g. EDITOR=nano") from None
    if code != 0:
        raise CtxError(
            f"{editor} exited with code {code}; nothing saved", f"your text is in {path}"
        )
    with open(path, encoding="utf-8") as handle:
        return handle.read(), path
