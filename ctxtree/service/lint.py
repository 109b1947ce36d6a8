"""The lint use case: gather the store, run the checks, apply the mechanical fixes in one commit.

Near-duplicate candidates come from the search index (an FTS query of each entry's title
terms, the best few hits), so the pairwise comparison is linear in the store, not quadratic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ctxtree.curation import checks
from ctxtree.curation.checks import Corpus, Finding
from ctxtree.curation.summaries import index_relpath, plan_indexes
from ctxtree.errors import InvalidEntryError, NotFoundError, UsageError
from ctxtree.service.session import Session
from ctxtree.tree import frontmatter
from ctxtree.tree.model import Entry
from ctxtree.tree.paths import parse_prefix
from ctxtree.tree.store import Store
from ctxtree.tree.suggestions import missing_prefix

if TYPE_CHECKING:
    from ctxtree.tree.transaction import Transaction

CANDIDATES = 5  # index hits per entry compared as possible near-duplicates
RARE_TERMS = 2  # title terms per candidate query: a near-duplicate may differ in one


@dataclass(frozen=True)
class LintReport:
    """`findings` are what remains: after a fix, a fresh lint of the store; after a dry run,
    what the fix would not repair."""

    findings: tuple[Finding, ...]
    checked: int
    fixed: tuple[Finding, ...] = ()
    commit: str | None = None
    diff: str | None = None  # set on a dry run

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "fixed": [f.to_json() for f in self.fixed],
            "commit": self.commit,
            "findings": [f.to_json() for f in self.findings],
        }
        if self.diff is not None:
            data["dry_run"] = True
            data["diff"] = self.diff
        return data


def existing_indexes(store: Store, folders: Iterable[str]) -> dict[str, str]:
    """The text of each folder's `_index.md`, for the folders that have one."""
    found: dict[str, str] = {}
    for folder in folders:
        try:
            found[folder] = store.read_text(index_relpath(folder))
        except (NotFoundError, InvalidEntryError):
            continue
    return found


def gather(session: Session) -> Corpus:
    """Every entry of tree/ and archive/ (parsed), the files that fail to parse, folders,
    file sizes and existing summaries."""
    store = session.store
    entries, problems = store.entries()
    archived: list[Entry] = []
    for entry_id, relpath in store.entry_paths("", area="archive"):
        try:
            archived.append(frontmatter.parse(store.read_text(relpath), entry_id, relpath))
        except InvalidEntryError as exc:
            problems.append(exc)
    bad = []
    for problem in problems:
        try:
            text = store.read_text(problem.path)
        except (InvalidEntryError, NotFoundError):
            text = ""
        bad.append((problem, text))
    folders = frozenset(
        rel[len("tree/") :] for rel in store.folder_stamps() if rel.startswith("tree/")
    )
    sizes = {
        entry_id: size
        for entry_id, _relpath, _mtime, size in store.stamps("tree")
        if not entry_id.endswith("/")  # a folder's context.md overview
    }
    valid = {e.id for e in entries}
    return Corpus(
        entries=entries,
        archived=archived,
        problems=bad,
        folders=folders,
        sizes={i: s for i, s in sizes.items() if i in valid},
        indexes=existing_indexes(store, folders),
        now=session.timestamp,
    )


def candidates(session: Session, entries: Sequence[Entry]) -> list[tuple[str, str]]:
    """Id pairs worth comparing: for each entry, the best title matches in the index for its
    RARE_TERMS rarest title terms (by how many titles hold them). Near-identical titles share
    nearly all their terms, so they share the rare ones; querying only those keeps each FTS
    query's match set small (an OR of every title term scores half the store per query:
    32 s for 10,000 entries)."""
    from collections import Counter

    from ctxtree.retrieval.tokenize import query_terms
    from ctxtree.service.recall import open_index

    terms = {e.id: query_terms(e.title) for e in entries}
    titles_with = Counter(t for ts in terms.values() for t in ts)
    index = open_index(session)
    try:
        weights = [1.0] * 6
        found: list[tuple[str, int]] = []
        for entry in entries:
            rare = sorted(terms[entry.id], key=lambda t: (titles_with[t], t))[:RARE_TERMS]
            if not rare:
                continue
            query = "title : (" + " OR ".join(f'"{t}"' for t in rare) + ")"
            found += [(entry.id, rowid) for rowid, _s in index.match(query, weights, CANDIDATES)]
        rowids = sorted({rowid for _id, rowid in found})
        ids: dict[int, str] = {}
        for start in range(0, len(rowids), 500):
            ids.update((r, d.id) for r, d in index.docs(rowids[start : start + 500]).items())
    finally:
        index.close()
    return [(a, ids[r]) for a, r in found if r in ids and ids[r] != a]


