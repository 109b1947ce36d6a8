"""`ctx forget --purge`: remove an entry from the store's git history too.

The history is rewritten with `git fast-export --no-data | <this module> | git fast-import`
(git itself, no extra tool; blobs travel by sha, so only commit metadata and rewritten files
cross the pipe). For each commit:

- every file version of the entry is dropped: any content ever at its own paths
  (`tree/ID.md`, `archive/ID.md`), and, at the other paths it had (found by following its
  renames and moves), the versions that were its own (by blob);
- every other file that mentions the id (or an earlier id of the entry) is rewritten: declared
  relations to it are dropped, `[[ID|label]]` becomes `label`, other mentions become
  `(forgotten)`, so old versions of the entries that linked to it neither keep the id nor
  break their YAML;
- messages that mention the id get `[forgotten]` instead;
- a commit left with no change at all is removed (its children move to its parent), except
  the forget commit itself, which records who purged and when.

The old shas of every commit rewritten or removed join the purge record (`.ctx-purged`,
tree/purged.py) in the forget commit (or, with none, a commit of its own), so `ctx sync` can
refuse any history that still holds them. Then every reflog is expired and
`git gc --prune=now` deletes the unreachable objects.
Everything above the git calls is pure and tested through the CLI.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ctxtree.tree import purged
from ctxtree.tree import relations as rel
from ctxtree.tree.git import GitRepo
from ctxtree.tree.paths import id_from_relpath
from ctxtree.tree.remotes import read_blobs

IN_FILES = "(forgotten)"  # a plain YAML scalar: frontmatter stays valid
IN_MESSAGES = "[forgotten]"
_GENERATED = "---\ngenerated_by: "  # an `_index.md` folder summary (curation.summaries)
_EMPTY_RELATIONS = re.compile(r"^relations:[ \t]*\r?\n(?![ \t]|-)", re.MULTILINE)
_TOP = (b"commit", b"tag", b"reset", b"blob", b"feature", b"done", b"progress", b"checkpoint")


# ---- redaction of an id in text (pure) ---------------------------------------------------
def mention_re(ids: Iterable[str]) -> re.Pattern[str]:
    """A mention of one of `ids` as a whole id (optionally as `tree/ID` or `archive/ID`): not
    part of a longer id such as `ID-2`, `x/ID` or `ID/child`."""
    names = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    return re.compile(
        rf"(?<![A-Za-z0-9_/-])(?:(?:tree|archive)/)?(?:{names})(?:\.md)?"
        r"(?![A-Za-z0-9_-]|/[A-Za-z0-9_])"
    )


def _relation_line_re(ids: Iterable[str]) -> re.Pattern[str]:
    names = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    return re.compile(
        rf"^[ \t]*-[ \t]*\{{[ \t]*type:[ \t]*[a-z_]+,[ \t]*target:[ \t]*(['\"]?)(?:{names})\1"
        r"[ \t]*\}[ \t]*\r?\n",
        re.MULTILINE,
    )


def erase_mentions(text: str, ids: Iterable[str]) -> str:
    """`text` with no mention of `ids` left: relation lines to them dropped (the serialized
    flow form), links unwrapped to their label, other mentions replaced by IN_FILES."""
    ids = list(ids)
    if not ids:
        return text
    if text.startswith(_GENERATED):
        # A folder summary lists each child on its own line, title and summary included.
        pattern = mention_re(ids)
        lines = text.splitlines(keepends=True)
        return "".join(line for line in lines if not pattern.search(line))
    text = _relation_line_re(ids).sub("", text)
    if text.startswith("---"):  # a `relations:` key left without items goes too
        end = text.find("\n---", 3)
        if end > 0:
            text = _EMPTY_RELATIONS.sub("", text[:end]) + text[end:]
    text = rel.unwrap_links(text, ids, IN_FILES)
    return mention_re(ids).sub(IN_FILES, text)


# ---- the fast-import stream ---------------------------------------------------------------
@dataclass
class _Command:
    head: bytes  # `commit refs/heads/main`, `reset ...`, `tag ...`, `feature ...`, `done`
    lines: list[bytes] = field(default_factory=list)  # before the data block
    message: bytes | None = None
    tail: list[tuple[bytes, bytes | None]] = field(default_factory=list)  # after: from, ops

    @property
    def kind(self) -> bytes:
        return self.head.split(b" ", 1)[0]

    def value(self, key: bytes) -> bytes | None:
        for line in self.lines:
            if line.startswith(key + b" "):
                return line[len(key) + 1 :]
        return None


def parse_stream(stream: bytes) -> list[_Command]:
    """The commands of a `git fast-export` stream (exact-byte-count data blocks)."""
    commands: list[_Command] = []
    current: _Command | None = None
    pos = 0
    while pos < len(stream):
        end = stream.find(b"\n", pos)
        end = len(stream) if end < 0 else end
        line = stream[pos:end]
        pos = end + 1
        if line.split(b" ", 1)[0] in _TOP:
            if current is not None:
                commands.append(current)
            current = _Command(line)
            continue
        if current is None:
            continue
        if not line:
            commands.append(current)
            current = None
        elif line.startswith(b"data "):
            size = int(line[5:])
            payload = stream[pos : pos + size]
            pos += size
            if current.message is None and not current.tail:
                current.message = payload
            elif current.tail:  # inline file content of the last op
                op, _ = current.tail[-1]
                current.tail[-1] = (op, payload)
        elif current.message is None:
            # mark, original-oid, author, committer; a tag's headers; a reset's `from`
            current.lines.append(line)
        else:
            current.tail.append((line, None))
    if current is not None:
        commands.append(current)
    return commands


def render_stream(commands: Iterable[_Command]) -> bytes:
    out: list[bytes] = []
    for command in commands:
        out.append(command.head + b"\n")
        out += [line + b"\n" for line in command.lines]
        if command.message is not None:
            out.append(b"data %d\n" % len(command.message) + command.message + b"\n")
        for line, data in command.tail:
            out.append(line + b"\n")
            if data is not None:
                out.append(b"data %d\n" % len(data) + data + b"\n")
        if command.kind in (b"commit", b"reset"):
            out.append(b"\n")
    return b"".join(out)


@dataclass(frozen=True)
class Rewrite:
    """What the purge does to the history; `stream` is what fast-import gets."""

    stream: bytes
    touched: tuple[tuple[str, str], ...]  # (old sha, new subject): files or message changed
    dropped: tuple[str, ...]  # old shas of commits left empty, removed
    rewritten: int  # commits that get a new sha (the touched ones and their descendants)
    commits: int  # commits in the history before
    gone: tuple[str, ...] = ()  # old shas of every rewritten or dropped commit (the record)

    def to_json(self) -> dict[str, Any]:
        return {
            "touched": [{"sha": s, "subject": t} for s, t in self.touched],
            "dropped": list(self.dropped),
            "rewritten": self.rewritten,
            "commits": self.commits,
        }


@dataclass(frozen=True)
class Record:
    """How the purge record (tree/purged.py) joins the rewritten history: the shas earlier
    purges listed, and, for a purge with no forget commit of its own (an entry only the
    history held), the branch and committer of the commit that then carries it."""

    before: frozenset[str]
    ref: bytes  # refs/heads/BRANCH
    committer: bytes  # `committer NAME <EMAIL> TIME TZ`


def _attach_record(out: list[_Command], keep: frozenset[str], record: Record, data: bytes) -> None:
    """Put the record into the kept forget commit, else into a new commit on `record.ref`
    (fast-import continues a branch it has seen when a commit names no parent)."""
    op = (b"M 100644 inline " + purged.RECORD.encode(), data)
    for command in reversed(out):
        oid = (command.value(b"original-oid") or b"").decode()
        if command.kind == b"commit" and oid and oid in keep:
            command.tail.append(op)
            return
    message = b"%s record of the purged commits\n" % IN_MESSAGES.encode()
    out.insert(_done_at(out), _Command(b"commit " + record.ref, [record.committer], message, [op]))


def _done_at(out: list[_Command]) -> int:
    return next((i for i, c in enumerate(out) if c.kind == b"done"), len(out))


@dataclass(frozen=True)
class Lineage:
    """Everything of one entry that the history holds."""

    own_paths: frozenset[str]  # tree/ID.md and archive/ID.md: every version there goes
    paths: frozenset[str]  # every path it had (renames, moves), own ones included
    blobs: frozenset[str]  # every version of it, by blob sha
    ids: tuple[str, ...]  # the ids it had, whose mentions are redacted


def _subject(message: bytes) -> str:
    return message.decode("utf-8", "replace").split("\n", 1)[0]


def blob_sha(data: bytes) -> str:
    """The id git gives a blob of `data`."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def replaced_uses(commands: list[_Command], replacements: Mapping[str, bytes]) -> list[str]:
    """`<commit>^:<path>` of every file change that uses a replaced blob: its version in the
    parent, so a change that only added the forgotten id can be recognised and dropped."""
    uses = []
    for command in commands:
        oid = (command.value(b"original-oid") or b"").decode()
        for line, _data in command.tail:
            if line.startswith(b"M "):
                _m, _mode, ref, path = line.split(b" ", 3)
                if ref.decode("ascii", "replace") in replacements and not path.startswith(b'"'):
                    uses.append(f"{oid}^:{path.decode()}")
    return uses


