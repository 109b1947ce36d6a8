"""Time to the first request of the library provider: `import llm` and resolving a model, with
every installed `llm` plugin loaded and with only the one the model needs (what ctxtree
remembers after the first run, `ctxtree.llm.plugins`).

    python bench/llm_startup.py [--python PATH] [--runs 9] [--model ID]... [--json OUT]

Each measurement is a fresh process of `--python` (default: this interpreter) with this
checkout first on PYTHONPATH and a temporary `llm` user directory whose
extra-openai-models.yaml defines `local-model` (an OpenAI-compatible server; nothing is
called). Rows:
- `python -c pass`: the floor;
- `import llm`: the library alone;
- `open MODEL, all plugins`: `open_provider` with an empty cache, so llm loads every plugin;
- `open MODEL, remembered`: the same after one run has remembered the model's plugin.
Reported: median and p95 of the whole process in ms, and of `open_provider` inside it. Resolving
makes no network call, so models of plugins whose keys are not set resolve all the same.
Measure plugins in a throwaway venv, never in the project's:
    python -m venv /tmp/llmbench && /tmp/llmbench/bin/pip install 'llm==0.36' llm-anthropic \\
        llm-gemini llm-mistral llm-ollama llm-openrouter pyyaml
    python bench/llm_startup.py --python /tmp/llmbench/bin/python \\
        --model local-model --model anthropic/claude-3-5-haiku-latest --model gemini-2.0-flash
Bytecode is written on the warm-up runs (this machine sets PYTHONDONTWRITEBYTECODE=1, which
would make every run recompile the plugins); no timed assertions.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
WARMUP = 2

OPEN = """
import sys, time
started = time.perf_counter()
from ctxtree.llm import Choice, open_provider
provider = open_provider(Choice("library", sys.argv[1], 10, 0))
print(time.perf_counter() - started)
print(getattr(provider, "loading").describe())
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def run(python: str, args: list[str], env: dict[str, str]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    done = subprocess.run([python, *args], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return wall, done.stdout.splitlines()


def measure(
    python: str, args: list[str], env: dict[str, str], runs: int, fresh_cache: Path | None
) -> dict[str, Any]:
    walls: list[float] = []
    inner: list[float] = []
    said = ""
    for number in range(WARMUP + runs):
        if fresh_cache is not None:
            shutil.rmtree(fresh_cache, ignore_errors=True)
        wall, lines = run(python, args, env)
        if number < WARMUP:
            continue
        walls.append(wall * 1000)
        if lines:  # the OPEN script prints its own timing, then what it loaded
            inner.append(float(lines[0]) * 1000)
            said = lines[1]
    row: dict[str, Any] = {
        "median_ms": round(statistics.median(walls), 1),
        "p95_ms": round(percentile(walls, 0.95), 1),
    }
    if inner:
        row["open_median_ms"] = round(statistics.median(inner), 1)
        row["open_p95_ms"] = round(percentile(inner, 0.95), 1)
    if said:
        row["plugins"] = said
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--model", action="append", dest="models")
    parser.add_argument("--json", dest="json_out", metavar="OUT")
    options = parser.parse_args()
    models = options.models or ["local-model"]
    with tempfile.TemporaryDirectory(prefix="llm-startup-") as scratch:
        base = Path(scratch)
        user = base / "llm"
        user.mkdir()
        (user / "extra-openai-models.yaml").write_text(
            "- model_id: local-model\n  model_name: local\n  api_base: http://127.0.0.1:9/v1\n",
            encoding="utf-8",
        )
        cache = base / "cache"
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTHONDONTWRITEBYTECODE", "LLM_LOAD_PLUGINS")
        }
        env.update(PYTHONPATH=str(REPO), LLM_USER_PATH=str(user), XDG_CACHE_HOME=str(cache))
        plugins = run(
            options.python,
            [
                "-c",
                "from importlib.metadata import entry_points\n"
                "print(sorted({e.dist.name for e in entry_points(group='llm')}))",
            ],
            env,
        )[1]
        rows: dict[str, dict[str, Any]] = {}
        rows["python -c pass"] = measure(options.python, ["-c", "pass"], env, options.runs, None)
        rows["import llm"] = measure(options.python, ["-c", "import llm"], env, options.runs, None)
        for model in models:
            script = ["-c", OPEN, model]
            rows[f"open {model}, all plugins"] = measure(
                options.python, script, env, options.runs, cache
            )
            run(options.python, script, env)  # remembers the model's plugin
            rows[f"open {model}, remembered"] = measure(
                options.python, script, env, options.runs, None
            )
    print(f"python: {options.python}")
    print(f"llm plugins installed: {', '.join(plugins)}")
    print(f"runs: {options.runs} (after {WARMUP} warm-up)")
    width = max(len(name) for name in rows)
    print(f"{'':{width}}  {'process':>16}  {'open_provider':>16}  plugins loaded")
    for name, row in rows.items():
        inner = (
            f"{row['open_median_ms']:7.0f} /{row['open_p95_ms']:6.0f}"
            if "open_median_ms" in row
            else ""
        )
        print(
            f"{name:{width}}  {row['median_ms']:7.0f} /{row['p95_ms']:6.0f}  {inner:>16}  "
            f"{row.get('plugins', '')}"
        )
    print("(median / p95, ms)")
    if options.json_out:
        Path(options.json_out).write_text(
            json.dumps({"python": options.python, "plugins": plugins, "rows": rows}, indent=1),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
