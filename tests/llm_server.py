"""A scripted OpenAI chat-completions server on 127.0.0.1, for tests of the real provider code
(`llm` and its OpenAI plugin, or anything else speaking the wire format).

Each request takes the next step of the script. A step is:
- a string: an assistant message with that text;
- `{"tool_calls": [{"name": N, "arguments": {...}}, ...]}`: an assistant turn calling tools;
- `{"status": 500, "body": "..."}`: an HTTP error;
- `{"delay": seconds, ...}`: the same, answered after a pause (timeouts);
- `{"text": ..., "usage": {...}}`: extra fields merged into the usage block (`cost`);
- a callable taking the request's JSON and returning one of the above (a step that reads the
  prompt, e.g. to answer about the entries it was given).
With `repeat_last`, the last step answers every request after the script runs out; otherwise an
exhausted script answers 500 so a test that calls more often than it meant fails loudly.
Streaming requests (`"stream": true`) get server-sent events, tool calls included, the way the
OpenAI API sends them. Every request body is kept in `requests`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Step = str | dict[str, Any] | Callable[[dict[str, Any]], Any]

MODEL_ID = "ctx-test"


class ScriptedServer:
    def __init__(self) -> None:
        self.script: list[Step] = []
        self.repeat_last = False
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"owner": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reply(self, *steps: Step, repeat_last: bool = False) -> None:
        """Replace the script."""
        with self.lock:
            self.script = list(steps)
            self.repeat_last = repeat_last
            self.requests.clear()

    def next_step(self, request: dict[str, Any]) -> Any:
        with self.lock:
            self.requests.append(request)
            if self.script:
                step = (
                    self.script.pop(0)
                    if len(self.script) > 1 or not self.repeat_last
                    else (self.script[0])
                )
            else:
                step = {"status": 500, "body": "script exhausted"}
        return step(request) if callable(step) else step

    def prompts(self) -> list[str]:
        """The text of every message of every request, joined per request (what the model saw)."""
        return [
            "\n".join(_content(m) for m in request.get("messages", [])) for request in self.requests
        ]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


class _Handler(BaseHTTPRequestHandler):
    owner: ScriptedServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            request = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            request = {}
        step = self.owner.next_step(request)
        if isinstance(step, dict) and step.get("delay"):
            time.sleep(float(step["delay"]))
            step = {k: v for k, v in step.items() if k != "delay"} or "late answer"
            if set(step) == {"text"}:
                step = step["text"]
        if isinstance(step, dict) and "status" in step:
            self._send(int(step["status"]), {"error": {"message": step.get("body", "error")}})
            return
        text, calls = (
            (step, [])
            if isinstance(step, str)
            else (step.get("text", ""), step.get("tool_calls", []))
        )
        prompt_tokens = sum(len(_content(m).split()) for m in request.get("messages", []))
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(str(text).split()) + 5 * len(calls),
            "total_tokens": 0,
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if isinstance(step, dict) and isinstance(step.get("usage"), dict):
            usage.update(step["usage"])  # extra usage fields, e.g. OpenRouter's `cost`
        tool_calls = [
            {
                "id": f"call_{len(self.owner.requests)}_{n}",
                "type": "function",
                "function": {"name": c["name"], "arguments": json.dumps(c.get("arguments", {}))},
            }
            for n, c in enumerate(calls)
        ]
        if request.get("stream"):
            self._stream(str(text), tool_calls, usage, request)
            return
        message: dict[str, Any] = {"role": "assistant", "content": text if not calls else None}
        if tool_calls:
            message["tool_calls"] = tool_calls
        self._send(
            200,
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": 0,
                "model": request.get("model", MODEL_ID),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if calls else "stop",
                    }
                ],
                "usage": usage,
            },
        )

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (a timeout test): nothing to tell it

    def _stream(
        self,
        text: str,
        tool_calls: list[dict[str, Any]],
        usage: dict[str, int],
        request: dict[str, Any],
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        base = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": request.get("model", MODEL_ID),
        }

        def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> None:
            chunk = {
                **base,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()

        event({"role": "assistant", "content": ""})
        words = text.split(" ") if text else []
        for n, word in enumerate(words):
            event({"content": word if n == 0 else " " + word})
        for n, call in enumerate(tool_calls):
            arguments = call["function"]["arguments"]
            half = len(arguments) // 2
            event(
                {
                    "tool_calls": [
                        {
                            "index": n,
                            "id": call["id"],
                            "type": "function",
                            "function": {
                                "name": call["function"]["name"],
                                "arguments": arguments[:half],
                            },
                        }
                    ]
                }
            )
            event({"tool_calls": [{"index": n, "function": {"arguments": arguments[half:]}}]})
        event({}, "tool_calls" if tool_calls else "stop")
        if (request.get("stream_options") or {}).get("include_usage"):
            self.wfile.write(
                f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n".encode()
            )
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def write_llm_user_dir(directory: Path, base: str) -> Path:
    """An `llm` user directory whose extra-openai-models.yaml points model `ctx-test` at
    `base`, with tools and schemas supported, and a second model `ctx-test-plain` without
    native tools (for the JSON action protocol path)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "extra-openai-models.yaml").write_text(
        f"- model_id: {MODEL_ID}\n"
        "  model_name: test-model\n"
        f"  api_base: {base}\n"
        "  supports_tools: true\n"
        "  supports_schema: true\n"
        f"- model_id: {MODEL_ID}-plain\n"
        "  model_name: test-model-plain\n"
        f"  api_base: {base}\n",
        encoding="utf-8",
    )
    return directory
