"""Which `llm` plugins to load: only the one that serves the configured model.

`llm` loads every installed plugin when a model is resolved, and each plugin imports its SDK
(4-7 s with five plugins, measured here). `llm` reads `LLM_LOAD_PLUGINS` (a comma-separated list
of distributions; empty: none but its built-in OpenAI plugin) once, when it is imported. So the
first resolution of a model loads everything and remembers which distribution registered it
(`""` for the built-in plugin, which also serves `extra-openai-models.yaml`); later runs import
`llm` with `LLM_LOAD_PLUGINS` naming that distribution alone. A user who set the variable keeps
their choice. A remembered answer that no longer holds (plugin removed, alias moved) costs one
full load, and is then corrected.

The memory is a small JSON file in ctxtree's XDG cache, keyed by the `llm` user directory
(`LLM_USER_PATH`) and the model name as given.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_LOAD = "LLM_LOAD_PLUGINS"
BUILT_IN = "llm."  # module prefix of the plugins that ship inside `llm`
CACHE_FILE = "llm-plugins.json"


@dataclass(frozen=True)
class Loading:
    """How `llm`'s plugins were loaded for this process: `plugins` is what `LLM_LOAD_PLUGINS`
    said (None: every installed plugin), `by` who decided ("user", "cache", "all")."""

    plugins: str | None
    by: str

    def describe(self) -> str:
        if self.plugins is None:
            return "all installed plugins"
        named = self.plugins.strip() or "none but the built-in OpenAI plugin"
        return f"{named} ({'LLM_LOAD_PLUGINS' if self.by == 'user' else 'remembered'})"


def cache_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".cache")
    return Path(base).expanduser() / "ctxtree" / CACHE_FILE


def cache_key(env: Mapping[str, str], model_id: str) -> str:
    return f"{env.get('LLM_USER_PATH', '')}\n{model_id}"


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def lookup(env: Mapping[str, str], model_id: str) -> str | None:
    """The distribution remembered for `model_id` ("" for the built-in plugin), or None."""
    return _read(cache_path(env)).get(cache_key(env, model_id))


def remember(env: Mapping[str, str], model_id: str, distribution: str) -> None:
    """Record which distribution serves `model_id`; a cache that cannot be written is skipped
    (the next run loads every plugin again, nothing worse)."""
    path = cache_path(env)
    known = _read(path)
    key = cache_key(env, model_id)
    if known.get(key) == distribution:
        return
    known[key] = distribution
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temp.write_text(json.dumps(known, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        pass


def import_llm(model_id: str) -> tuple[Any, Loading]:
    """`llm`, imported with only the plugin `model_id` needs when that is known. The variable
    is set for the import alone: `llm` reads it then, and child processes should not inherit
    our choice. ImportError when `llm` is not installed."""
    env = os.environ
    if ENV_LOAD in env:
        import llm

        return llm, Loading(env[ENV_LOAD], "user")
    if "llm" in sys.modules:  # imported earlier in this process: its plugins are what they are
        import llm

        return llm, Loading(llm.plugins.LLM_LOAD_PLUGINS, "cache")
    remembered = lookup(env, model_id)
    if remembered is None:
        import llm

        return llm, Loading(None, "all")
    env[ENV_LOAD] = remembered
    try:
        import llm
    finally:
        del env[ENV_LOAD]
    return llm, Loading(remembered, "cache")


def load_all(llm: Any) -> Loading:
    """Load every installed plugin now (after a remembered choice failed to find the model)."""
    llm.plugins.pm.load_setuptools_entrypoints("llm")
    return Loading(None, "all")


def distribution_of(llm: Any, model: Any) -> str | None:
    """The distribution whose plugin defines `model`'s class: "" for `llm`'s own plugins,
    None when no loaded plugin owns it (nothing is remembered then)."""
    module = type(model).__module__
    if module.startswith(BUILT_IN) or module == "llm":
        return ""
    top = module.split(".")[0]
    for plugin, dist in llm.plugins.pm.list_plugin_distinfo():
        name = getattr(plugin, "__name__", "")
        if name and name.split(".")[0] == top:
            found = dist.metadata["Name"]
            return str(found) if found else None
    return None