def rewrite(
    commands: list[_Command],
    lineage: Lineage,
    replacements: Mapping[str, bytes],
    message: Callable[[bytes], bytes],
    keep: frozenset[str] = frozenset(),
    before: Mapping[str, str | None] | None = None,
    record: Record | None = None,
) -> Rewrite:
    """Apply the purge to a parsed stream (pure). `replacements` maps a blob sha to the
    redacted text that replaces it wherever it is used; `keep` names commits (old shas) that
    stay even when left empty; `before` maps `replaced_uses` to the blob the parent had there
    (a change whose redacted blob equals the parent's redacted blob is dropped). With
    `record`, the purge record (earlier shas and the ones rewritten now) joins the history."""
    before = before or {}
    redacted = {sha: blob_sha(data) for sha, data in replacements.items()}
    paths = {p.encode() for p in lineage.paths}
    own = {p.encode() for p in lineage.own_paths}
    blobs = {b.encode() for b in lineage.blobs}
    reused = set()  # lineage paths that also held other content: their deletions stay
    for command in commands:
        for line, _data in command.tail:
            if line.startswith(b"M "):
                _m, _mode, ref, path = line.split(b" ", 3)
                if path in paths and path not in own and ref not in blobs:
                    reused.add(path)
    out: list[_Command] = []
    subst: dict[bytes, bytes] = {}  # mark of a removed commit -> mark of its parent
    changed: set[bytes] = set()
    touched: list[tuple[str, str]] = []
    dropped: list[str] = []
    oids: dict[bytes, str] = {}  # mark -> old sha
    total = 0

    def mapped(ref: bytes) -> bytes:
        return subst.get(ref, ref)

    for command in commands:
        kind = command.kind
        if kind == b"reset" or kind == b"tag":
            command.lines = [
                b"from " + mapped(line[5:]) if line.startswith(b"from ") else line
                for line in command.lines
            ]
            if kind == b"tag" and command.message is not None:
                command.message = message(command.message)
            out.append(command)
            continue
        if kind != b"commit":
            out.append(command)
            continue
        total += 1
        mark = command.value(b"mark") or b""
        oid = (command.value(b"original-oid") or b"").decode()
        oids[mark] = oid
        parents: list[bytes] = []
        ops: list[tuple[bytes, bytes | None]] = []
        had_ops = False
        ops_changed = False
        for line, data in command.tail:
            if line.startswith(b"from ") or line.startswith(b"merge "):
                parent = mapped(line.split(b" ", 1)[1])
                if parent not in parents:
                    parents.append(parent)
                continue
            had_ops = True
            if line.startswith(b"M "):
                _m, mode, ref, path = line.split(b" ", 3)
                if path in own or (path in paths and ref in blobs):
                    ops_changed = True
                    continue
                new = replacements.get(ref.decode("ascii", "replace"))
                if new is not None:
                    ops_changed = True
                    prior = before.get(f"{oid}^:{path.decode('utf-8', 'replace')}")
                    if prior is None or redacted.get(prior, prior) != blob_sha(new):
                        ops.append((b"M " + mode + b" inline " + path, new))
                    continue
            elif line.startswith(b"D "):
                path = line[2:]
                if path in own or (path in paths and path not in reused):
                    ops_changed = True
                    continue
            ops.append((line, data))
        old_message = command.message or b""
        new_message = message(old_message)
        originals = [
            line.split(b" ", 1)[1]
            for line, _d in command.tail
            if line.startswith(b"from ") or line.startswith(b"merge ")
        ]
        parents_changed = originals != parents or any(p in changed for p in parents)
        if had_ops and not ops and len(parents) == 1 and oid not in keep:
            subst[mark] = parents[0]
            dropped.append(oid)
            ref = command.head[len(b"commit ") :]
            out.append(_Command(b"reset " + ref, [b"from " + parents[0]]))
            continue
        if ops_changed or new_message != old_message:
            touched.append((oid, _subject(new_message)))
        if ops_changed or new_message != old_message or parents_changed:
            changed.add(mark)
        command.message = new_message
        command.tail = [(b"from " + parents[0], None)] if parents else []
        command.tail += [(b"merge " + p, None) for p in parents[1:]]
        command.tail += ops
        out.append(command)
    gone = tuple(sorted({oids[m] for m in changed if oids.get(m)} | set(dropped)))
    if record is not None:
        _attach_record(out, keep, record, purged.render(record.before | set(gone)))
    return Rewrite(
        render_stream(out),
        tuple(touched),
        tuple(dropped),
        len(changed) + len(dropped),
        total,
        gone,
    )


