"""Store settings: defaults, validation and dotted-key access. Pure: no file I/O here."""

from __future__ import annotations

import copy
from typing import Any

from ctxtree.errors import UsageError

CONFIG_SCHEMA_VERSION = 1

# Lifecycle constants follow SPEC §3 (ByteRover's values, kept deliberately; maintain uses them).
DEFAULTS: dict[str, Any] = {
    "schema_version": CONFIG_SCHEMA_VERSION,
    "actor": "",
    "limits": {"max_entry_bytes": 1_048_576, "lock_timeout_seconds": 30},
    "lifecycle": {
        "importance_default": 50,
        "hit_bonus": 3,
        "update_bonus": 5,
        "decay_per_day": 0.995,
        "recency_tau_days": 30,
        "promote_validated": 65,
        "promote_core": 85,
        "demote_validated": 60,
        "demote_draft": 35,
        "boost_cap": 15,
        "archive_below": 15,
        "archive_idle_days": 90,
    },
    "budgets": {"context": 1500, "session_start": 1000},
    "lint": {"oversized_bytes": 12_000, "duplicate_ratio": 90},
    "llm": {"provider": "none", "model": ""},
}


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


KNOWN_KEYS = tuple(flatten(DEFAULTS))


def merged(file_values: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with the store's config.yaml (unknown keys kept, for newer versions)."""
    result = copy.deepcopy(DEFAULTS)

    def overlay(into: dict[str, Any], values: dict[str, Any]) -> None:
        for key, value in values.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                overlay(into[key], value)
            else:
                into[key] = value

    overlay(result, file_values)
    return result


def check_key(key: str) -> None:
    if key not in KNOWN_KEYS:
        raise UsageError(
            f"unknown config key {key!r}", "known keys: " + ", ".join(sorted(KNOWN_KEYS))
        )


def get(values: dict[str, Any], key: str) -> Any:
    check_key(key)
    node: Any = values
    for part in key.split("."):
        node = node[part]
    return node


def coerce(key: str, raw: str) -> Any:
    """Turn the command-line text for `key` into a value of the default's type."""
    check_key(key)
    default = get(DEFAULTS, key)
    try:
        if isinstance(default, bool):
            if raw.lower() not in ("true", "false"):
                raise ValueError
            return raw.lower() == "true"
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise UsageError(
            f"config {key} takes a {type(default).__name__}, not {raw!r}",
            f"e.g. ctx config set {key} {default}",
        ) from None
    return raw


def with_value(values: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of `values` with `key` set."""
    result = copy.deepcopy(values)
    node = result
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return result
