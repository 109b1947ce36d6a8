"""Store health checks behind `ctx lint`: pure functions over entries and facts passed in.

Codes (severity; * = repaired by `ctx lint --fix`):
  invalid-entry       error     a file that does not parse (path:line)
  merge-conflict      error     git conflict markers left by a merge (`ctx sync`, `git merge`)
                                that could not be merged: the file, the line and what to do
  broken-relation     error *   a declared relation to no entry (tree/ or archive/) nor folder;
                                the fix drops the relation
  secret              error *   a credential in a title, summary, body, tag, keyword or source;
                                the fix redacts it (it stays in git history: rotate it)
  broken-link         warning * an inline [[link]] to nothing; the fix unwraps it to plain text
  missing-provenance  warning * an agent or external entry without sources; the fix adds the
                                store commit that introduced the file as `commit:<sha>`
  contradiction       warning   `contradicts` between two entries that are both current
  near-duplicate      warning   two current entries with near-identical title and summary
  oversized           warning   an entry file over `lint.oversized_bytes`
  bad-validity        warning   a valid_from/valid_until that is no date, or an empty window
  stale-summary       warning * an `_index.md` whose folder changed since it was written (or
                                now holds no entries); the fix regenerates (or deletes) it
  symlink             error     a symbolic link in tree/ or archive/: never followed, so what it
                                points at is neither read nor written (replace it by hand)
  orphan              info      a non-episode entry with no relation or link in or out
  retired-dependency  info      a current entry depends_on a superseded, expired or archived one

A store without `_index.md` files is not stale: summaries exist once `ctx maintain` made them.
An entry is *current* when it is in tree/, no tree/ entry supersedes it, and today lies inside
its validity window (the same rule retrieval uses, which ignores an unreadable bound).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ctxtree.config import LintConfig
from ctxtree.curation.summaries import index_relpath, plan_indexes
from ctxtree.errors import InvalidEntryError
from ctxtree.tree import relations as rel
from ctxtree.tree import secrets
from ctxtree.tree.model import Entry, Source
from ctxtree.tree.paths import id_from_relpath
from ctxtree.tree.relations import inline_links

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)

# (code, severity, fixable, description): the table `ctx lint --help` documents.
CODES: tuple[tuple[str, str, bool, str], ...] = (
    ("invalid-entry", ERROR, False, "a file that does not parse"),
    ("merge-conflict", ERROR, False, "git conflict markers from a merge"),
    ("broken-relation", ERROR, True, "a declared relation to nothing (dropped)"),
    ("secret", ERROR, True, "a credential in the entry (redacted)"),
    ("broken-link", WARNING, True, "an inline [[link]] to nothing (unwrapped)"),
    ("missing-provenance", WARNING, True, "agent/external entry without sources"),
    ("contradiction", WARNING, False, "contradicts another current entry"),
    ("near-duplicate", WARNING, False, "near-identical title and summary"),
    ("oversized", WARNING, False, "file over lint.oversized_bytes"),
    ("bad-validity", WARNING, False, "unreadable or empty validity window"),
    ("stale-summary", WARNING, True, "an _index.md whose inputs changed (regenerated)"),
    ("symlink", ERROR, False, "a symbolic link (never followed)"),
    ("orphan", INFO, False, "no relation or link in or out"),
    ("retired-dependency", INFO, False, "depends_on a superseded/expired/archived entry"),
)
SEVERITY = {code: severity for code, severity, _fixable, _text in CODES}


@dataclass(frozen=True)
class Finding:
    """One problem. `entry` is an entry id (or `<folder>/_index.md` for a summary), `path`
    the store-relative file, `target` what a fix removes (a relation or link target) or the
    other entry of a pair, `fix` the next action for a person."""

    code: str
    severity: str
    entry: str
    message: str
    fix: str
    fixable: bool
    path: str = ""
    target: str = ""

    def line(self) -> str:
        return f"{self.code} {self.severity} {self.entry}: {self.message} (fix: {self.fix})"

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "entry": self.entry,
            "path": self.path,
            "message": self.message,
            "fix": self.fix,
            "fixable": self.fixable,
            "target": self.target,
        }


def _finding(
    code: str,
    entry: str,
    message: str,
    fix: str,
    fixable: bool = False,
    *,
    path: str = "",
    target: str = "",
) -> Finding:
    return Finding(code, SEVERITY[code], entry, message, fix, fixable, path, target)


@dataclass(frozen=True)
class Corpus:
    """What the checks look at, gathered by the caller.

    `entries` and `archived` are the valid entries of tree/ and archive/, `problems` the files
    that failed to parse with their text (for the secret scan), `folders` every folder under
    tree/ (`auth`, `auth/jwt`), `sizes` the byte size of each tree/ entry file by id,
    `indexes` the text of each existing `_index.md` by folder, `now` a UTC instant
    (`2026-11-20T10:00:00Z`)."""

    entries: Sequence[Entry]
    archived: Sequence[Entry] = ()
    problems: Sequence[tuple[InvalidEntryError, str]] = ()
    folders: frozenset[str] = frozenset()
    sizes: Mapping[str, int] = field(default_factory=dict)
    indexes: Mapping[str, str] = field(default_factory=dict)
    now: str = ""


def check(
    corpus: Corpus, candidates: Iterable[tuple[str, str]], settings: LintConfig
) -> list[Finding]:
    """Every finding, ordered by (entry, code, target). `candidates` are id pairs that may be
    near-duplicates (from the search index); only they are compared."""
    tree_ids = {e.id for e in corpus.entries}
    archived_ids = {e.id for e in corpus.archived}
    superseded = superseded_ids(corpus.entries)
    current = {e.id: e for e in corpus.entries if is_current(e, superseded, corpus.now)}
    findings = invalid(corpus.problems)
    findings += merge_conflicts(corpus)
    findings += graph(corpus.entries, tree_ids | archived_ids | corpus.folders)
    for entry in corpus.entries:
        findings += secrets_in(entry, f"tree/{entry.id}.md")
    for entry in corpus.archived:
        findings += secrets_in(entry, f"archive/{entry.id}.md")
    findings += provenance(corpus.entries)
    findings += contradictions(corpus.entries, current)
    findings += retired_dependencies(current, superseded, archived_ids, corpus.entries)
    findings += oversized(corpus.sizes, settings.oversized_bytes)
    findings += bad_validity(corpus.entries)
    findings += stale_summaries(corpus.entries, corpus.indexes)
    eligible = {i: e for i, e in current.items() if e.kind != "episode"}
    findings += near_duplicates(eligible, candidates, settings.duplicate_ratio)
    return sorted(findings, key=lambda f: (f.entry, f.code, f.target, f.message))


# ---- status ------------------------------------------------------------------------------
def superseded_ids(entries: Iterable[Entry]) -> set[str]:
    """Ids some tree/ entry declares it supersedes."""
    return {r.target for e in entries for r in e.relations if r.type == "supersedes"}


def is_current(entry: Entry, superseded: set[str], now: str) -> bool:
    """Not superseded, and `now` (a UTC instant) inside its validity window, by the rule
    retrieval uses (`tree.validity`)."""
    from ctxtree.tree import validity

    if entry.id in superseded:
        return False
    if not now:
        return True
    return validity.state(entry.valid_from, entry.valid_until, now) == validity.CURRENT


# ---- checks ------------------------------------------------------------------------------
def invalid(problems: Iterable[tuple[InvalidEntryError, str]]) -> list[Finding]:
    """Files that do not parse; a credential in one is reported too (not fixable here)."""
    out = []
    for problem, text in problems:
        entry = id_from_relpath(problem.path) or problem.path
        hint = problem.hint or "fix the frontmatter by hand"
        out.append(_finding("invalid-entry", entry, problem.message, hint, path=problem.path))
        found = secrets.scan(text)
        if found:
            where = "; ".join(f.describe() for f in found)
            out.append(
                _finding(
                    "secret",
                    entry,
                    f"{where} in the file",
                    "edit the file by hand and rotate the credential",
                    path=problem.path,
                )
            )
    return out


CONFLICT_MARKERS = ("<<<<<<< ", "=======", ">>>>>>> ")


def conflict_line(text: str) -> int:
    """1-based line of the first `<<<<<<< ` marker of a complete conflict hunk (opening,
    separator and closing lines in that order), 0 when the text holds none."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not line.startswith(CONFLICT_MARKERS[0]):
            continue
        rest = lines[index + 1 :]
        middle = next((i for i, x in enumerate(rest) if x.rstrip() == CONFLICT_MARKERS[1]), -1)
        if middle >= 0 and any(x.startswith(CONFLICT_MARKERS[2]) for x in rest[middle + 1 :]):
            return index + 1
    return 0


