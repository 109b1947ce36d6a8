"""`ctx curate`: a model (or the host agent) turns an input into a plan for `ctx apply`.

The input (typed text, files, a diff, a transcript, an episode) is cut into chunks of at most
`chunk_tokens` tokens. Each chunk is shown to the model with the entries it may duplicate or
contradict (tiers 0-2 retrieval on the chunk's terms) and with the operations earlier chunks
proposed; its answer is checked (JSON, plan schema, the prompt's example copied, evidence
rewritten) and then validated as `ctx apply --dry-run` validates it, after the earlier chunks'
operations: so a later chunk can UPDATE what an earlier one ADDs instead of duplicating it.
A rejected answer goes back to the model with its problems, at most CORRECTIONS times; then
curate fails and writes nothing. The combined plan lands through `plans.apply_plan`, the use
case `ctx apply` runs: one commit, the same per-operation report.

Provenance is stamped, not asked for: every ADD and UPDATE gets the input's source and at
most the input's trust; an entry made from an episode gets `derived_from` it, and the episode
is marked `curated: TIME` in the same commit. Episodes themselves are never rewritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ctxtree.curation import briefs
from ctxtree.curation import plan as plan_rules
from ctxtree.curation.briefs import Chunk, Material, Related
from ctxtree.errors import CtxError, UsageError
from ctxtree.llm import Chat, LlmOutputError, Usage
from ctxtree.service import episodes, plans
from ctxtree.service.plans import ApplyResult
from ctxtree.service.session import Session
from ctxtree.service.workspace import Workspace

CORRECTIONS = 2  # rounds that send a rejected plan's problems back, per chunk
CHUNK_TOKENS = 3000
RELATED = 8  # entries shown per chunk
PROBES = 6  # single-term queries run besides the whole input's
FOLDERS = 60

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Inputs:
    """What to curate, read by the caller: `text` with where it came from (`argument`,
    `stdin`), files as (name, text), a diff revision, a transcript (name, text), an episode
    id; `trust` overrides each input's default."""

    text: str | None = None
    text_from: str = "argument"
    files: tuple[tuple[str, str], ...] = ()
    diff: str | None = None
    transcript: tuple[str, str] | None = None
    episode: str | None = None
    trust: str | None = None


def _trust(given: str | None, default: str) -> str:
    return given or default


def gather(session: Session, inputs: Inputs, cwd: Path) -> list[Material]:
    """The materials of `inputs`, each with its source and trust. Defaults: `user` for text
    the user typed or piped, files and diffs they named; `agent` for transcripts and episodes
    (what an agent session said and did)."""
    from ctxtree.tree.model import TRUST_LEVELS

    found: list[Material] = []
    t = inputs.trust
    if t is not None and t not in TRUST_LEVELS:
        raise UsageError(f"unknown trust {t!r}", f"use one of {', '.join(TRUST_LEVELS)}")
    if inputs.text is not None:
        ref = "stdin" if inputs.text_from == "stdin" else "ctx curate"
        found.append(Material(f"text ({inputs.text_from})", inputs.text, "text", ref,
                              _trust(t, "user")))  # fmt: skip
    for name, text in inputs.files:
        found.append(Material(f"file {name}", text, "file", name, _trust(t, "user")))
    if inputs.diff is not None:
        from ctxtree.tree.git import project_diff

        text = project_diff(cwd, inputs.diff)
        found.append(Material(f"git diff {inputs.diff}", text, "diff", inputs.diff,
                              _trust(t, "user")))  # fmt: skip
    if inputs.transcript is not None:
        name, text = inputs.transcript
        found.append(Material(f"transcript {name}", briefs.transcript_text(text), "transcript",
                              name, _trust(t, "agent")))  # fmt: skip
    if inputs.episode is not None:
        from ctxtree.tree.paths import parse_id

        entry = session.store.read_entry(parse_id(inputs.episode.strip("/")))
        if entry.kind != "episode":
            raise UsageError(
                f"{entry.id} is not an episode (kind: {entry.kind})",
                f"curate it as text: ctx show {entry.id} | ctx curate -",
            )
        text = f"# {entry.title}\n\n{entry.summary}\n\n{_body(entry.body)}".strip()
        found.append(Material(f"episode {entry.id}", text, "episode", entry.id,
                              _trust(t, "agent"), episode=entry.id))  # fmt: skip
    if not found:
        raise UsageError(
            "nothing to curate",
            "pass TEXT, - for stdin, --file F, --diff REV, --transcript FILE or --episode ID",
        )
    if not any(m.text.strip() for m in found):
        raise UsageError("the input is empty", "give curate something to read")
    return found


def _body(body: str) -> str:
    text = body.strip()
    return text.split("\n", 1)[1].strip() if text.startswith("# ") and "\n" in text else text


