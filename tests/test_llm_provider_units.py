"""Pure parts of the model layer, table-driven: extract_json, parse_calls, choose, the
classification of provider failures, and the remembered plugin per model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctxtree.config import LlmConfig
from ctxtree.errors import UsageError
from ctxtree.llm import Choice, Usage, choose
from ctxtree.llm.actions import MAX_CALLS, extract_json, parse_calls
from ctxtree.llm.library import failure
from ctxtree.llm.plugins import cache_path, lookup, remember


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("  [1, 2]  ", [1, 2]),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('Here it is:\n```\n{"a": [1]}\n```\nDone.', {"a": [1]}),
        ('```\nnot json\n```\n```json\n{"b": 2}\n```', {"b": 2}),
        ('Sure! {"plan": {"ops": []}} hope that helps', {"plan": {"ops": []}}),
        ('prose {broken then {"ok": true}', {"ok": True}),
        ("no json at all", None),
        ("", None),
        ("   ", None),
        ('"just a string"', "just a string"),
        ("```json\n{unclosed", None),
        ('{"nested": "a } brace"}', {"nested": "a } brace"}),
    ],
)
def test_extract_json(text: str, expected: Any) -> None:
    assert extract_json(text) == expected


@given(st.text())
def test_extract_json_never_raises(text: str) -> None:
    extract_json(text)


@given(st.text(alphabet='{}[]"`:,\n json0123456789abtrue'))
def test_extract_json_never_raises_on_near_json(text: str) -> None:
    extract_json(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is 42.", []),
        ('{"answer": "x"}', []),
        ('{"tool_calls": "search"}', []),
        (
            '{"tool_calls": [{"name": "search", "arguments": {"q": "x"}}]}',
            [("call-1", "search", {"q": "x"})],
        ),
        (  # `tool` and `args` spellings, arguments sent JSON-encoded
            '{"tool_calls": [{"tool": "read", "args": "{\\"id\\": \\"a/b\\"}"}]}',
            [("call-1", "read", {"id": "a/b"})],
        ),
        (  # arguments that are not an object are kept under `value`, never dropped
            '{"tool_calls": [{"name": "read", "arguments": [1, 2]}, "list"]}',
            [("call-1", "read", {"value": [1, 2]}), ("call-2", "list", {})],
        ),
        (
            'Calling:\n```json\n{"tool_calls": [{"name": "a"}, {"name": "b"}]}\n```',
            [("call-1", "a", {}), ("call-2", "b", {})],
        ),
    ],
)
def test_parse_calls(text: str, expected: list[tuple[str, str, dict[str, Any]]]) -> None:
    assert [(c.id, c.name, dict(c.arguments)) for c in parse_calls(text)] == expected


def test_parse_calls_numbers_from_first_id_and_cuts_a_runaway_list() -> None:
    many = '{"tool_calls": [' + ", ".join(['{"name": "s"}'] * 20) + "]}"
    calls = parse_calls(many, first_id=5)
    assert len(calls) == MAX_CALLS
    assert [c.id for c in calls[:2]] == ["call-5", "call-6"]


CONFIG = LlmConfig(model="cfg-model", command="cfg-cmd", timeout_seconds=30, retries=1)


@pytest.mark.parametrize(
    ("settings", "env", "model", "command", "expected"),
    [
        (LlmConfig(), {}, None, None, None),
        (LlmConfig(model="m"), {}, None, None, ("library", "m", "config")),
        (CONFIG, {}, None, None, ("command", "cfg-cmd", "config")),  # command beats model
        (CONFIG, {"CTX_LLM_MODEL": "env-m"}, None, None, ("library", "env-m", "env")),
        (
            CONFIG,
            {"CTX_LLM_MODEL": "env-m", "CTX_LLM_COMMAND": "env-c"},
            None,
            None,
            ("command", "env-c", "env"),
        ),
        (CONFIG, {"CTX_LLM_COMMAND": "env-c"}, "flag-m", None, ("library", "flag-m", "flag")),
        (CONFIG, {"CTX_LLM_MODEL": "env-m"}, None, "flag-c", ("command", "flag-c", "flag")),
        (CONFIG, {"CTX_LLM_MODEL": "  ", "CTX_LLM_COMMAND": ""}, None, None,
         ("command", "cfg-cmd", "config")),  # blank values do not count
        (LlmConfig(), {}, " spaced ", None, ("library", "spaced", "flag")),
    ],
)  # fmt: skip
def test_choose(
    settings: LlmConfig,
    env: dict[str, str],
    model: str | None,
    command: str | None,
    expected: tuple[str, str, str] | None,
) -> None:
    choice = choose(settings, env, model=model, command=command)
    if expected is None:
        assert choice is None
        return
    assert choice is not None
    assert (choice.backend, choice.target, choice.source) == expected
    assert (choice.timeout_seconds, choice.retries) == (settings.timeout_seconds, settings.retries)


def test_choose_refuses_both_flags() -> None:
    with pytest.raises(UsageError, match="--model and --llm-command both name a provider"):
        choose(LlmConfig(), {}, model="m", command="c")


def test_choice_name() -> None:
    assert Choice("command", "claude -p", 1, 0).name == "command: claude -p"


def test_usage_adds_keeping_unknowns_unknown() -> None:
    total = Usage(3, None, None, 1) + Usage(4, None, 0.5, 1)
    assert total == Usage(7, None, 0.5, 2)
    assert total.total_tokens == 7


# Errors shaped as the SDKs shape them (an HTTP status on the error or on its response; a
# connection error whose cause says why), so the classification reads what they share.
class APIStatusError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Error code: {status}")
        self.status_code = status
        self.body = {"message": message}


class Response:
    status_code = 503


class HTTPStatusError(Exception):
    response = Response()


class APIConnectionError(Exception):
    pass


class APITimeoutError(APIConnectionError):
    pass


class NeedsKeyException(Exception):
    pass


def _connection_refused() -> Exception:
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as cause:
            raise APIConnectionError("Connection error.") from cause
    except APIConnectionError as error:
        return error


@pytest.mark.parametrize(
    ("error", "cause", "retry"),
    [
        (APIStatusError(401, "bad key"), "refused the credentials at E (HTTP 401: bad key)", False),
        (APIStatusError(403, "no"), "refused the credentials at E (HTTP 403: no)", False),
        (APIStatusError(404, "no model"), "rejected the request at E (HTTP 404: no model)", False),
        (APIStatusError(400, "bad"), "rejected the request at E (HTTP 400: bad)", False),
        (APIStatusError(429, "slow"), "is rate limited at E (HTTP 429: slow)", True),
        (APIStatusError(500, "boom"), "failed on the server at E (HTTP 500: boom)", True),
        (HTTPStatusError("x"), "failed on the server at E (HTTP 503: x)", True),
        (APITimeoutError("Request timed out."), "gave no answer in time at E", True),
        (TimeoutError("no answer within 1 s"), "gave no answer in time at E", True),
        (_connection_refused(), "could not be reached at E ([Errno 111] Connection refused)",
         True),
        (NeedsKeyException("No key found"), "has no API key (No key found)", False),
        (KeyError("choices"), "failed (KeyError: 'choices')", False),
        (ValueError("Requested tokens (646) exceed context window of 512"),
         "cannot take a prompt this long (ValueError: Requested tokens (646) exceed context "
         "window of 512)", False),
    ],
)  # fmt: skip
def test_failure_classification(error: Exception, cause: str, retry: bool) -> None:
    found = failure(error, "E")
    assert (found.cause, found.retry) == (cause, retry)
    assert found.hint


def test_remembered_plugins_are_per_llm_user_dir(tmp_path: Path) -> None:
    one = {"HOME": str(tmp_path), "LLM_USER_PATH": "/a"}
    two = {"HOME": str(tmp_path), "LLM_USER_PATH": "/b"}
    assert lookup(one, "claude") is None
    remember(one, "claude", "llm-anthropic")
    remember(one, "gpt", "")
    assert (lookup(one, "claude"), lookup(one, "gpt"), lookup(two, "claude")) == (
        "llm-anthropic",
        "",
        None,
    )
    assert cache_path(one) == tmp_path / ".cache" / "ctxtree" / "llm-plugins.json"
    cache_path(one).write_text("not json", encoding="utf-8")  # a damaged cache is ignored
    assert lookup(one, "claude") is None
