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


# Ranges (inclusive) of the numeric settings, so `ctx config set` refuses a slip (a sign, an
# extra digit, nan) before it reaches a lock wait, a size check or the lifecycle arithmetic.
RANGES: dict[str, tuple[float, float]] = {
    "schema_version": (CONFIG_SCHEMA_VERSION, CONFIG_SCHEMA_VERSION),
    "limits.max_entry_bytes": (1, 100 * 1024 * 1024),
    "limits.lock_timeout_seconds": (0, 3600),
    "lifecycle.importance_default": (0, 100),
    "lifecycle.hit_bonus": (0, 100),
    "lifecycle.update_bonus": (0, 100),
    "lifecycle.decay_per_day": (0, 1),
    "lifecycle.recency_tau_days": (1, 36_500),
    "lifecycle.promote_validated": (0, 100),
    "lifecycle.promote_core": (0, 100),
    "lifecycle.demote_validated": (0, 100),
    "lifecycle.demote_draft": (0, 100),
    "lifecycle.boost_cap": (0, 100),
    "lifecycle.archive_below": (0, 100),
    "lifecycle.archive_idle_days": (1, 36_500),
    "budgets.context": (1, 1_000_000),  # as `ctx context --budget`
    "budgets.session_start": (1, 1_000_000),
    "lint.oversized_bytes": (1, 100 * 1024 * 1024),
    "lint.duplicate_ratio": (0, 100),
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
        from ctxtree.wording import did_you_mean

        known = "known keys: " + ", ".join(sorted(KNOWN_KEYS))
        raise UsageError(f"unknown config key {key!r}", did_you_mean(key, KNOWN_KEYS, known))


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
            return int(_in_range(key, int(raw), raw))
        if isinstance(default, float):
            return _in_range(key, float(raw), raw)
    except ValueError:
        raise UsageError(
            f"config {key} takes a {type(default).__name__}, not {raw!r}",
            f"e.g. ctx config set {key} {default}",
        ) from None
    return raw


def _number(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


def _in_range(key: str, value: float, raw: str) -> float:
    low, high = RANGES[key]
    if not low <= value <= high:  # also refuses nan
        raise UsageError(
            f"config {key} must be from {_number(low)} to {_number(high)}, not {raw}",
            f"e.g. ctx config set {key} {get(DEFAULTS, key)}",
        )
    return value


def with_value(values: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of `values` with `key` set."""
    result = copy.deepcopy(values)
    node = result
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return result