def relevant(
    session: Session, text: str, exclude: frozenset[str] = frozenset()
) -> tuple[list[Related], list[tuple[str, int]]]:
    """The entries `text` may duplicate or contradict (tiers 0-2 on its most frequent terms,
    together and one by one;
    superseded, archived and episode entries left out), and the folders with entry counts.
    A read for curation is not a use: no usage is recorded."""
    from collections import Counter

    from ctxtree.retrieval.tiers import Options
    from ctxtree.retrieval.tokenize import STOPWORDS, terms
    from ctxtree.service.recall import open_reader

    counts = Counter(t for t in terms(text) if t not in STOPWORDS and len(t) > 2)
    common = [term for term, _n in counts.most_common(24)]
    # The whole input's terms find what matches most of it; its most frequent terms one by
    # one find the near-duplicates worded differently, which the first query's relative
    # score floor cuts.
    queries = [" ".join(common), *common[:PROBES]] if common else []
    reader = open_reader(session, None)
    try:
        ids: dict[str, None] = {}
        engine = reader.engine(session)
        for query in queries:
            for hit in engine.run(query, Options(limit=RELATED)).hits:
                if hit.id not in exclude and not hit.id.endswith("/"):
                    ids.setdefault(hit.id)
        folders: dict[str, int] = {}
        for entry_id, _title, _path in reader.index.listing(""):
            folder = entry_id.rsplit("/", 1)[0]
            folders[folder] = folders.get(folder, 0) + 1
    finally:
        reader.index.close()
    related: list[Related] = []
    for entry_id in ids:
        try:
            e = session.store.read_entry(entry_id)
        except CtxError:  # gone or broken since the index saw it
            continue
        if e.kind == "episode" or len(related) >= RELATED:
            continue
        related.append(Related(e.id, e.title, e.summary, e.kind, e.trust, e.updated, e.body,
                               tuple(s.render() for s in e.sources)))  # fmt: skip
    listed = sorted(folders.items(), key=lambda item: (-item[1], item[0]))[:FOLDERS]
    return related, sorted(listed)


def object_schema() -> dict[str, Any]:
    """The plan schema's object form: half the size of the whole (which also accepts a bare
    list), and structured-output APIs want an object at the root."""
    return dict(plan_rules.json_schema()["oneOf"][0])


@dataclass
class CurateResult:
    model: str
    chunks: int
    plan: dict[str, Any]
    applied: ApplyResult | None
    usage: Usage = field(default_factory=Usage)
    corrections: int = 0
    episodes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "chunks": self.chunks,
            "corrections": self.corrections,
            "usage": self.usage.to_dict(),
            "plan": self.plan,
            "episodes": list(self.episodes),
            "result": self.applied.to_json() if self.applied else None,
        }


def _describe(op: Mapping[str, Any]) -> str:
    name = str(op.get("op", "?")).upper()
    subject = plan_rules.parse_operation(0, op).subject()
    title = op.get("title")
    return f"{name} {subject}" + (f" ({title!r})" if isinstance(title, str) and title else "")


class Curation:
    """One curate run: the operations proposed so far, checked against the store."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.operations: list[dict[str, Any]] = []

    def _current(self, entry_id: str) -> tuple[list[dict[str, str]], str] | None:
        """(sources, trust) of `entry_id` as the plan so far would leave it, else the store's."""
        for op in reversed(self.operations):
            if op.get("id") == entry_id and "sources" in op:
                return list(op["sources"]), str(op.get("trust", "agent"))
        try:
            entry = self.session.store.read_entry(entry_id)
        except CtxError:
            return None
        return [{"type": s.type, "ref": s.ref} for s in entry.sources], entry.trust

    def stamp(self, op: dict[str, Any], material: Material) -> dict[str, Any]:
        """`op` with the input's provenance: its source added, trust at most the input's, and
        for an episode a `derived_from` relation on new entries."""
        name = str(op.get("op", "")).upper()
        if name not in ("ADD", "UPDATE", "UPSERT") or not isinstance(op.get("id"), str):
            return op
        stamped = dict(op)
        current = None if name == "ADD" else self._current(op["id"])
        if current is None:  # a new entry
            sources = list(op.get("sources") or [])
            trust = briefs.lower_trust(str(op.get("trust") or material.trust), material.trust)
            if material.episode:
                link = {"type": "derived_from", "target": material.episode}
                relations = list(op.get("relations") or [])
                stamped["relations"] = relations + ([link] if link not in relations else [])
        else:
            old_sources, old_trust = current
            sources = list(op["sources"]) if "sources" in op else old_sources
            trust = briefs.lower_trust(str(op.get("trust") or old_trust), material.trust)
        if material.source not in sources:
            sources.append(material.source)
        stamped["sources"], stamped["trust"] = sources, trust
        return stamped

    def check(self, text: str, material: Material) -> tuple[list[dict[str, Any]], list[str]]:
        """The stamped operations of a model's answer, or the problems that reject it: no
        JSON, schema problems, a copied example, rewritten evidence, or what `ctx apply
        --dry-run` would refuse after the operations accepted so far."""
        from ctxtree.llm.actions import extract_json

        raw = extract_json(text)
        if isinstance(raw, dict) and raw.get("operations") == []:
            return [], []
        if raw is None:
            return [], [
                'the answer holds no JSON plan: answer {"reason": ..., "operations": [...]}'
            ]
        parsed = plan_rules.parse_plan(raw)
        if parsed.problems:
            return [], list(parsed.problems)
        problems = []
        for op in parsed.operations:
            label = f"operation {op.index + 1} ({op.op} {op.subject()})"
            problems += [f"{label}: {p}" for p in op.problems]
        items = raw if isinstance(raw, list) else raw["operations"]
        for index, item in enumerate(items):
            for why in (briefs.leaks(item), briefs.touches_evidence(item)):
                if why:
                    problems.append(f"operation {index + 1}: {why}")
        if problems:
            return [], problems
        stamped = [self.stamp(dict(item), material) for item in items]
        trial = plans.checked_plan({"operations": self.operations + stamped})
        result = plans.apply_plan(self.session, trial, "curate", dry_run=True)
        first = len(self.operations)
        for report in result.failures:
            where = f"operation {report.index - first + 1} ({report.op} {report.subject})"
            if report.index < first:
                where = f"an earlier part's {report.op} {report.subject}"
            problems.append(f"{where}: {report.message}")
        return ([], problems) if problems else (stamped, [])