# ---- running it ---------------------------------------------------------------------------
def own_paths(entry_id: str) -> tuple[str, str]:
    return (f"tree/{entry_id}.md", f"archive/{entry_id}.md")


def lineage_of(repo: GitRepo, entry_id: str) -> Lineage:
    """Follow the entry's paths through every ref's history, renames and moves included."""
    own = set(own_paths(entry_id))
    paths: set[str] = set(own)
    blobs: set[str] = set()
    # Only from its own paths: following an earlier path forward in time would take in
    # whatever entry was created there later.
    for path in sorted(own):
        for _sha, there, old, new in repo.history.follow(path, every_ref=True):
            paths.add(there)
            blobs |= {b for b in (old, new) if b.strip("0")}
    ids = sorted({i for p in paths if (i := id_from_relpath(p)) is not None} | {entry_id})
    return Lineage(frozenset(own), frozenset(paths), frozenset(blobs), tuple(ids))


@dataclass(frozen=True)
class PurgeReport:
    plan: Rewrite
    remotes: tuple[str, ...]
    leftovers: tuple[str, ...]  # paths of reachable files still holding its text or id
    seconds: float
    dry_run: bool
    ids: tuple[str, ...]  # the ids redacted (its own and earlier ones not reused)
    unsettled: tuple[str, ...] = ()  # files on disk that differ from the rewritten HEAD

    def to_json(self) -> dict[str, Any]:
        return {
            **self.plan.to_json(),
            "remotes": list(self.remotes),
            "leftovers": list(self.leftovers),
            "unsettled": list(self.unsettled),
            "seconds": round(self.seconds, 3),
            "dry_run": self.dry_run,
        }


