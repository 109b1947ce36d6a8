"""Secret detection compared on a corpus: our rules against Yelp's detect-secrets.

    python bench/secrets.py                          # this tree, and detect-secrets if importable
    python bench/secrets.py --baseline main          # also our rules as of a git revision
    pip install --target /tmp/ds-lib detect-secrets  # detect-secrets kept out of the project
    PYTHONPATH=.:/tmp/ds-lib python bench/secrets.py --baseline main --per-kind

Data: tests/data/secrets/corpus.jsonl (fake credentials in realistic settings, and clean text;
see tests/data/secrets/generate.py), plus every file of the demo store as clean text.

- recall: positive records whose every secret is found, a finding on one of the lines the secret
  spans (the line it starts on for one-line secrets). Kind names differ between detectors, so
  this ignores them; `exact` (ours only) also requires our kind and start line for each.
- false positives: clean records (and demo files) with any finding.
- ms/scan: median time to scan one 2 KB chunk of the demo store's markdown, in-process, warm.
  detect-secrets scans files: its time includes writing the chunk to a temp file (~0.05 ms).
- import ms: a fresh interpreter importing the detector and scanning one 2 KB entry (what a
  hook pays on every prompt), median of 7 runs, bytecode cached, `python -c pass` subtracted.

Nothing is asserted: the script fails only when the corpus or a detector cannot be loaded.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "secrets" / "corpus.jsonl"
DEMO = REPO / "ctxtree" / "templates" / "demo"
MARK = "<<FAKE>>"

Found = list[tuple[str, int]]  # (kind, line) per finding


@dataclass
class Detector:
    name: str
    find: Callable[[str], Found]
    exact_kinds: bool  # whether its kinds are ours (compared in `exact`)
    import_code: str  # python source importing the detector and scanning ENTRY once
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    name: str
    recall: int = 0
    exact: int | None = None
    false_positives: int = 0
    demo_flagged: int = 0
    ms_per_scan: float = 0.0
    import_ms: float = 0.0
    per_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [found, total]
    missed: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)


def load_corpus() -> list[dict[str, object]]:
    records = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            record = json.loads(line.replace(MARK, ""))
            records.append(record)
    return records


def demo_texts() -> list[tuple[str, str]]:
    return [
        (str(p.relative_to(DEMO)), p.read_text(encoding="utf-8"))
        for p in sorted(DEMO.rglob("*"))
        if p.is_file()
    ]


def chunks(size: int = 2048) -> list[str]:
    text = "\n".join(t for _, t in demo_texts())
    return [text[i : i + size] for i in range(0, len(text) - size, size)]


# ---- detectors -----------------------------------------------------------------------------
def ours() -> Detector:
    from ctxtree.tree import secrets

    return Detector(
        "ours (this tree)",
        lambda text: [(f.kind, f.line) for f in secrets.scan(text)],
        True,
        "from ctxtree.tree import secrets\nsecrets.scan(ENTRY)",
        {"PYTHONPATH": str(REPO)},
    )


def ours_at(revision: str, workdir: Path) -> Detector:
    """Our rules as of a git revision, loaded from that revision's secrets.py (it imports
    nothing of ctxtree's, so it runs alone)."""
    for home in ("tree", "curation"):  # it lived in curation/ before the layering fix
        shown = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{revision}:ctxtree/{home}/secrets.py"],
            capture_output=True,
            text=True,
        )
        if shown.returncode == 0:
            break
    shown.check_returncode()
    source = shown.stdout
    path = workdir / "secrets_baseline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("secrets_baseline", path)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules["secrets_baseline"] = module
    spec.loader.exec_module(module)
    return Detector(
        f"ours at {revision}",
        lambda text: [(f.kind, f.line) for f in module.scan(text)],
        True,
        "import secrets_baseline\nsecrets_baseline.scan(ENTRY)",
        {"PYTHONPATH": str(workdir)},
    )


def detect_secrets(workdir: Path) -> Detector | None:
    try:
        from detect_secrets import SecretsCollection
        from detect_secrets.settings import default_settings
    except ImportError:
        return None
    folder = workdir / "ds"
    folder.mkdir()
    entry = folder / "entry.md"

    def find(text: str) -> Found:
        entry.write_text(text, encoding="utf-8")
        with default_settings():
            collection = SecretsCollection(root=str(folder))
            collection.scan_file("entry.md")
        return [(s.type, s.line_number) for _, s in collection]

    code = (
        "import os, tempfile\n"
        "from detect_secrets import SecretsCollection\n"
        "from detect_secrets.settings import default_settings\n"
        "d = tempfile.mkdtemp()\n"
        "open(os.path.join(d, 'entry.md'), 'w').write(ENTRY)\n"
        "with default_settings():\n"
        "    c = SecretsCollection(root=d)\n"
        "    c.scan_file('entry.md')\n"
    )
    return Detector("detect-secrets", find, False, code, {"PYTHONPATH": os.pathsep.join(sys.path)})