def merge_conflicts(corpus: Corpus) -> list[Finding]:
    """Files a merge left with conflict markers: in an entry's body (the merge driver merged
    the frontmatter) or anywhere in a file that no longer parses."""
    found = []
    texts = [(f"tree/{e.id}.md", e.id, _body_offset(e), e.body) for e in corpus.entries]
    texts += [(f"archive/{e.id}.md", e.id, _body_offset(e), e.body) for e in corpus.archived]
    texts += [(p.path, id_from_relpath(p.path) or p.path, 0, text) for p, text in corpus.problems]
    for path, entry, offset, text in texts:
        line = conflict_line(text)
        if line:
            found.append(
                _finding(
                    "merge-conflict",
                    entry,
                    f"{path}:{line + offset}: a merge left conflict markers (<<<<<<< ours, "
                    "=======, >>>>>>> theirs): both sides changed the same lines",
                    "edit the file to keep the right text and delete the marker lines, then "
                    "`git add` and `git commit` in the store if a merge is under way (or "
                    "`ctx commit`)",
                    path=path,
                )
            )
    return found


def _body_offset(entry: Entry) -> int:
    """Lines above an entry's body in its file (the fences and frontmatter)."""
    return entry.origin.text.count("\n") if entry.origin is not None else 0


def symlinks(links: Iterable[tuple[str, str]]) -> list[Finding]:
    """(relpath, where it points) of each link in the store: refused, never followed."""
    return [
        _finding(
            "symlink",
            id_from_relpath(path) or path,
            f"{path} is a symbolic link (to {target}); ctx never follows it",
            "replace it with a real file or folder, or remove it",
            path=path,
        )
        for path, target in links
    ]