def distinctive_lines(text: str) -> list[str]:
    """Lines long enough to be recognised if they were copied elsewhere."""
    lines = {line.strip().lstrip("#-*> ").strip() for line in text.splitlines()}
    return sorted(line for line in lines if len(line) >= 20)


def purge(
    repo: GitRepo,
    lineage: Lineage,
    live_ids: set[str],
    text: str,
    keep: frozenset[str],
    dry_run: bool,
) -> PurgeReport:
    """Rewrite every ref without the entry (see the module docstring), expire reflogs and
    prune; with `dry_run`, only work out what would change. `live_ids` are ids in use now
    by other entries: an earlier id of this entry that was reused is not redacted."""
    started = time.monotonic()
    ids = [i for i in lineage.ids if i not in live_ids]
    pattern = mention_re(ids) if ids else None

    def message(raw: bytes) -> bytes:
        if pattern is None:
            return raw
        decoded = raw.decode("utf-8", "surrogateescape")
        return pattern.sub(IN_MESSAGES, decoded).encode("utf-8", "surrogateescape")

    replacements: dict[str, bytes] = {}
    if ids:
        for sha, data in repo.rewrite.blobs_containing([i.encode() for i in ids]).items():
            if sha in lineage.blobs:
                continue
            decoded = data.decode("utf-8", "surrogateescape")
            new = erase_mentions(decoded, ids).encode("utf-8", "surrogateescape")
            if new != data:
                replacements[sha] = new
    plan, unsettled = _rewrite_refs(repo, lineage, replacements, message, keep, dry_run)
    leftovers: tuple[str, ...] = ()
    if not dry_run:
        leftovers = _leftovers(repo, lineage, ids, text)
    seconds = time.monotonic() - started
    return PurgeReport(
        plan, tuple(repo.rewrite.remotes()), leftovers, seconds, dry_run, tuple(ids), unsettled
    )


