"""Slugs, entry ids and store discovery. Pure functions of their arguments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ctxtree.errors import InvalidEntryError, StoreError
from ctxtree.wording import plural

if TYPE_CHECKING:
    from ctxtree.hints import Call, Text

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
RESERVED = frozenset({"context", "_index", "cache", "archive", "tree"})
STORE_DIRNAME = ".ctx"
STORE_MARKER = "config.yaml"


# Hints' words for listing entries, and for naming the store on each front end. Functions, not
# constants: only an error being raised needs them, so reads do not load ctxtree.hints.
def list_entries() -> Call:
    from ctxtree.hints import Call, Hole

    return Call("ls", (Hole("PREFIX", optional=True),), "entries")


def no_store_hint(action: str) -> Text:
    """'run `ctx init` ACTION, or pass --tree PATH / set CTX_TREE', as each front end says it."""
    from ctxtree.hints import Alt

    return (
        "run `",
        Alt("ctx init", "Memory.init(path)"),
        f"` {action}, or pass ",
        Alt("--tree PATH / set CTX_TREE", "the store's path to Memory.open(path) / set CTX_TREE"),
    )


def check_segment(segment: str, whole: str) -> None:
    """Raise InvalidEntryError unless `segment` is a slug that names no reserved file."""
    if not SLUG_RE.fullmatch(segment):
        shown = segment if segment.isprintable() else segment.encode("unicode_escape").decode()
        raise InvalidEntryError(
            f"invalid id {whole!r}: segment '{shown}' is not a slug",
            "use lowercase letters, digits, '-' and '_' (at most 64 characters per segment), "
            "e.g. auth/jwt/refresh-rotation",
        )
    if segment in RESERVED:
        raise InvalidEntryError(
            f"invalid id {whole!r}: {segment!r} is reserved for the store's own files",
            "pick another name for this segment",
        )


def slugify(text: str, limit: int = 64) -> str:
    """Lowercase ASCII slug `[a-z0-9][a-z0-9_-]*` of at most `limit` characters ('' if none)."""
    folded = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_text)
    slug = re.sub(r"-{2,}", "-", slug).lstrip("-_")
    return slug[:limit].rstrip("-_")


def parse_id(raw: str, *, min_parts: int = 3, max_parts: int = 4) -> str:
    """Validate an id (domain/topic[/subtopic]/entry) and return it in canonical form.

    A trailing `.md` and a leading `tree/` are accepted so ids can be pasted from paths.
    Absolute paths, `..`, dots, backslashes and control characters are rejected.
    """
    text = raw.strip()
    if text.startswith("/") or text.startswith("~") or "\\" in text:
        raise InvalidEntryError(
            f"invalid id {raw!r}: ids are relative paths inside the store",
            "write it as domain/topic/entry, e.g. auth/jwt/refresh-rotation",
        )
    if text.startswith("tree/"):
        text = text[len("tree/") :]
    if text.endswith(".md"):
        text = text[: -len(".md")]
    parts = text.split("/")
    for part in parts:
        check_segment(part, raw)
    if not min_parts <= len(parts) <= max_parts:
        want = "domain/topic/entry or domain/topic/subtopic/entry"
        if min_parts < 3:
            want = "a domain, domain/topic or an entry id"
        raise InvalidEntryError(
            f"invalid id {raw!r}: has {plural(len(parts), 'segment')}, expected {want}",
            "entries live at domain/topic/entry, with at most one subtopic level",
        )
    return "/".join(parts)


def parse_prefix(raw: str) -> str:
    """Validate a prefix for listing (a domain, topic, subtopic or entry); '' means all."""
    text = raw.strip().strip("/")
    if not text:
        return ""
    return parse_id(text, min_parts=1, max_parts=4)


def parse_target(raw: str) -> str:
    """A relation target: an entry id, or a domain/topic folder."""
    return parse_id(raw, min_parts=2, max_parts=4)


def entry_relpath(entry_id: str) -> str:
    """Path of an entry's file relative to the store root."""
    return f"tree/{entry_id}.md"


def id_from_relpath(relpath: str) -> str | None:
    """The entry id for a store-relative path, or None when it is not an entry file."""
    if not relpath.endswith(".md"):
        return None
    parts = relpath[: -len(".md")].split("/")
    if parts[0] not in ("tree", "archive") or not 4 <= len(parts) <= 5:
        return None
    if parts[-1] in ("context", "_index"):
        return None
    return "/".join(parts[1:])


@dataclass(frozen=True)
class StoreLocation:
    """Where the store is, and how it was found."""

    root: Path
    how: str  # "flag", "env", "walk", "global"


def xdg_data_home(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local/share")
    return Path(base).expanduser() / "ctxtree"


def resolve_store_arg(path: Path) -> Path:
    """`--tree PATH` may name the store itself or a project directory holding `.ctx/`."""
    if (path / STORE_MARKER).is_file():
        return path
    if (path / STORE_DIRNAME / STORE_MARKER).is_file():
        return path / STORE_DIRNAME
    return path


def discover_store(explicit: str | None, env: Mapping[str, str], cwd: Path) -> StoreLocation:
    """Find the store: --tree, then CTX_TREE, then walk up from cwd, then the global store."""
    if explicit:
        return StoreLocation(resolve_store_arg(Path(explicit).expanduser().absolute()), "flag")
    if env.get("CTX_TREE"):
        return StoreLocation(
            resolve_store_arg(Path(env["CTX_TREE"]).expanduser().absolute()), "env"
        )
    here = cwd.absolute()
    for directory in (here, *here.parents):
        candidate = directory / STORE_DIRNAME
        if (candidate / STORE_MARKER).is_file():
            return StoreLocation(candidate, "walk")
        if (directory / STORE_MARKER).is_file() and (directory / "tree").is_dir():
            return StoreLocation(directory, "walk")
    glob = xdg_data_home(env)
    if (glob / STORE_MARKER).is_file():
        return StoreLocation(glob, "global")
    raise StoreError(
        f"no ctx store found in {here} or any parent directory",
        no_store_hint("here (or `ctx init --global`)"),
    )
