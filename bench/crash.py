"""Kill real `ctx` writes at random moments and count what the next command leaves.

    python bench/crash.py                 # 30 trials per write
    python bench/crash.py --trials 100 --seed 3

For each write (`apply` of 500 operations, `maintain --apply` archiving 400 entries,
`import transcript` of 3,000 turns, `undo` of a 500-entry commit): one complete run gives the
state after; then each trial copies the pristine store, starts the write, SIGKILLs it after a
random delay within the complete run's duration, runs `ctx status`, and checks the store is
exactly the state before or after, with `git status --porcelain` empty, `git fsck` clean, no
journal and no temp file.
Prints, per write: trials, how many ended before / after, how many the next command had to
repair, and failures (each failure is printed). Exit 1 if any trial failed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from crashkit import (
    add_plan,
    complete,
    ctx,
    env_for,
    files,
    new_store,
    transcript,
    trial,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="ctx-crash-") as tmp:
        base = Path(tmp)
        home = base / "home"
        home.mkdir()
        env = env_for(home)
        later = env_for(home, now="2027-06-01T10:00:00Z")
        writes = []
        pristine = new_store(base / "apply", env)
        plan = base / "plan.json"
        plan.write_text(add_plan(500, reason_chars=270), encoding="utf-8")
        writes.append(("apply 500 operations", pristine, ["apply", str(plan)], env))
        pristine = new_store(base / "maintain", env)
        old = base / "old.json"
        old.write_text(add_plan(400, importance=5), encoding="utf-8")
        ctx(pristine, env, "apply", str(old))
        writes.append(("maintain --apply (400 archived)", pristine, ["maintain", "--apply"], later))
        pristine = new_store(base / "import", env)
        chat = base / "chat.jsonl"
        chat.write_text(transcript(3000), encoding="utf-8")
        writes.append(("import transcript (3000 turns)", pristine, ["import", "transcript",
                       str(chat)], env))  # fmt: skip
        pristine = new_store(base / "undo", env)
        ctx(pristine, env, "apply", str(plan))
        writes.append(("undo (a 500-entry commit)", pristine, ["undo"], env))
        print(
            f"{'write':34} {'trials':>6} {'before':>6} {'after':>6} {'repaired':>8} {'failed':>6}"
        )
        for name, store, command, write_env in writes:
            before = files(store)
            duration = complete(store, base / "after", command, write_env)
            after = files(base / "after")
            counts: Counter[str] = Counter()
            for _ in range(args.trials):
                delay = rng.uniform(0.05, duration * 1.05)
                try:
                    outcome = trial(store, base / "work", command, write_env, delay, before, after)
                except AssertionError as exc:
                    counts["failed"] += 1
                    print(f"  FAILED: {exc}", file=sys.stderr)
                    continue
                counts[outcome.state] += 1
                counts["repaired"] += bool(outcome.repaired)
            failures += counts["failed"]
            print(
                f"{name:34} {args.trials:>6} {counts['before']:>6} {counts['after']:>6} "
                f"{counts['repaired']:>8} {counts['failed']:>6}   (complete run {duration:.2f} s)"
            )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
