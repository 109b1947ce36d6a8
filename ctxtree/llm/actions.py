"""The JSON action protocol: tool use over plain text, for models and programs without native
tool calling (the command provider, small local models).

The system prompt gains `instructions(tools)`. A reply whose JSON object (bare, or in a code
fence, or after some prose) has a `tool_calls` list asks for those calls; any other reply is the
final text. Tool results go back as one user turn, `results_turn(results)`. Pure functions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ctxtree.llm import ToolCall, ToolResult, ToolSpec

MAX_CALLS = 8  # calls honoured from one reply; a runaway list is cut, not executed


def instructions(tools: Sequence[ToolSpec]) -> str:
    """The protocol, and each tool with its argument schema, for the end of a system prompt."""
    listed = "\n".join(
        f"- {tool.name}: {tool.description}\n  arguments (JSON schema): "
        f"{json.dumps(tool.parameters, sort_keys=True)}"
        for tool in tools
    )
    return (
        "You can call tools. To call one or more, reply with only this JSON and nothing else:\n"
        '{"tool_calls": [{"name": "TOOL", "arguments": {...}}]}\n'
        "You will get their results in the next message. When you are done calling tools, reply "
        "with your final answer instead (no tool_calls key).\n"
        f"Tools:\n{listed}"
    )


def results_turn(results: Sequence[ToolResult]) -> str:
    """Tool results as the user turn that answers a `tool_calls` reply."""
    return "Tool results:\n" + json.dumps(
        [{"id": r.id, "name": r.name, "output": r.output} for r in results],
        ensure_ascii=False,
        indent=1,
    )


def parse_calls(text: str, first_id: int = 1) -> tuple[ToolCall, ...]:
    """The tool calls `text` asks for (ids `call-N` from `first_id`), or () when it is a final
    answer. A call to an unknown tool, or with arguments that are not an object, is kept (the
    caller answers it with an error the model can read), never dropped silently."""
    found = extract_json(text)
    if not isinstance(found, dict) or not isinstance(found.get("tool_calls"), list):
        return ()
    calls = []
    for number, item in enumerate(found["tool_calls"][:MAX_CALLS], start=first_id):
        if not isinstance(item, dict):
            item = {"name": str(item)}
        name = str(item.get("name") or item.get("tool") or "")
        arguments = item.get("arguments", item.get("args", {}))
        if isinstance(arguments, str):  # some models send the arguments JSON-encoded
            decoded = extract_json(arguments)
            arguments = decoded if isinstance(decoded, dict) else {"value": arguments}
        if not isinstance(arguments, dict):
            arguments = {"value": arguments}
        calls.append(ToolCall(f"call-{number}", name, arguments))
    return tuple(calls)


def extract_json(text: str) -> Any:
    """The first JSON object or array in `text`: the whole text, a ```json fence, or the first
    balanced `{...}`/`[...]` that parses. None when there is none. Models wrap JSON in prose
    and fences; this takes the JSON and ignores the wrapping."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    fence = stripped.find("```")
    while fence != -1:
        start = stripped.find("\n", fence)
        end = stripped.find("```", start + 1) if start != -1 else -1
        if end == -1:
            break
        try:
            return json.loads(stripped[start + 1 : end])
        except ValueError:
            fence = stripped.find("```", end + 3)
    decoder = json.JSONDecoder()
    for index, char in enumerate(stripped):
        if char in "{[":
            try:
                value, _ = decoder.raw_decode(stripped, index)
            except ValueError:
                continue
            return value
    return None