def graph(entries: Sequence[Entry], known: set[str] | frozenset[str]) -> list[Finding]:
    """Broken relations, broken inline links, and orphans (no resolvable edge in or out)."""
    out: list[Finding] = []
    linked: set[str] = set()
    for entry in entries:
        path = f"tree/{entry.id}.md"
        for relation in entry.relations:
            if relation.target in known:
                linked.update((entry.id, relation.target))
                continue
            out.append(
                _finding(
                    "broken-relation",
                    entry.id,
                    f"{relation.type} -> {relation.target}: no such entry or folder",
                    "--fix drops the relation, or create the target",
                    True,
                    path=path,
                    target=relation.target,
                )
            )
        # Every inline link, also one repeating a declared relation: dropping that relation
        # must not leave the link behind, broken.
        for target in inline_links(entry.body):
            if target == entry.id:
                continue
            if target in known:
                linked.update((entry.id, target))
                continue
            out.append(
                _finding(
                    "broken-link",
                    entry.id,
                    f"inline link [[{target}]]: no such entry or folder",
                    "--fix unwraps it to plain text, or create the target",
                    True,
                    path=path,
                    target=target,
                )
            )
    for entry in entries:
        if entry.kind != "episode" and entry.id not in linked:
            out.append(
                _finding(
                    "orphan",
                    entry.id,
                    "no relations or links in or out",
                    f"relate it: ctx link {entry.id} OTHER-ID",
                    path=f"tree/{entry.id}.md",
                )
            )
    return out


def _fields(entry: Entry) -> list[tuple[str, str]]:
    return [
        ("the title", entry.title),
        ("the summary", entry.summary),
        ("the tags", "\n".join(entry.tags)),
        ("the keywords", "\n".join(entry.keywords)),
        ("the sources", "\n".join(s.ref for s in entry.sources)),
        ("the body", entry.body),
    ]


def secrets_in(entry: Entry, path: str) -> list[Finding]:
    """One finding per entry naming every credential found and where (body lines are
    counted from the top of the file)."""
    head_lines = len(entry.origin.text.splitlines()) if entry.origin is not None else 0
    parts = []
    for name, text in _fields(entry):
        for found in secrets.scan(text):
            if name == "the body":
                parts.append(
                    f"{found.kind} in the body, line {head_lines + found.line} ({found.excerpt})"
                )
            else:
                parts.append(f"{found.kind} in {name} ({found.excerpt})")
    if not parts:
        return []
    return [
        _finding(
            "secret",
            entry.id,
            "; ".join(parts),
            "--fix redacts it; rotate the credential (it stays in git history until "
            f"`ctx forget {entry.id} --purge`)",
            True,
            path=path,
        )
    ]