def _in_scope(finding: Finding, prefix: str) -> bool:
    return not prefix or finding.entry == prefix or finding.entry.startswith(prefix + "/")


def run(session: Session, prefix: str = "") -> tuple[Corpus, list[Finding]]:
    corpus = gather(session)
    eligible = [e for e in corpus.entries if e.kind != "episode"]
    findings = checks.check(corpus, candidates(session, eligible), session.settings.lint)
    findings += checks.symlinks(session.store.symlinks())
    return corpus, [f for f in findings if _in_scope(f, prefix)]


def lint(
    session: Session, prefix: str = "", fix: bool = False, dry_run: bool = False
) -> LintReport:
    """Check the store (findings under `prefix` only); with `fix`, repair the mechanical
    findings in one commit (`Ctx-Op: lint`), then lint again to report what remains."""
    if dry_run and not fix:
        raise UsageError("--dry-run needs --fix", "run `ctx lint --fix --dry-run`")
    wanted = parse_prefix(prefix)
    store = session.store
    if wanted and not (store.folder_exists(wanted) or store.exists(wanted)):
        raise missing_prefix(store, wanted)
    if not fix:
        corpus, findings = run(session, wanted)
        return LintReport(tuple(findings), _checked(corpus))
    with session.transaction("lint", dry_run=dry_run) as tx:
        corpus, findings = run(session, wanted)
        fixed = _apply(session, tx, corpus, [f for f in findings if f.fixable], wanted)
        tx.subject = f"fixed {len(fixed)} finding{'s' if len(fixed) != 1 else ''}"
        tx.body = "\n".join(f"{f.code} {f.entry}" for f in fixed)
    checked = _checked(corpus)
    if dry_run:
        remaining = tuple(f for f in findings if f not in fixed)
        return LintReport(remaining, checked, tuple(fixed), None, tx.diff)
    corpus, findings = run(session, wanted)
    return LintReport(tuple(findings), checked, tuple(fixed), tx.commit_sha)


def _apply(
    session: Session, tx: Transaction, corpus: Corpus, todo: list[Finding], prefix: str
) -> list[Finding]:
    """Write the repaired files into `tx`; returns the findings actually fixed."""
    from ctxtree.tree.git import GitRepo

    by_path = {f"tree/{e.id}.md": e for e in corpus.entries}
    by_path.update({f"archive/{e.id}.md": e for e in corpus.archived})
    per_path: dict[str, list[Finding]] = {}
    for finding in todo:
        if finding.code != "stale-summary" and finding.path in by_path:
            per_path.setdefault(finding.path, []).append(finding)
    lacking = sorted(p for p, fs in per_path.items() if any(_provenance(f) for f in fs))
    introduced = GitRepo(session.store.root).history.introduced_by(lacking) if lacking else {}
    fixed: list[Finding] = []
    current = {e.id: e for e in corpus.entries}
    for path, found in sorted(per_path.items()):
        entry = by_path[path]
        sha = introduced.get(path)
        repaired = checks.repair(entry, found, sha)
        if repaired == entry:
            continue
        text = frontmatter.serialize(repaired)
        frontmatter.parse(text, entry.id, path)  # re-validate: never write a broken file
        tx.write(path, text)
        fixed += [f for f in found if sha or not _provenance(f)]
        if path.startswith("tree/"):
            current[entry.id] = repaired
    # Summaries from the repaired entries: a redacted summary must not survive in _index.md.
    stale = {f.target: f for f in todo if f.code == "stale-summary"}
    updates = plan_indexes(list(current.values()), corpus.indexes, only_existing=True)
    for update in updates:
        if not (update.folder in stale or _folder_in_scope(update.folder, prefix)):
            continue
        if update.text:
            tx.write(update.relpath, update.text)
        else:
            tx.delete(update.relpath)
        if update.folder in stale:
            fixed.append(stale[update.folder])
    return sorted(fixed, key=lambda f: (f.entry, f.code, f.target))


def _checked(corpus: Corpus) -> int:
    """Entry files looked at, malformed ones included."""
    return len(corpus.entries) + len(corpus.archived) + len(corpus.problems)


def _provenance(finding: Finding) -> bool:
    return finding.code == "missing-provenance"


def _folder_in_scope(folder: str, prefix: str) -> bool:
    return not prefix or folder == prefix or folder.startswith(prefix + "/")
