"""`bench/locomo.py --llm MODEL`: LoCoMo questions answered through the `ctx query` use case
(ctxtree.service.query, tiers 0-4, in-process) and scored by an LLM judge.

Categories 1-4: correct when the query answered (citations verified) and the judge says the
answer means the reference answer. Category 5 (adversarial, unanswerable): correct when the
query did not claim an answer (not in memory, not confident, unverified, budget ran out); no
judge call. Reported: accuracy overall and per category, the tiers that answered, the statuses,
model calls and tokens. It needs a reachable model: `probe` makes one call first, so a run
without one stops at once with the provider's own error instead of scoring nothing.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from locomo_convert import CATEGORIES, Question

JUDGE_SYSTEM = """\
You grade answers to questions about a conversation. Given a question, the reference answer
and a candidate answer, decide whether the candidate gives the same answer as the reference
(same facts; dates, names and numbers must agree; extra detail is fine; "I don't know" is
wrong). Reply with only JSON: {"correct": true} or {"correct": false}."""


@dataclass
class Asked:
    conversation: str
    category: int
    status: str
    tier: int
    correct: bool
    steps: int
    tokens: int
    seconds: float
    error: str = ""


@dataclass
class LlmRun:
    model: str
    judge: str
    rows: list[Asked] = field(default_factory=list)


def provider(model: str) -> Any:
    from ctxtree.config import LlmConfig
    from ctxtree.llm import choose, open_provider, require

    return open_provider(require(choose(LlmConfig(), os.environ, model=model), "--llm"))


def probe(model: str) -> str:
    """'' when `model` answers one call; else why not, in the provider's words."""
    from ctxtree.errors import CtxError

    try:
        provider(model).chat("Reply with the word OK.").send("ping")
    except CtxError as error:
        return error.with_hint()
    return ""


def judge(provider: Any, question: Question, candidate: str) -> bool:
    from ctxtree.llm.actions import extract_json

    prompt = (
        f"Question: {question.text}\nReference answer: {question.answer}\n"
        f"Candidate answer: {candidate}\n"
    )
    verdict = extract_json(provider.chat(JUDGE_SYSTEM).send(prompt).text)
    return isinstance(verdict, dict) and verdict.get("correct") is True


def ask(run: LlmRun, judge_with: Any, store: Path, conversation: str, question: Question) -> None:
    """One question through `ctx query`'s use case, scored."""
    from ctxtree.errors import CtxError
    from ctxtree.service.query import ANSWERED, query
    from ctxtree.service.session import open_session

    started = time.perf_counter()
    try:
        result = query(open_session(str(store)), question.text, model=run.model)
    except CtxError as error:
        seconds = time.perf_counter() - started
        run.rows.append(
            Asked(conversation, question.category, "error", -1, False, 0, 0, seconds, str(error))
        )
        return
    seconds = time.perf_counter() - started
    answered = result.status == ANSWERED
    if question.category == 5:
        correct = not answered
    else:
        correct = answered and judge(judge_with, question, result.answer)
    run.rows.append(
        Asked(
            conversation, question.category, result.status, result.tier, correct, result.steps,
            result.usage.total_tokens, seconds,
        )
    )  # fmt: skip


def summarise(run: LlmRun) -> dict[str, Any]:
    def accuracy(rows: list[Asked]) -> float | None:
        return sum(r.correct for r in rows) / len(rows) if rows else None

    main = [r for r in run.rows if r.category != 5]
    return {
        "model": run.model,
        "judge": run.judge,
        "questions": len(run.rows),
        "accuracy_1_4": accuracy(main),
        "per_category": {
            CATEGORIES.get(c, str(c)): accuracy([r for r in run.rows if r.category == c])
            for c in sorted({r.category for r in run.rows})
        },
        "tiers": dict(sorted(Counter(f"tier{r.tier}" for r in run.rows if r.tier >= 0).items())),
        "statuses": dict(sorted(Counter(r.status for r in run.rows).items())),
        "model_calls": sum(r.steps for r in run.rows),
        "tokens": sum(r.tokens for r in run.rows),
        "seconds_median": sorted(r.seconds for r in run.rows)[len(run.rows) // 2]
        if run.rows
        else None,
        "errors": [r.error for r in run.rows if r.error][:5],
    }


def print_summary(summary: dict[str, Any]) -> None:
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    print(f"\nctx query with {summary['model']} (judge {summary['judge']}): "
          f"{summary['questions']} questions")  # fmt: skip
    print(f"  accuracy, categories 1-4: {pct(summary['accuracy_1_4'])}")
    for name, value in summary["per_category"].items():
        print(f"  {name}: {pct(value)}")
    print(f"  tiers that answered: {summary['tiers']}")
    print(f"  statuses: {summary['statuses']}")
    print(f"  model calls {summary['model_calls']}, tokens {summary['tokens']}")
    for error in summary["errors"]:
        print(f"  error: {error}")