def provenance(entries: Iterable[Entry]) -> list[Finding]:
    return [
        _finding(
            "missing-provenance",
            e.id,
            f"trust {e.trust} but no sources",
            f"--fix adds the store commit that introduced it, or ctx edit {e.id} "
            "--add-source TYPE:REF",
            True,
            path=f"tree/{e.id}.md",
        )
        for e in entries
        if e.trust in ("agent", "external") and not e.sources
    ]


def contradictions(entries: Iterable[Entry], current: Mapping[str, Entry]) -> list[Finding]:
    """Each `contradicts` pair of current entries once, on the entry that declares it (the
    smaller id when both do)."""
    pairs: dict[tuple[str, str], Entry] = {}
    for entry in sorted(entries, key=lambda e: e.id):
        for relation in entry.relations:
            other = current.get(relation.target)
            if relation.type != "contradicts" or other is None or entry.id not in current:
                continue
            key = (min(entry.id, other.id), max(entry.id, other.id))
            pairs.setdefault(key, entry)
    out = []
    for (a, b), declarer in sorted(pairs.items()):
        partner = b if declarer.id == a else a
        out.append(
            _finding(
                "contradiction",
                declarer.id,
                f"contradicts {partner}, and both are current",
                "decide which holds: ctx supersede OLD NEW, or set valid_until on the one "
                "that no longer holds",
                path=f"tree/{declarer.id}.md",
                target=partner,
            )
        )
    return out


def retired_dependencies(
    current: Mapping[str, Entry],
    superseded: set[str],
    archived: set[str],
    entries: Sequence[Entry],
) -> list[Finding]:
    successors: dict[str, str] = {}
    for entry in sorted(entries, key=lambda e: e.id):
        for relation in entry.relations:
            if relation.type == "supersedes":
                successors.setdefault(relation.target, entry.id)
    tree_ids = {e.id for e in entries}
    out = []
    for entry in current.values():
        for relation in entry.relations:
            target = relation.target
            if relation.type != "depends_on" or target in current:
                continue
            if target in superseded:
                why = f"superseded by {successors[target]}"
                fix = (
                    f"ctx link {entry.id} {successors[target]} --type depends_on, then "
                    f"ctx unlink {entry.id} {target}"
                )
            elif target in tree_ids:
                why = "no longer valid (validity window)"
                fix = f"ctx unlink {entry.id} {target}, or extend its validity"
            elif target in archived:
                why = "archived"
                fix = f"ctx unlink {entry.id} {target}, or ctx restore {target}"
            else:
                continue  # a folder or nothing: broken-relation reports the latter
            out.append(
                _finding(
                    "retired-dependency",
                    entry.id,
                    f"depends_on {target}, which is {why}",
                    fix,
                    path=f"tree/{entry.id}.md",
                    target=target,
                )
            )
    return out


def oversized(sizes: Mapping[str, int], limit: int) -> list[Finding]:
    return [
        _finding(
            "oversized",
            entry_id,
            f"{size:,} bytes, over the {limit:,}-byte lint limit",
            f"ctx split {entry_id}",
            path=f"tree/{entry_id}.md",
        )
        for entry_id, size in sizes.items()
        if size > limit
    ]


def bad_validity(entries: Iterable[Entry]) -> list[Finding]:
    """Bounds retrieval cannot read (it ignores them, so the entry never expires), and
    windows that end before they start (the entry is never current): the rule writes
    enforce, `validity.check_validity`."""
    from ctxtree.tree import validity

    out = []
    for entry in entries:
        try:
            validity.check_validity(entry.valid_from, entry.valid_until)
        except InvalidEntryError as exc:
            out.append(
                _finding(
                    "bad-validity",
                    entry.id,
                    exc.message,
                    f"ctx edit {entry.id} --valid-until YYYY-MM-DD (or --valid-from)",
                    path=f"tree/{entry.id}.md",
                )
            )
    return out