# ---- measures ------------------------------------------------------------------------------
def quality(detector: Detector, records: list[dict[str, object]]) -> Result:
    result = Result(detector.name, exact=0 if detector.exact_kinds else None)
    for record in records:
        text, kind = str(record["text"]), str(record["kind"])
        expect = record["expect"]
        assert isinstance(expect, list)
        found = detector.find(text)
        if not expect:
            if found:
                result.false_positives += 1
                result.flagged.append(f"{kind}: {found}")
            continue
        lines = {line for _, line in found}
        hit = all(
            any(line <= n <= line + str(value).count("\n") for n in lines)
            for _, line, value in expect
        )
        tally = result.per_kind.setdefault(kind, [0, 0])
        tally[0] += hit
        tally[1] += 1
        result.recall += hit
        if not hit:
            result.missed.append(kind)
        if result.exact is not None:
            result.exact += found == [(k, line) for k, line, _ in expect]
    for name, text in demo_texts():
        if detector.find(text):
            result.demo_flagged += 1
            result.flagged.append(f"demo {name}")
    return result


def scan_ms(detector: Detector, texts: list[str], rounds: int) -> float:
    for text in texts[:3]:
        detector.find(text)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            detector.find(text)
        samples.append((time.perf_counter() - start) / len(texts))
    return statistics.median(samples) * 1000


def import_ms(detector: Detector, entry: str, runs: int, cache: Path) -> float:
    """Median ms for a fresh interpreter to import and scan once, beyond `python -c pass`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(detector.env, PYTHONPYCACHEPREFIX=str(cache))
    script = f"ENTRY = {entry!r}\n{detector.import_code}"

    def once(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        return time.perf_counter() - start

    for _ in range(2):  # fills the bytecode cache
        once(script)
    floor = statistics.median(once("pass") for _ in range(runs))
    return (statistics.median(once(script) for _ in range(runs)) - floor) * 1000


# ---- report --------------------------------------------------------------------------------
def table(results: list[Result], positives: int, negatives: int, demo: int) -> str:
    rows = [
        "| detector | recall | exact | false positives | demo files flagged | ms/scan (2 KB) "
        "| import+scan ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        exact = f"{r.exact}/{positives}" if r.exact is not None else "-"
        rows.append(
            f"| {r.name} | {r.recall}/{positives} ({100 * r.recall / positives:.0f}%) | {exact} "
            f"| {r.false_positives}/{negatives} | {r.demo_flagged}/{demo} "
            f"| {r.ms_per_scan:.3f} | {r.import_ms:.1f} |"
        )
    return "\n".join(rows)


def kinds_table(results: list[Result]) -> str:
    kinds = list(results[0].per_kind)
    head = "| kind | " + " | ".join(r.name for r in results) + " |"
    rows = [head, "|---|" + "---:|" * len(results)]
    for kind in kinds:
        cells = [f"{r.per_kind[kind][0]}/{r.per_kind[kind][1]}" for r in results]
        rows.append(f"| {kind} | " + " | ".join(cells) + " |")
    covered = [sum(r.per_kind[k][0] == r.per_kind[k][1] for k in kinds) for r in results]
    rows.append(
        "| kinds fully detected | " + " | ".join(f"{c}/{len(kinds)}" for c in covered) + " |"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", action="append", default=[], help="a git revision")
    parser.add_argument("--rounds", type=int, default=15, help="timing rounds over the chunks")
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters for import ms")
    parser.add_argument("--per-kind", action="store_true", help="recall per corpus kind")
    parser.add_argument("--details", action="store_true", help="list misses and flagged text")
    parser.add_argument("--json", type=Path, help="write every number here")
    args = parser.parse_args(argv)

    records = load_corpus()
    positives = sum(1 for r in records if r["expect"])
    negatives = len(records) - positives
    texts = chunks()
    with tempfile.TemporaryDirectory(prefix="ctx-secrets-bench-") as tmp:
        work = Path(tmp)
        detectors = [ours_at(rev, work) for rev in args.baseline] + [ours()]
        ds = detect_secrets(work)
        if ds is None:
            print("note: detect-secrets is not importable; skipped", file=sys.stderr)
            print(
                "      (pip install --target DIR detect-secrets; PYTHONPATH=.:DIR)", file=sys.stderr
            )
        else:
            detectors.append(ds)
        results = []
        for detector in detectors:
            result = quality(detector, records)
            result.ms_per_scan = scan_ms(detector, texts, args.rounds)
            result.import_ms = import_ms(detector, texts[0], args.runs, work / "pycache")
            results.append(result)
            print(f"measured {detector.name}", file=sys.stderr)

    kinds = len({r["kind"] for r in records if r["expect"]})
    print(
        f"corpus: {positives} positive records in {kinds} kinds, {negatives} clean records,"
        f" {len(demo_texts())} demo files; {len(texts)} chunks of 2 KB for timing\n"
    )

    print(table(results, positives, negatives, len(demo_texts())))
    if args.per_kind:
        print()
        print(kinds_table(results))
    if args.details:
        for r in results:
            print(f"\n{r.name}: missed {r.missed}\n  flagged {r.flagged}")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
