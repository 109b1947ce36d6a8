"""Store settings: the typed `Config` (defaults in its dataclasses), validation, and the
dotted-key access `ctx config` uses. Pure: no file I/O here (tree/store.py reads config.yaml,
Session.settings types it once per session)."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from ctxtree.errors import UsageError

CONFIG_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class LimitsConfig:
    """Size and wait limits of writes."""

    max_entry_bytes: int = 1_048_576
    lock_timeout_seconds: float = 30


@dataclass(frozen=True)
class LifecycleConfig:
    """Lifecycle constants: SPEC §3 (ByteRover's values, kept deliberately; maintain uses them)."""

    importance_default: float = 50
    hit_bonus: float = 3
    update_bonus: float = 5
    decay_per_day: float = 0.995
    recency_tau_days: float = 30
    promote_validated: float = 65
    promote_core: float = 85
    demote_validated: float = 60
    demote_draft: float = 35
    boost_cap: float = 15
    archive_below: float = 15
    archive_idle_days: float = 90


@dataclass(frozen=True)
class BudgetsConfig:
    """Token budgets: `ctx context`, what SessionStart injects, what one prompt may get."""

    context: int = 1500
    session_start: int = 1000
    prompt: int = 600


@dataclass(frozen=True)
class HooksConfig:
    """Agent hooks (`ctx hook EVENT`). `inject_prompts` false turns prompt injection off (the
    prompt hook stays silent and records why); `max_chars` caps any one injection, well under
    the ~10,000 characters Claude Code hands the model whole."""

    inject_prompts: bool = True
    max_chars: int = 6000


@dataclass(frozen=True)
class LintConfig:
    """Thresholds of `ctx lint`."""

    oversized_bytes: int = 12_000
    duplicate_ratio: int = 90


@dataclass(frozen=True)
class LlmConfig:
    """The language model (SPEC §6), for `ctx query` tiers 3-4 and `ctx curate`; nothing else
    needs one. `command` (a program reading the prompt on stdin) wins over `model` (an `llm`
    library model id or alias); both empty means no model. `timeout_seconds` and `retries` bound
    one call; `max_steps`, `max_tokens` and `max_seconds` bound tier 4's whole tool loop."""

    model: str = ""
    command: str = ""
    timeout_seconds: float = 120
    retries: int = 2
    max_steps: int = 6
    max_tokens: int = 30_000
    max_seconds: float = 300


@dataclass(frozen=True)
class ReviewConfig:
    """The review inbox (SPEC §8). `external: inbox` holds every write that declares trust
    `external` (`ctx add --trust external`, plan operations and `ctx curate` from external
    input, imports of third-party files) in `ctx review` until someone accepts it; `tree`
    (the default) writes it to the tree at once, labelled external."""

    external: str = "tree"


@dataclass(frozen=True)
class Config:
    """config.yaml, typed: every section and key with its default, so an absent key means
    the default. Built by `from_values`, which refuses a value of the wrong kind or range."""

    schema_version: int = CONFIG_SCHEMA_VERSION
    actor: str = ""
    limits: LimitsConfig = LimitsConfig()
    lifecycle: LifecycleConfig = LifecycleConfig()
    budgets: BudgetsConfig = BudgetsConfig()
    lint: LintConfig = LintConfig()
    llm: LlmConfig = LlmConfig()
    hooks: HooksConfig = HooksConfig()
    review: ReviewConfig = ReviewConfig()


# The file `ctx init` writes, and what `ctx config` knows; derived, so defaults live above only.
DEFAULTS: dict[str, Any] = asdict(Config())

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
    "budgets.prompt": (1, 1_000_000),
    "hooks.max_chars": (200, 9_000),  # Claude Code replaces longer output with a preview
    "lint.oversized_bytes": (1, 100 * 1024 * 1024),
    "llm.timeout_seconds": (1, 3600),
    "llm.retries": (0, 10),
    "llm.max_steps": (1, 50),
    "llm.max_tokens": (1000, 10_000_000),
    "llm.max_seconds": (1, 86_400),
    "lint.duplicate_ratio": (0, 100),
}


# The text settings that take one of a few words.
CHOICES: dict[str, tuple[str, ...]] = {"review.external": ("tree", "inbox")}


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
        example = str(default).lower() if isinstance(default, bool) else default
        raise UsageError(
            f"config {key} takes a {type(default).__name__}, not {raw!r}",
            f"e.g. ctx config set {key} {example}",
        ) from None
    return _choice(key, raw)


def _choice(key: str, value: str) -> str:
    allowed = CHOICES.get(key)
    if allowed is not None and value not in allowed:
        raise UsageError(
            f"config {key} is {value!r}, not one of {', '.join(allowed)}",
            f"e.g. ctx config set {key} {allowed[0]}",
        )
    return value


def _shown(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


def _in_range(key: str, value: float, raw: str) -> float:
    low, high = RANGES[key]
    if not low <= value <= high:  # also refuses nan
        raise UsageError(
            f"config {key} must be from {_shown(low)} to {_shown(high)}, not {raw}",
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


def from_values(values: Mapping[str, Any]) -> Config:
    """The typed settings of `values` (config.yaml over the defaults, as `merged` gives).
    Keys it does not know are ignored (a newer ctx may have written them); a known key whose
    value is not of its kind, or outside its range, is a UsageError naming the key and the
    command that fixes it."""
    top: dict[str, Any] = {}
    for item in fields(Config):
        if item.name in values:
            top[item.name] = _value(item.name, item.type, values[item.name], Config())
    return Config(**top)


def _section(name: str, values: Any, default: Any) -> Any:
    if not isinstance(values, Mapping):
        raise UsageError(
            f"config {name} is {values!r}, not a mapping of settings",
            f"fix config.yaml by hand; its keys are {', '.join(asdict(default))}",
        )
    typed = {
        item.name: _value(f"{name}.{item.name}", item.type, values[item.name], default)
        for item in fields(default)
        if item.name in values
    }
    return type(default)(**typed)


def _value(key: str, kind: Any, value: Any, owner: Any) -> Any:
    """`value` of the field `key` (declared type `kind`) of the dataclass `owner`."""
    name = key.rsplit(".", 1)[-1]
    default = getattr(owner, name)
    if hasattr(default, "__dataclass_fields__"):
        return _section(key, value, default)
    if kind == "str":
        return _choice(key, "" if value is None else str(value))
    if kind == "bool":
        return _flag(key, value)
    return _number(key, value, whole=kind == "int", default=default)


def _flag(key: str, value: Any) -> bool:
    """`value` as a switch: a YAML boolean, or the text true/false (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise UsageError(
        f"config {key} is {value!r}, not true or false", f"e.g. ctx config set {key} false"
    )


def _number(key: str, value: Any, whole: bool, default: float) -> float:
    """`value` as a number: text is read as one, an int stays an int (a whole number is
    written `50`, not `50.0`), a `whole` setting refuses a fraction, and RANGES apply."""
    example = f"e.g. ctx config set {key} {default}"
    number: Any = value
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text) if text.lstrip("+-").isdigit() else float(text)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, int | float) or math.isnan(number):
        raise UsageError(f"config {key} is {value!r}, not a number", example)
    if whole:
        if number != int(number):
            raise UsageError(f"config {key} is {value!r}, not a whole number", example)
        number = int(number)
    low, high = RANGES.get(key, (-math.inf, math.inf))
    if not low <= number <= high:
        raise UsageError(
            f"config {key} must be from {_shown(low)} to {_shown(high)}, not {value!r}", example
        )
    return number  # type: ignore[no-any-return]