def stale_summaries(entries: Sequence[Entry], indexes: Mapping[str, str]) -> list[Finding]:
    out = []
    for update in plan_indexes(entries, indexes, only_existing=True):
        if update.reason == "removed":
            message = "summary of a folder that holds no entries any more"
            fix = "--fix deletes it"
        else:
            message = "summary is stale: the folder's entries changed since it was written"
            fix = "--fix (or ctx maintain) regenerates it"
        out.append(
            _finding(
                "stale-summary",
                f"{update.folder}/_index.md",
                message,
                fix,
                True,
                path=index_relpath(update.folder),
                target=update.folder,
            )
        )
    return out


def similarity(a: Entry, b: Entry) -> float:
    """Title similarity (rapidfuzz token_sort_ratio, 0-100, case and punctuation folded);
    when both have summaries, the mean of the title and summary similarities."""
    from rapidfuzz import fuzz, utils

    title = float(fuzz.token_sort_ratio(a.title, b.title, processor=utils.default_process))
    if not (a.summary.strip() and b.summary.strip()):
        return title
    summary = float(fuzz.token_sort_ratio(a.summary, b.summary, processor=utils.default_process))
    return (title + summary) / 2


def near_duplicates(
    entries: Mapping[str, Entry], candidates: Iterable[tuple[str, str]], threshold: int
) -> list[Finding]:
    """Each candidate pair of `entries` at or above `threshold` similarity, once."""
    seen: set[tuple[str, str]] = set()
    out = []
    for x, y in candidates:
        a, b = min(x, y), max(x, y)
        if a == b or (a, b) in seen or a not in entries or b not in entries:
            continue
        seen.add((a, b))
        score = similarity(entries[a], entries[b])
        if score >= threshold:
            keep, fold = _keeper(entries[a], entries[b])
            out.append(
                _finding(
                    "near-duplicate",
                    fold.id,
                    f"near-identical to {keep.id} ({score:.0f}% similar{_why_keep(keep, fold)})",
                    f"ctx merge {fold.id} {keep.id}",
                    path=f"tree/{fold.id}.md",
                    target=keep.id,
                )
            )
    return out


def _keeper(a: Entry, b: Entry) -> tuple[Entry, Entry]:
    """(the entry to keep, the one to merge into it) of a near-duplicate pair. The original
    survives: the earlier `created` (its id is the one other entries, commits and people already
    point at), then the higher importance, then the smaller id, so the advice is stable."""

    def rank(e: Entry) -> tuple[int, str, float, str]:
        # Entries without `created` (hand-written files) sort after dated ones.
        return (0 if e.created else 1, e.created, -e.importance, e.id)

    return (a, b) if rank(a) <= rank(b) else (b, a)


def _why_keep(keep: Entry, fold: Entry) -> str:
    if keep.created and keep.created != fold.created:
        return f"; {keep.id} is older"
    if keep.importance != fold.importance:
        return f"; {keep.id} is more important"
    return ""


# ---- repairs -----------------------------------------------------------------------------
def redact_entry(entry: Entry) -> Entry:
    """`entry` with every credential in its text fields masked (`secrets.redact`)."""

    def lines(items: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(secrets.redact(i) for i in items)

    return replace(
        entry,
        title=secrets.redact(entry.title),
        summary=secrets.redact(entry.summary),
        body=secrets.redact(entry.body),
        tags=lines(entry.tags),
        keywords=lines(entry.keywords),
        sources=tuple(Source(s.type, secrets.redact(s.ref)) for s in entry.sources),
    )


def repair(entry: Entry, findings: Iterable[Finding], introduced: str | None) -> Entry:
    """`entry` with the mechanical fixes of its `findings` applied. `introduced` is the short
    sha of the store commit that introduced its file (None: provenance stays missing)."""
    found = list(findings)
    broken = {f.target for f in found if f.code == "broken-relation"}
    links = {f.target for f in found if f.code == "broken-link"}
    fixed = entry
    if broken:
        fixed = replace(
            fixed, relations=tuple(r for r in fixed.relations if r.target not in broken)
        )
    if links:
        fixed = replace(fixed, body=rel.unwrap_links(fixed.body, links))
    if introduced and any(f.code == "missing-provenance" for f in found):
        fixed = replace(fixed, sources=(*fixed.sources, Source("commit", introduced)))
    if any(f.code == "secret" for f in found):
        fixed = redact_entry(fixed)
    return fixed