def _rewrite_refs(
    repo: GitRepo,
    lineage: Lineage,
    replacements: Mapping[str, bytes],
    message: Callable[[bytes], bytes],
    keep: frozenset[str],
    dry_run: bool,
) -> tuple[Rewrite, tuple[str, ...]]:
    """Work out the rewrite and, unless `dry_run`, run it: fast-import, then the old objects
    pruned. Returns it and the files on disk that differ from the new HEAD."""
    commands = parse_stream(repo.rewrite.fast_export())
    uses = replaced_uses(commands, replacements)
    before = dict(zip(uses, repo.history.object_ids(uses), strict=True))
    # The rewritten-away commits are recorded in the same rewrite (.ctx-purged), so a sync
    # never merges them back (service/sharing.py).
    record = Record(
        purged.recorded(repo, "HEAD"),
        b"refs/heads/" + repo.rewrite.branch().encode(),
        b"committer " + repo.rewrite.committer().encode(),
    )
    plan = rewrite(commands, lineage, replacements, message, keep, before, record)
    if dry_run:
        return plan, ()
    repo.rewrite.fast_import(plan.stream)
    repo.rewrite.check_out(purged.RECORD)
    # The files on disk were already rewritten by the forget commit, so the new HEAD
    # should match them; anything listed here is a file the rewrite changed under them.
    unsettled = tuple(sorted(path for _status, path in repo.dirty_paths()))
    repo.rewrite.drop_old_history()
    return plan, unsettled


def scrub_cache(root: Path, ids: Iterable[str], text: str) -> tuple[str, ...]:
    """Delete every file under `root` (the store's cache/, derived and rebuildable) that still
    holds one of `ids` or a distinctive line of `text`, after the owners of its known files
    have removed their part (the index, used.log, as-of snapshots): a log or cache added later
    can hold them too, and losing a cache file costs less than keeping what was purged.
    Returns the deleted paths, relative to `root`."""
    needles = [i.encode() for i in ids] + [line.encode() for line in distinctive_lines(text)]
    deleted = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if any(needle in data for needle in needles):
            path.unlink(missing_ok=True)
            deleted.append(str(path.relative_to(root)))
    return tuple(deleted)


