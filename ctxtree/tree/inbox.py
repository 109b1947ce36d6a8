"""Review inbox items: writes of external content held for review (`ctx review`), as files.

An item is `inbox/<entry id>.md`: the entry exactly as it would be written to the tree, with
one more frontmatter key, `review`, saying what was proposed (`add` or `update`), by whom,
when, and for an update the digest of the entry's file it was made against (`base`), so
accepting it can refuse when the entry changed since. One item per entry id: a newer proposal
for the same entry replaces the older one (history keeps it). The inbox lives outside `tree/`,
so search, context and lint never see its items as entries; it is versioned like the tree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from ctxtree.errors import InvalidEntryError
from ctxtree.tree import frontmatter
from ctxtree.tree.model import Entry

AREA = "inbox"
KEY = "review"
OPS = ("add", "update")


@dataclass(frozen=True)
class Proposal:
    entry: Entry  # as it would land in the tree (trust, author, sources as proposed)
    op: str  # add | update
    proposed_by: str
    proposed_at: str
    base: str | None = None  # digest of the entry's file an update was made against

    @property
    def id(self) -> str:
        return self.entry.id

    def same_as(self, other: Proposal) -> bool:
        """The same proposal, whenever it was made (an import run twice proposes it twice)."""
        return (self.op, self.base, _timeless(self.entry)) == (
            other.op,
            other.base,
            _timeless(other.entry),
        )


def _timeless(entry: Entry) -> Entry:
    return replace(entry, created="", updated="", origin=None)


def relpath(entry_id: str) -> str:
    return f"{AREA}/{entry_id}.md"


def item_id(path: str) -> str | None:
    """The entry id an inbox file proposes, or None when it is not an item file."""
    if not (path.startswith(f"{AREA}/") and path.endswith(".md")):
        return None
    return path[len(AREA) + 1 : -len(".md")]


def digest(text: str | None) -> str | None:
    """What `base` records: a short hash of an entry file's text (None: no file)."""
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def to_text(proposal: Proposal) -> str:
    meta: dict[str, object] = {
        "op": proposal.op,
        "proposed_by": proposal.proposed_by,
        "proposed_at": proposal.proposed_at,
    }
    if proposal.base is not None:
        meta["base"] = proposal.base
    extra = (*((k, v) for k, v in proposal.entry.extra if k != KEY), (KEY, meta))
    return frontmatter.serialize(replace(proposal.entry, extra=extra, origin=None))


def parse(text: str, path: str) -> Proposal:
    """The proposal an item file holds; InvalidEntryError naming the file when it is not one."""
    entry_id = item_id(path)
    if entry_id is None:
        raise InvalidEntryError(f"{path} is not a review inbox item", "")
    entry = frontmatter.parse(text, entry_id, path)
    meta = dict(entry.extra).get(KEY)
    if not isinstance(meta, dict) or meta.get("op") not in OPS:
        raise InvalidEntryError(
            f"{path}: the `{KEY}` key must be a mapping with op add or update",
            "reject the item, or fix the file by hand",
        )
    base = meta.get("base")
    return Proposal(
        entry=replace(entry, extra=tuple((k, v) for k, v in entry.extra if k != KEY), origin=None),
        op=str(meta["op"]),
        proposed_by=str(meta.get("proposed_by") or ""),
        proposed_at=str(meta.get("proposed_at") or ""),
        base=None if base is None else str(base),
    )
