"""What a format importer hands the import use case (`ctx import FORMAT ...`).

A format module (`curation/importers/<format>.py`) is pure: it reads the files it is given as
text and returns `Imported`: entries in our model (ids already slugs, relations already ours,
every entry with a `Source` naming the file it came from), folder overviews, and every file it
did not turn into an entry with the reason. The use case (service/imports.py) does the rest
for every format alike: validation, secrets, idempotent re-import, one commit, the report.

Rules every format follows:
- Ids are `domain/topic/entry` (optionally a subtopic): slugs made from the source's own
  hierarchy; the same source file always maps to the same id, so a re-import finds it.
- A source relation whose target is not among the imported entries (nor already in the store)
  is dropped and counted in `dropped`, never written dangling.
- `Source(type=FORMAT, ref=PATH_IN_SOURCE)` on every entry; trust `external` for third-party
  content the user did not write (e.g. `ctx import markdown` of a vendor's docs is the user's
  choice: the command's `--trust` decides), otherwise what the command was given.
"""

from __future__ import annotations

from dataclasses import dataclass

from ctxtree.tree.model import Entry


@dataclass(frozen=True)
class Skipped:
    """A file (path relative to the imported folder) that made no entry, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Overview:
    """A folder's `context.md`: the folder id (`domain` or `domain/topic`) and its text."""

    folder: str
    title: str
    summary: str
    body: str


@dataclass(frozen=True)
class Imported:
    """A format's reading of its source: entries, overviews, skipped files, and a count (with
    a reason each) of what the format carries that our model has no place for."""

    entries: tuple[Entry, ...]
    overviews: tuple[Overview, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    dropped: tuple[
        tuple[str, int], ...
    ] = ()  # (what was dropped, how many), e.g. ("dangling relation", 2)