def _leftovers(repo: GitRepo, lineage: Lineage, ids: list[str], text: str) -> tuple[str, ...]:
    """Paths of reachable files that still hold a version of the entry, its id, or one of
    its distinctive lines (text copied into other entries is not purged)."""
    lines = [line.encode() for line in distinctive_lines(text)]
    found = repo.rewrite.blobs_containing([*lines, *(i.encode() for i in ids)])
    pattern = mention_re(ids) if ids else None
    suspects = {
        sha
        for sha, data in found.items()
        if any(line in data for line in lines)
        or (pattern is not None and pattern.search(data.decode("utf-8", "replace")))
    }
    suspects |= {sha for sha in lineage.blobs if repo.rewrite.has_object(sha)}
    if not suspects:
        return ()
    where = repo.rewrite.blob_paths()
    return tuple(sorted({where[sha] for sha in suspects if sha in where}))


def with_abstracts(repo: GitRepo, lineage: Lineage) -> Lineage:
    """`lineage` plus every version of a model's abstract of a folder above a path it had
    (`context.md`, `_index.md` written by `ctx curate --abstracts`): an abstract retells its
    entries in other words, so no line-by-line search would find what it repeated; being
    derived, it goes from the history with them (`ctx curate --abstracts` writes it again)."""
    from ctxtree.curation.summaries import GENERATOR, INDEX_NAME, recorded_generator

    folders = {
        "/".join(parts[:depth])
        for path in lineage.paths
        if path.startswith("tree/")
        for parts in [path.split("/")[:-1]]
        for depth in range(2, len(parts) + 1)
    }
    paths = {f"{folder}/{name}" for folder in folders for name in ("context.md", INDEX_NAME)}
    versions: dict[str, str] = {}
    for path in sorted(paths):
        for _sha, there, old, new in repo.history.follow(path, every_ref=True):
            for blob in (old, new):
                if blob.strip("0") and there == path:
                    versions.setdefault(blob, path)
    blobs = read_blobs(repo, sorted(versions))
    derived = {
        sha
        for sha, data in blobs.items()
        if recorded_generator(data.decode("utf-8", "replace")) not in (None, GENERATOR)
    }
    if not derived:
        return lineage
    return replace(
        lineage,
        paths=lineage.paths | {versions[sha] for sha in derived},
        blobs=lineage.blobs | derived,
    )


def require_rewritable(repo: GitRepo) -> None:
    """Refuse a history rewrite on a store with uncommitted changes or a merge under way."""
    from ctxtree.errors import ConflictError

    problems = repo.rewrite.blockers()
    if problems:
        raise ConflictError(
            f"cannot rewrite the store's history: {'; '.join(problems)}",
            "commit changes with `ctx commit` (or discard them), finish or abort any merge, "
            "revert or rebase, then purge again",
        )


def purge_text(
    repo: GitRepo,
    needles: Sequence[str],
    scrub: Callable[[str], str],
    keep: frozenset[str],
    dry_run: bool = False,
) -> PurgeReport:
    """Rewrite every ref so no file version and no message holds one of `needles` (one fact
    of an entry whose other facts stay, as its body and its summary said it): each blob
    holding one is replaced by `scrub(text)`, each message gets IN_MESSAGES instead; then
    reflogs expire and old objects are pruned."""
    started = time.monotonic()
    raws = [n.encode() for n in needles if n]
    replacements: dict[str, bytes] = {}
    for sha, data in repo.rewrite.blobs_containing(raws).items():
        new = scrub(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        if new != data:
            replacements[sha] = new

    def message(text: bytes) -> bytes:
        for raw in raws:
            text = text.replace(raw, IN_MESSAGES.encode())
        return text

    nothing = Lineage(frozenset(), frozenset(), frozenset(), ())
    plan, unsettled = _rewrite_refs(repo, nothing, replacements, message, keep, dry_run)
    leftovers: tuple[str, ...] = ()
    if not dry_run:
        found = repo.rewrite.blobs_containing(raws)
        where = repo.rewrite.blob_paths()
        leftovers = tuple(sorted({where[sha] for sha in found if sha in where}))
    seconds = time.monotonic() - started
    return PurgeReport(
        plan, tuple(repo.rewrite.remotes()), leftovers, seconds, dry_run, (), unsettled
    )