def _ask(
    chat: Chat, turn: str, curation: Curation, chunk: Chunk
) -> tuple[list[dict[str, Any]], Usage, int]:
    """The chunk's accepted operations, after at most CORRECTIONS rounds; LlmOutputError
    (nothing written) when the model never gets it right."""
    usage = Usage()
    for round_ in range(CORRECTIONS + 1):
        reply = chat.send(turn)
        usage += reply.usage if reply.usage.calls else replace(reply.usage, calls=1)
        operations, problems = curation.check(reply.text, chunk.material)
        if not problems:
            return operations, usage, round_
        turn = briefs.correction_turn(problems)
    part = f" for part {chunk.number} of {chunk.total}" if chunk.total > 1 else ""
    raise LlmOutputError(
        f"the model's plan{part} was still rejected after {CORRECTIONS} corrections "
        f"({problems[0]}); nothing was written",
        "try a stronger model (--model), or `ctx curate --for-agent` to curate it yourself",
    )


def _mark(session: Session, ids: Sequence[str]) -> Callable[[Workspace], None]:
    """Stamp `curated: NOW` on each episode read, in the plan's commit."""

    def mark(ws: Workspace) -> None:
        for entry_id in ids:
            entry = ws.require(entry_id)
            extra = dict(entry.extra)
            extra[episodes.CURATED_KEY] = session.timestamp
            ws.put(replace(entry, extra=tuple(extra.items())))

    return mark


def curate(
    session: Session,
    env: Mapping[str, str],
    materials: Sequence[Material],
    *,
    model: str | None = None,
    command: str | None = None,
    chunk_tokens: int = CHUNK_TOKENS,
    dry_run: bool = False,
    redact: bool = False,
    progress: Progress | None = None,
) -> CurateResult:
    """Ask the configured model for a plan, chunk by chunk, and apply it as `ctx apply` does
    (see the module doc)."""
    from ctxtree import llm
    from ctxtree.retrieval.budget import exact_counts

    choice = llm.require(llm.choose(session.settings.llm, env, model, command), "ctx curate")
    chunks = briefs.chunks(materials, chunk_tokens, exact_counts)
    provider = llm.open_provider(choice)
    system = briefs.system_prompt(object_schema())
    curation = Curation(session)
    usage, corrections = Usage(), 0
    read = tuple(dict.fromkeys(m.episode for m in materials if m.episode))
    for chunk in chunks:
        if progress is not None:
            progress(chunk.number - 1, len(chunks))
        related, folders = relevant(session, chunk.text, frozenset(read))
        earlier = [_describe(op) for op in curation.operations]
        turn = briefs.chunk_turn(chunk, briefs.excerpt(related, folders), earlier)
        chat = provider.chat(system, schema=object_schema())
        operations, used, rounds = _ask(chat, turn, curation, chunk)
        curation.operations += operations
        usage, corrections = usage + used, corrections + rounds
    if progress is not None:
        progress(len(chunks), len(chunks))
    labels = ", ".join(m.label for m in materials)
    reason = f"curated from {labels[:200]} by {choice.name}"
    plan = {"reason": reason, "operations": curation.operations}
    applied = None
    if curation.operations or read:
        parsed = plan_rules.Plan(reason, plans.checked_plan(plan).operations) \
            if curation.operations else plan_rules.Plan(reason, ())  # fmt: skip
        applied = plans.apply_plan(
            session, parsed, "curate", redact=redact, dry_run=dry_run,
            after=_mark(session, read) if read else None,
        )  # fmt: skip
    return CurateResult(choice.name, len(chunks), plan, applied, usage, corrections, read)


def brief_for_agent(session: Session, materials: Sequence[Material]) -> str:
    """The self-contained brief `ctx curate --for-agent` prints (no model needed)."""
    evidence = frozenset(m.episode for m in materials if m.episode)
    related, folders = relevant(session, "\n".join(m.text for m in materials), evidence)
    return briefs.agent_brief(
        materials, briefs.excerpt(related, folders), object_schema(), "ctx apply -"
    )
