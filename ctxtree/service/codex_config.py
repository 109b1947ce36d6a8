"""Our part of a Codex `config.toml`, added and removed line by line (no TOML writer: every
byte that is not ours stays as it was).

Two things are ours:
- the `[mcp_servers.ctx]` table, appended at the end between two marker comments;
- `hooks = true` under `[features]` (Codex's hooks switch; `codex_hooks` before 0.130, now
  an alias; on by default in current releases, needed by older ones). A marker comment on the
  line above it says whether we added the key or replaced a line, and keeps the line we
  replaced, so removing puts it back exactly.
The result of an edit is parsed with tomllib before it is returned; text that does not parse,
a `ctx` server that is not ours, or a features table we cannot edit by line is refused.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from ctxtree.errors import ConflictError, UsageError

BEGIN = "# ctx:begin (added by `ctx hooks install --codex`; `ctx hooks uninstall` removes it)"
BEGIN_NO_NEWLINE = BEGIN.replace("ctx:begin", "ctx:begin-nonl")  # the file had no final newline
END = "# ctx:end"
ADDED = "# ctx:added (the next line; `ctx hooks uninstall` removes it)"
REPLACED = "# ctx:replaced "  # + the JSON string of the line we replaced
FEATURE = "hooks"
_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*(\"hooks\"|'hooks'|hooks)\s*=")


@dataclass(frozen=True)
class CodexState:
    mcp: bool  # our [mcp_servers.ctx] is there
    features: bool  # hooks are switched on (by us or not)


def parse(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{name} is not valid TOML ({exc})", "fix it, then run it again") from None


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def server_block(command: str, args: list[str]) -> list[str]:
    return [
        "[mcp_servers.ctx]",
        f"command = {_toml_string(command)}",
        "args = [" + ", ".join(_toml_string(a) for a in args) + "]",
        # `ctx mcp` imports the MCP SDK (1.3-2 s); Codex's default start-up wait is 10 s.
        "startup_timeout_sec = 20",
    ]


def _ours_span(lines: list[str]) -> tuple[int, int] | None:
    starts = [n for n, line in enumerate(lines) if line.startswith("# ctx:begin")]
    ends = [n for n, line in enumerate(lines) if line.rstrip("\r\n") == END]
    if not starts and not ends:
        return None
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ConflictError(
            "the ctx markers in the Codex config are damaged",
            f"leave one `# ctx:begin ...` line and one `{END}` line, or delete both",
        )
    return starts[0], ends[0]


def _without_server(text: str) -> str:
    lines = text.splitlines(keepends=True)
    span = _ours_span(lines)
    if span is None:
        return text
    start, end = span
    head = "".join(lines[:start])
    no_newline = lines[start].startswith("# ctx:begin-nonl")
    # install put one blank line before the block (two newlines when the file had no last one)
    if head.endswith("\n\n"):
        head = head[:-2] if no_newline else head[:-1]
    return head + "".join(lines[end + 1 :])


def _without_feature(text: str) -> str:
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    skip = False
    for line in lines:
        if skip:
            skip = False
            continue
        bare = line.rstrip("\r\n")
        if bare == ADDED:
            skip = True
            continue
        if bare.startswith(REPLACED):
            original = json.loads(bare[len(REPLACED) :])
            out.append(original + line[len(bare) :])
            skip = True
            continue
        out.append(line)
    return "".join(out)


def without_ctx(text: str, name: str) -> str:
    """`text` without anything `with_ctx` added."""
    return _without_feature(_without_server(text))


def _features_on(data: dict[str, Any]) -> bool:
    features = data.get("features")
    return isinstance(features, dict) and features.get(FEATURE) is True


def _with_feature(text: str, data: dict[str, Any], name: str) -> str:
    if _features_on(data):
        return text
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in text else "\n"
    headers = [
        n for n, line in enumerate(lines) if (m := _TABLE.match(line)) and m[1] == "features"
    ]
    if not headers:
        raise UsageError(
            f"{name} sets [features] in a form ctx does not edit (an inline or dotted table)",
            f"add `{FEATURE} = true` to it yourself, then install again",
        )
    start = headers[0] + 1
    end = next((n for n in range(start, len(lines)) if _TABLE.match(lines[n])), len(lines))
    for n in range(start, end):
        if _KEY.match(lines[n]):
            bare = lines[n].rstrip("\r\n")
            lines[n : n + 1] = [
                REPLACED + json.dumps(bare, ensure_ascii=False) + newline,
                f"{FEATURE} = true{newline}",
            ]
            return "".join(lines)
    lines[start:start] = [ADDED + newline, f"{FEATURE} = true{newline}"]
    return "".join(lines)


def with_ctx(text: str, name: str, command: str, args: list[str]) -> str:
    """`text` with our MCP server and the hooks switch (ours replaced, the rest untouched)."""
    data = parse(text, name)
    base = without_ctx(text, name)
    mine = _ours_span(text.splitlines(keepends=True)) is not None
    servers = data.get("mcp_servers")
    if isinstance(servers, dict) and "ctx" in servers and not mine:
        raise ConflictError(
            f"{name} already has an MCP server named ctx that `ctx hooks install` did not add",
            "remove or rename that [mcp_servers.ctx] table, then install again",
        )
    base_data = parse(base, name)
    newline = "\r\n" if "\r\n" in base else "\n"
    body = [line + newline for line in server_block(command, args)]
    if "features" not in base_data:
        # a features table of our own goes inside our block, so removing the block removes it
        body += [f"{newline}[features]{newline}", f"{FEATURE} = true{newline}"]
        featured = base
    else:
        featured = _with_feature(base, base_data, name)
    if not featured:
        new = BEGIN + newline + "".join(body) + END + newline
    elif featured.endswith("\n"):
        new = featured + newline + BEGIN + newline + "".join(body) + END + newline
    else:
        new = featured + newline * 2 + BEGIN_NO_NEWLINE + newline + "".join(body) + END + newline
    parse(new, name)  # never write what Codex could not read
    return new


def state(text: str, name: str) -> CodexState:
    data = parse(text, name)
    span = _ours_span(text.splitlines(keepends=True))
    return CodexState(mcp=span is not None, features=_features_on(data))
