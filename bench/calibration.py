"""Search confidence calibration: does confidence say how often the top hit is right?

    python bench/calibration.py                                   # the demo set only
    python bench/calibration.py --locomo ../shared/data/locomo/locomo_dev.json
    python bench/calibration.py --locomo FILE --workdir /tmp/calib --json /tmp/calib.json

Two sets of questions, each labelled with the entries that answer it (or none):
- demo: tests/data/calibration/demo_questions.jsonl (ours) over the demo store (`ctx demo
  --quiet`): paraphrases, natural questions, typos, partial keywords, and questions whose
  answer is not in the store. The top hit is right when it is one of the labelled entries;
  for a question with no answer every top hit is wrong.
- locomo: the LoCoMo file given (never copied into the repository), imported as bench/locomo.py
  does. Categories 1-4: the top hit is right when its entry holds an evidence turn. Category 5
  (adversarial: asks about something the other speaker said, or never happened) is reported
  apart, as negatives: the answer is not in memory as asked.

For each set it prints, BEFORE (the formula of commit 10ddceb, coverage * (0.85 + 0.15 *
margin), recomputed from the signals each answer reports) and NOW (the engine's confidence):
per confidence bucket, how often the top hit is right; the gates (confident at >= CONFIDENT,
"not in memory" below NOT_IN_MEMORY) as precision and recall; the expected calibration error
(ECE: the bucket-weighted gap between confidence and how often the top hit is right) and the
Brier score. `--fit` fits the confidence's coefficients on each set, on both, and on both with two
LoCoMo conversations held out, and scores every fit on every set, so the chosen coefficients can be
checked for being general rather than tuned to one set.
No timings are asserted; the exit code says only whether the run completed (2: bad input).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parent.parent
DEMO_QUESTIONS = REPO / "tests" / "data" / "calibration" / "demo_questions.jsonl"
BUCKETS = 10


@dataclass(frozen=True)
class Asked:
    """One question's outcome: the engine's answer and whether its top hit is right."""

    set: str
    group: str  # demo, or the LoCoMo conversation
    question: str
    kind: str  # demo: natural, paraphrase, typo, partial, absent; locomo: its category
    answerable: bool
    right: bool
    tier: int
    confidence: float
    signals: dict[str, float]

    def before(self) -> float:
        """The confidence of commit 10ddceb: tier 1 as the engine says, tier 2 from
        coverage * (0.85 + 0.15 * margin)."""
        if self.tier != 2 or not self.signals:
            return self.confidence
        margin = max(0.0, min(1.0, self.signals["margin"]))
        return max(0.0, min(1.0, self.signals["coverage"] * (0.85 + 0.15 * margin)))


# ---- asking --------------------------------------------------------------------------------
def ask(store: Path, questions: Sequence[tuple[str, str, bool, Callable[[list[str]], bool]]],
        name: str, group: str) -> list[Asked]:  # fmt: skip
    """(question, kind, answerable, is_right(hit ids)) -> outcomes, from the engine the
    service runs (without the query cache: a cached answer would not say its tier)."""
    from ctxtree.retrieval.tiers import Options
    from ctxtree.service import recall
    from ctxtree.service.session import open_session

    session = open_session(str(store))
    index = recall.open_index(session)
    try:
        engine = recall.engine(session, index)
        out = []
        for text, kind, answerable, is_right in questions:
            found = engine.run(text, Options(limit=10), use_cache=False)
            ids = [h.id for h in found.hits]
            out.append(
                Asked(name, group, text, kind, answerable, bool(ids) and is_right(ids),
                      found.tier, found.confidence, dict(found.signals))
            )  # fmt: skip
    finally:
        index.close()
    return out


def demo_set(work: Path, path: Path) -> list[Asked]:
    from ctxtree.service import demo

    directory = work / "demo"
    if not (directory / ".ctx").exists():
        demo.build(directory)
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        answers = set(item["answers"])
        questions.append(
            (item["q"], item["type"], bool(answers), lambda ids, a=answers: ids[0] in a)
        )
    return ask(directory / ".ctx", questions, "demo", "demo")


def locomo_set(work: Path, path: Path) -> list[Asked]:
    from locomo import ctx_command, entry_turns, import_conversation
    from locomo_convert import CATEGORIES
    from locomo_convert import load as load_conversations

    out = []
    for conv in load_conversations(str(path)):
        store = work / "locomo" / conv.id
        if not (store / "tree").exists():
            (work / "locomo").mkdir(parents=True, exist_ok=True)
            import_conversation(ctx_command(None), conv, work / "locomo", None)
        turns_of = entry_turns(store)
        questions = []
        for q in conv.questions:
            if not q.evidence:
                continue
            evidence = set(q.evidence)
            answerable = q.category != 5
            questions.append(
                (q.text, CATEGORIES[q.category], answerable,
                 lambda ids, e=evidence, ok=answerable, held=turns_of:
                     ok and bool(e & set(held.get(ids[0], ()))))
            )  # fmt: skip
        out += ask(store, questions, "locomo", conv.id)
        print(f"{conv.id}: {len(questions)} questions", file=sys.stderr, flush=True)
    return out


# ---- measuring -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Gates:
    confident: float
    not_in_memory: float


def gates() -> Gates:
    from ctxtree.retrieval import scoring

    return Gates(scoring.CONFIDENT, scoring.NOT_IN_MEMORY)


def ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "0/0"


def ece(pairs: Sequence[tuple[float, bool]]) -> float:
    """Expected calibration error over BUCKETS equal-width buckets."""
    total = 0.0
    for b in range(BUCKETS):
        inside = [(c, r) for c, r in pairs if bucket(c) == b]
        if inside:
            mean_conf = sum(c for c, _r in inside) / len(inside)
            rate = sum(r for _c, r in inside) / len(inside)
            total += len(inside) * abs(mean_conf - rate)
    return total / len(pairs) if pairs else 0.0


def brier(pairs: Sequence[tuple[float, bool]]) -> float:
    return sum((c - r) ** 2 for c, r in pairs) / len(pairs) if pairs else 0.0


def bucket(conf: float) -> int:
    return min(BUCKETS - 1, int(conf * BUCKETS))


def measure(rows: Sequence[Asked], conf: Callable[[Asked], float], g: Gates) -> dict[str, Any]:
    pairs = [(conf(r), r.right) for r in rows]
    right = sum(r for _c, r in pairs)
    wrong = len(pairs) - right
    confident = [(c, r) for c, r in pairs if c >= g.confident]
    flagged = [(c, r) for c, r in pairs if c < g.not_in_memory]
    absent = [conf(r) < g.not_in_memory for r in rows if not r.answerable]
    return {
        "questions": len(pairs),
        "top_right": right,
        "buckets": [
            {
                "from": b / BUCKETS,
                "questions": len(inside := [r for c, r in pairs if bucket(c) == b]),
                "right": sum(inside),
            }
            for b in range(BUCKETS)
        ],
        "confident": {
            "count": len(confident),
            "precision": [sum(r for _c, r in confident), len(confident)],
            "recall": [sum(r for _c, r in confident), right],
        },
        "not_in_memory": {
            "count": len(flagged),
            "precision": [sum(not r for _c, r in flagged), len(flagged)],
            "recall": [sum(not r for _c, r in flagged), wrong],
            "right_flagged": sum(r for _c, r in flagged),
            "absent_flagged": [sum(absent), len(absent)],
        },
        "ece": ece(pairs),
        "brier": brier(pairs),
    }


def report(title: str, rows: Sequence[Asked], g: Gates) -> dict[str, Any]:
    before = measure(rows, Asked.before, Gates(0.5, 0.25))
    now = measure(rows, lambda r: r.confidence, g)
    print(f"\n## {title}: {len(rows)} questions, top hit right for {before['top_right']}")
    print(f"{'confidence':<11} | {'before: n':>9} {'right':>6} | {'now: n':>7} {'right':>6}")
    for b in range(BUCKETS):
        cells = []
        for m in (before, now):
            cell = m["buckets"][b]
            rate = f"{100 * cell['right'] / cell['questions']:.0f}%" if cell["questions"] else "-"
            cells.append((cell["questions"], rate))
        print(
            f"{b / BUCKETS:.1f}-{(b + 1) / BUCKETS:.1f}    | {cells[0][0]:>9} {cells[0][1]:>6} | "
            f"{cells[1][0]:>7} {cells[1][1]:>6}"
        )
    for label, m, gate in (("before", before, Gates(0.5, 0.25)), ("now", now, g)):
        c, n = m["confident"], m["not_in_memory"]
        print(
            f"{label:>6}: confident (>= {gate.confident}) precision "
            f"{ratio(*c['precision'])}, recall {ratio(*c['recall'])}; not in memory "
            f"(< {gate.not_in_memory}) precision {ratio(*n['precision'])}, recall "
            f"{ratio(*n['recall'])}, right top hits flagged {n['right_flagged']}, "
            f"unanswerable flagged {ratio(*n['absent_flagged'])}; ECE {m['ece']:.3f}, "
            f"Brier {m['brier']:.3f}"
        )
    return {"before": before, "now": now}


# ---- fitting -------------------------------------------------------------------------------
def fit(sets: Sequence[Sequence[Asked]], steps: int = 3000, rate: float = 2.0) -> list[float]:
    """The four coefficients of scoring.confidence, (a, b) of presence = logistic(a + b *
    coverage) and (c, d) of ranking = logistic(c + d * margin), maximising the likelihood of
    "top hit right" = presence * ranking over tier-2 answers by gradient ascent; each set
    weighs the same, whatever its size."""
    coef = [0.0, 3.0, 0.0, 3.0]
    data = [[(r.signals, r.right) for r in rows if r.tier == 2 and r.signals] for rows in sets]
    data = [d for d in data if d]
    for _ in range(steps if data else 0):
        grad = [0.0] * 4
        for rows in data:
            for signals, right in rows:
                cover, margin = _clip(signals["coverage"]), _clip(signals["margin"])
                u = _sigmoid(coef[0] + coef[1] * cover)
                v = _sigmoid(coef[2] + coef[3] * margin)
                p = min(1 - 1e-9, max(1e-9, u * v))
                dp = (1.0 / p) if right else (-1.0 / (1.0 - p))
                du, dv = dp * v * u * (1 - u), dp * u * v * (1 - v)
                for i, g in enumerate((du, du * cover, dv, dv * margin)):
                    grad[i] += g / len(rows)
        coef = [c + rate * g / len(data) for c, g in zip(coef, grad, strict=True)]
    return coef


def _clip(value: float) -> float:
    return max(0.0, min(1.0, value))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def scored_by(coef: Sequence[float]) -> Callable[[Asked], float]:
    def conf(row: Asked) -> float:
        if row.tier != 2 or not row.signals:
            return row.confidence
        u = _sigmoid(coef[0] + coef[1] * _clip(row.signals["coverage"]))
        return u * _sigmoid(coef[2] + coef[3] * _clip(row.signals["margin"]))

    return conf


def cross_check(sets: dict[str, list[Asked]], g: Gates) -> None:
    """Fit on one part, score every part: demo alone, LoCoMo alone, both, and both with two
    LoCoMo conversations held out (categories 1-4; category 5 is never fitted)."""
    print("\n## fits: presence (a, b), ranking (c, d); ECE and Brier on each set")
    demo = sets["demo"]
    locomo = [r for r in sets.get("locomo", []) if r.answerable]
    groups = sorted({r.group for r in locomo})
    held = set(groups[-2:])
    parts = {"demo": demo, "locomo": locomo}
    if held:
        parts["locomo held out " + "+".join(sorted(held))] = [r for r in locomo if r.group in held]
    fits: dict[str, list[Sequence[Asked]]] = {"demo": [demo]}
    if locomo:
        fits["locomo"] = [locomo]
        fits["demo+locomo"] = [demo, locomo]
        fits["demo+locomo without the held-out"] = [
            demo, [r for r in locomo if r.group not in held]
        ]  # fmt: skip
    for name, train in fits.items():
        coef = fit(train)
        print(f"fit on {name}: " + ", ".join(f"{c:+.2f}" for c in coef))
        for test, rows in parts.items():
            if not rows:
                continue
            m = measure(rows, scored_by(coef), g)
            c = m["confident"]
            print(
                f"   on {test}: ECE {m['ece']:.3f}, Brier {m['brier']:.3f}, confident "
                f"precision {ratio(*c['precision'])}, recall {ratio(*c['recall'])}"
            )


# ---- the run --------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--locomo", metavar="FILE", help="LoCoMo JSON (e.g. locomo_dev.json)")
    parser.add_argument("--questions", default=str(DEMO_QUESTIONS), help="demo question set")
    parser.add_argument("--workdir", help="keep (and reuse) the stores here")
    parser.add_argument("--json", dest="json_out", metavar="OUT", help="write all numbers here")
    parser.add_argument("--fit", action="store_true", help="fit and cross-check coefficients")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for label, given in (("--questions", args.questions), ("--locomo", args.locomo)):
        if given and not Path(given).is_file():
            print(f"calibration: {label} {given}: no such file", file=sys.stderr)
            return 2
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="calib-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        sets = {"demo": demo_set(work, Path(args.questions))}
        if args.locomo:
            sets["locomo"] = locomo_set(work, Path(args.locomo))
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    g = gates()
    results: dict[str, Any] = {}
    results["demo"] = report("demo store, hand-made questions", sets["demo"], g)
    for kind in ("natural", "paraphrase", "partial", "typo", "absent"):
        chosen = [r for r in sets["demo"] if r.kind == kind]
        now = measure(chosen, lambda r: r.confidence, g)
        print(
            f"   {kind:<10} {len(chosen):>3}: top right {now['top_right']}, confident "
            f"{now['confident']['count']}, not in memory {now['not_in_memory']['count']}"
        )
    if "locomo" in sets:
        rows = sets["locomo"]
        results["locomo"] = report("LoCoMo categories 1-4", [r for r in rows if r.answerable], g)
        adversarial = [r for r in rows if not r.answerable]
        results["locomo_adversarial"] = report(
            "LoCoMo category 5 (adversarial, all counted wrong)", adversarial, g
        )
    if args.fit:
        cross_check(sets, g)
    if args.json_out:
        data = {
            "results": results,
            "rows": {k: [r.__dict__ for r in v] for k, v in sets.items()},
        }
        Path(args.json_out).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
