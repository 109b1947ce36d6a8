"""`ctx curate` through the CLI: the real `llm` client against the scripted server, and the
command provider with a real script."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Ctx, add
from llm_server import ScriptedServer

from ctxtree.curation import briefs


def commits(ctx: Ctx) -> int:
    return int(ctx.git("rev-list", "--count", "HEAD"))


def plan(*operations: dict[str, Any], reason: str = "curated") -> str:
    return json.dumps({"reason": reason, "operations": list(operations)})


def show(ctx: Ctx, entry_id: str) -> dict[str, Any]:
    return json.loads(ctx.ok("show", entry_id, "--json"))


SELF_HOSTED = {"op": "ADD", "id": "ci/runners/self-hosted", "title": "Self-hosted CI",
               "body": "CI moved to self-hosted runners.", "reason": "new"}  # fmt: skip


@pytest.fixture
def store(ctx: Ctx) -> Ctx:
    add(ctx, "ci/runners/hosted", "CI runs on hosted runners", "--summary",
        "Builds run on the hosted runner pool.", "--body", "Builds run on hosted runners.",
        "--keyword", "runners")  # fmt: skip
    add(ctx, "auth/session/expiry", "Sessions expire after 24 hours", "--summary",
        "A login session lasts 24 hours.", "--body", "Sessions expire after 24 hours.")  # fmt: skip
    add(ctx, "auth/session/expiry-note", "Session expiry is one day", "--summary",
        "Sessions last a day.", "--body", "Sessions expire after 24 hours.")  # fmt: skip
    return ctx


def test_merge_for_a_near_duplicate_and_supersede_for_a_contradiction(
    store: Ctx, llm_server: ScriptedServer
) -> None:
    def answer(request: dict[str, Any]) -> str:
        seen = "\n".join(str(m.get("content")) for m in request["messages"])
        # The model is shown the likely duplicates with their ids and facts.
        assert "auth/session/expiry-note" in seen and "Sessions expire after 24 hours." in seen
        return plan(
            {"op": "MERGE", "source": "auth/session/expiry-note",
             "target": "auth/session/expiry", "reason": "same fact twice"},
            {"op": "ADD", "id": "auth/session/expiry-8h", "title": "Sessions expire after 8 hours",
             "summary": "A login session lasts 8 hours.", "kind": "fact",
             "body": "Sessions expire after 8 hours since the security review.",
             "reason": "new policy"},
            {"op": "SUPERSEDE", "old": "auth/session/expiry", "new": "auth/session/expiry-8h",
             "reason": "the input contradicts the 24-hour entry"},
        )  # fmt: skip

    llm_server.reply(answer)
    before = commits(store)
    run = store("curate", "Since the security review, login sessions expire after 8 hours.",
                "--model", "ctx-test")  # fmt: skip
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [
        "  1. applied  MERGE auth/session/expiry-note -> auth/session/expiry (merged)",
        "  2. applied  ADD auth/session/expiry-8h (created auth/session/expiry-8h)",
        "  3. applied  SUPERSEDE auth/session/expiry-8h supersedes auth/session/expiry",
    ]
    assert len(llm_server.requests) == 1
    assert commits(store) == before + 1
    assert not store.file("auth/session/expiry-note").exists()
    new = show(store, "auth/session/expiry-8h")
    assert new["relations"] == [{"type": "supersedes", "target": "auth/session/expiry"}]
    assert new["sources"] == [{"type": "text", "ref": "ctx curate"}]  # stamped, not asked for
    assert new["trust"] == "user"
    found = json.loads(store.ok("search", "session expire", "--json"))["hits"]
    assert [h["id"] for h in found][:1] == ["auth/session/expiry-8h"]
    message = store.git("log", "-1", "--format=%B")
    assert "curated from text (argument) by library: ctx-test" in message


def test_dry_run_shows_the_plan_and_writes_nothing(store: Ctx, llm_server: ScriptedServer) -> None:
    llm_server.reply(plan(SELF_HOSTED))
    before = commits(store)
    run = store("curate", "CI moved to self-hosted runners.", "--model", "ctx-test", "--dry-run")
    assert run.code == 0, run.stderr
    assert "would_apply  ADD ci/runners/self-hosted" in run.stdout
    assert "+title: Self-hosted CI" in run.stdout
    assert "dry run: 1 operation valid; no commit" in run.stderr
    assert commits(store) == before
    assert not store.file("ci/runners/self-hosted").exists()
    assert store.git("status", "--porcelain") == ""


def test_malformed_json_is_corrected_then_applied(store: Ctx, llm_server: ScriptedServer) -> None:
    good = plan(SELF_HOSTED)
    llm_server.reply('Sure! {"operations": [', good)
    run = store("curate", "CI moved to self-hosted runners.", "--model", "ctx-test", "--json")
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["corrections"] == 1
    assert data["result"]["applied"] is True
    assert len(llm_server.requests) == 2
    # The second request carries the conversation so far and the problem found.
    assert "the answer holds no JSON plan" in llm_server.prompts()[1]
    assert show(store, "ci/runners/self-hosted")["title"] == "Self-hosted CI"


def test_a_plan_still_invalid_after_the_corrections_writes_nothing(
    store: Ctx, llm_server: ScriptedServer
) -> None:
    bad = plan({"op": "UPDATE", "id": "ci/runners/missing", "title": "x", "reason": "r"})
    llm_server.reply("not json", plan({"op": "ADD", "reason": "no id"}), bad)
    log = store.git("log", "--format=%H")
    run = store("curate", "CI moved to self-hosted runners.", "--model", "ctx-test")
    assert run.code == 1
    assert run.stdout == ""
    first = run.stderr.splitlines()[0]
    assert first.startswith("ctx: error: the model's plan was still rejected after 2 corrections")
    assert "ci/runners/missing" in first and first.endswith("nothing was written")
    assert len(llm_server.requests) == 3
    assert "id is required" in llm_server.prompts()[2]
    assert store.git("log", "--format=%H") == log
    assert store.git("status", "--porcelain") == ""


def test_a_secret_in_the_models_plan_is_refused_as_apply_refuses_it(
    store: Ctx, llm_server: ScriptedServer
) -> None:
    leaky = plan(
        {
            "op": "ADD",
            "id": "ci/runners/token",
            "title": "Runner token",
            "body": "token: ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "reason": "r",
        }
    )
    llm_server.reply(leaky, repeat_last=True)
    log = store.git("log", "--format=%H")
    run = store("curate", "The runner uses a token.", "--model", "ctx-test")
    assert run.code == 1
    assert len(llm_server.requests) == 3
    assert "secret" in llm_server.prompts()[1].lower()
    assert store.git("log", "--format=%H") == log


def test_operations_copying_the_prompt_example_are_refused(
    store: Ctx, llm_server: ScriptedServer
) -> None:
    copied = json.dumps(briefs.EXAMPLE_PLAN["operations"][0] | {"id": "ci/runners/cheese"})
    llm_server.reply(
        f'{{"operations": [{copied}]}}',
        plan(SELF_HOSTED),
    )
    run = store("curate", "CI moved to self-hosted runners.", "--model", "ctx-test")
    assert run.code == 0, run.stderr
    assert "copies the prompt's example" in llm_server.prompts()[1]
    assert store("show", "ci/runners/cheese").code == 3
    assert "moon" not in store.git("log", "-p").lower()


def test_a_long_input_is_curated_in_chunks_each_seeing_the_earlier_ones(
    store: Ctx, llm_server: ScriptedServer
) -> None:
    paragraphs = [f"Fact {n}: the build step {n} caches its output for reuse." * 8
                  for n in range(6)]  # fmt: skip
    calls: list[int] = []

    def answer(request: dict[str, Any]) -> str:
        calls.append(1)
        n = len(calls)
        if n == 1:
            return plan(
                {
                    "op": "ADD",
                    "id": "ci/build/caching",
                    "title": "Build steps cache",
                    "body": "Build steps cache their output.",
                    "reason": "first part",
                }
            )
        seen = "\n".join(str(m.get("content")) for m in request["messages"])
        assert "ADD ci/build/caching ('Build steps cache')" in seen
        return plan()

    llm_server.reply(answer, repeat_last=True)
    run = store("curate", "-", "--model", "ctx-test", "--chunk-tokens", "200", "--json",
                input="\n".join(paragraphs))  # fmt: skip
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["chunks"] == len(llm_server.requests) >= 3
    assert "(part 2 of" in llm_server.prompts()[1]
    assert show(store, "ci/build/caching")["sources"] == [{"type": "text", "ref": "stdin"}]


def test_no_model_configured_is_a_clear_error(store: Ctx) -> None:
    run = store("curate", "anything")
    assert run.code == 1
    assert run.stderr.startswith(
        "ctx: error: ctx curate needs a language model and none is configured"
    )


def test_the_command_provider_curates_with_a_real_script(store: Ctx, tmp_path: Path) -> None:
    script = tmp_path / "model.py"
    answer = plan(SELF_HOSTED)
    script.write_text(
        "import sys\n"
        "prompt = sys.stdin.read()\n"
        "assert 'ci/runners/hosted' in prompt, prompt\n"
        f"print({answer!r})\n"
    )
    run = store("curate", "CI moved to self-hosted runners.", "--llm-command",
                f"{sys.executable} {script}", "--trust", "agent")  # fmt: skip
    assert run.code == 0, run.stderr
    assert show(store, "ci/runners/self-hosted")["trust"] == "agent"


# ---- episodes and the agent's brief ---------------------------------------------------------
EPISODE = "sessions/claude-code/s1"


def captured(ctx: Ctx, tmp_path: Path) -> Ctx:
    from test_claude_hooks import hook, transcript

    path = transcript(tmp_path / "t.jsonl", ctx.cwd, ["Make refresh tokens rotate"], "Done.")
    hook(ctx, "Stop", transcript_path=str(path))
    return ctx


def waiting_line(ctx: Ctx) -> str:
    from test_claude_hooks import hook

    done = hook(ctx, "SessionStart", source="startup", session_id="s9")
    if not done.stdout:
        return ""
    text = json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"]
    return next((line for line in text.splitlines() if "to be curated" in line), "")


def test_an_episode_stays_is_linked_and_marked_curated(
    store: Ctx, llm_server: ScriptedServer, tmp_path: Path
) -> None:
    captured(store, tmp_path)
    evidence = store.file(EPISODE).read_text("utf-8")
    assert "1 captured session waits" in waiting_line(store)
    rewrite = plan({"op": "UPDATE", "id": EPISODE, "title": "Tidied", "reason": "tidy"})
    learnt = plan({"op": "ADD", "id": "auth/jwt/rotation", "title": "Refresh tokens rotate",
                   "body": "Each refresh issues a new token.", "reason": "learnt"})  # fmt: skip
    llm_server.reply(rewrite, learnt)
    before = commits(store)
    run = store("curate", "--episode", EPISODE, "--model", "ctx-test")
    assert run.code == 0, run.stderr
    assert "episodes are evidence and stay as captured" in llm_server.prompts()[1]
    assert "Make refresh tokens rotate" in llm_server.prompts()[0]
    assert f"marked curated: {EPISODE}" in run.stderr
    assert commits(store) == before + 1
    new = show(store, "auth/jwt/rotation")
    assert new["relations"] == [{"type": "derived_from", "target": EPISODE}]
    assert new["sources"] == [{"type": "episode", "ref": EPISODE}]
    assert new["trust"] == "agent"
    after = store.file(EPISODE).read_text("utf-8")
    assert after.replace("curated: 2026-11-20T10:00:00Z\n", "") == evidence
    assert waiting_line(store) == ""
    changed = store.git("show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == ["tree/auth/jwt/rotation.md", f"tree/{EPISODE}.md"]


def test_a_later_capture_makes_a_curated_episode_wait_again(
    store: Ctx, llm_server: ScriptedServer, tmp_path: Path
) -> None:
    captured(store, tmp_path)
    llm_server.reply(plan())
    run = store("curate", "--episode", EPISODE, "--model", "ctx-test")
    assert run.code == 0, run.stderr
    assert "nothing worth keeping" in run.stderr
    assert waiting_line(store) == ""  # read, nothing to keep: marked all the same
    from test_claude_hooks import hook, transcript

    store.env["CTX_NOW"] = "2026-11-21T10:00:00Z"
    path = transcript(tmp_path / "t2.jsonl", store.cwd, ["Now rotate signing keys"], "Done.")
    hook(store, "Stop", transcript_path=str(path))
    assert "1 captured session waits" in waiting_line(store)


def test_the_brief_for_an_agent_is_self_contained_and_its_plan_applies(
    store: Ctx, tmp_path: Path
) -> None:
    captured(store, tmp_path)
    before = commits(store)
    brief = store.ok("curate", "--episode", EPISODE, "--for-agent")  # no model configured
    assert commits(store) == before
    for needed in (
        "Make refresh tokens rotate",  # the input
        "UPDATE it (or MERGE",  # the rules
        '"required":["op","reason","new"]',  # the schema (SUPERSEDE's part: old or matching)
        '"oneOf":[{"required":["old"]},{"required":["matching"]}]',
        f'{{"type": "derived_from", "target": "{EPISODE}"}}',
        "ctx apply - --dry-run <<'PLAN'",  # how to apply the answer
    ):
        assert needed in brief, needed
    answer = [{"op": "ADD", "id": "auth/jwt/rotation", "title": "Refresh tokens rotate",
               "relations": [{"type": "derived_from", "target": EPISODE}],
               "sources": [{"type": "episode", "ref": EPISODE}], "trust": "agent",
               "reason": "learnt in the session"}]  # fmt: skip
    store.ok("apply", "-", input=json.dumps(answer))
    assert waiting_line(store) == ""
    assert store.file(EPISODE).exists()


def test_the_brief_shows_the_entries_the_input_may_duplicate(store: Ctx) -> None:
    data = json.loads(store.ok("curate", "Sessions now expire after 8 hours", "--for-agent",
                               "--json"))  # fmt: skip
    brief = data["brief"]
    assert "- id: auth/session/expiry\n" in brief
    assert "- id: auth/session/expiry-note\n" in brief
    assert "- auth/session/ (2)" in brief
    assert "Sessions now expire after 8 hours" in brief


def test_a_diff_and_a_transcript_carry_their_sources_and_trust(
    store: Ctx, llm_server: ScriptedServer, tmp_path: Path
) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=store.cwd, env={**store.env, "PATH": "/usr/bin:/bin"},
                       check=True, capture_output=True)  # fmt: skip

    git("init", "-q")
    (store.cwd / "ci.yml").write_text("runs-on: hosted\n")
    git("add", "ci.yml")
    git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "ci")
    (store.cwd / "ci.yml").write_text("runs-on: self-hosted\n")
    git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qam", "self-hosted")
    chat = tmp_path / "chat.jsonl"
    turn = {"id": 1, "session": "x", "time": "t", "speaker": "alice",
            "text": "We pin runners to the self-hosted pool."}  # fmt: skip
    chat.write_text(json.dumps(turn) + "\n")
    llm_server.reply(
        plan({"op": "ADD", "id": "ci/runners/self-hosted", "title": "Self-hosted CI",
              "body": "CI runs on self-hosted runners.", "reason": "from the diff"}),
        plan({"op": "UPDATE", "id": "ci/runners/self-hosted",
              "body": "CI runs on self-hosted runners.\n\nThe pool is pinned.", "reason": "more"}),
    )  # fmt: skip
    run = store("curate", "--diff", "HEAD~1", "--transcript", str(chat), "--model", "ctx-test")
    assert run.code == 0, run.stderr
    first, second = llm_server.prompts()
    assert "+runs-on: self-hosted" in first
    assert "alice: We pin runners to the self-hosted pool." in second
    entry = show(store, "ci/runners/self-hosted")
    assert entry["sources"] == [
        {"type": "diff", "ref": "HEAD~1"},
        {"type": "transcript", "ref": "chat.jsonl"},
    ]
    assert entry["trust"] == "agent"  # the transcript's, lower than the diff's
    missing = store("curate", "--diff", "nope", "--model", "ctx-test")
    assert missing.code == 3


def test_the_python_api_curates_and_briefs(
    store: Ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ctxtree import Memory
    from ctxtree.llm import LlmOutputError

    for key, value in store.env.items():
        monkeypatch.setenv(key, value)
    memory = Memory(store.store)
    brief = memory.curation_brief("CI moved to self-hosted runners.")
    assert "- id: ci/runners/hosted\n" in brief and "ctx apply -" in brief
    script = tmp_path / "model.py"
    script.write_text(f"import sys\nsys.stdin.read()\nprint({plan(SELF_HOSTED)!r})\n")
    command = f"{sys.executable} {script}"
    result = memory.curate("CI moved to self-hosted runners.", command=command)
    assert result.applied is not None and result.applied.applied
    assert show(store, "ci/runners/self-hosted")["title"] == "Self-hosted CI"
    # The same ADD again: the entry exists now; corrected twice in vain, nothing written.
    with pytest.raises(LlmOutputError, match="already exists"):
        memory.curate("CI moved to self-hosted runners.", command=command)


# ---- folder abstracts --------------------------------------------------------------------
def abstract_of(request: dict[str, Any]) -> str:
    turn = str(request["messages"][-1]["content"])
    folder = turn.split("Folder: ", 1)[1].split("/\n", 1)[0]
    return json.dumps({"title": f"About {folder}", "summary": f"What {folder} holds.",
                       "abstract": f"The {folder} folder records its decisions."})  # fmt: skip


def test_abstracts_are_written_once_and_cached_by_the_folder_digest(
    store: Ctx, llm_server: ScriptedServer
) -> None:
    hand = "---\ntitle: Auth\nsummary: Written by a person.\n---\n# Auth\n\nMine.\n"
    (store.store / "tree" / "auth" / "context.md").write_text(hand)
    store.git("add", "-A")
    store.git("commit", "-qm", "hand-written overview", "--no-verify")
    llm_server.reply(abstract_of, repeat_last=True)
    before = commits(store)
    run = store("curate", "--abstracts", "--model", "ctx-test")
    assert run.code == 0, run.stderr
    assert len(llm_server.requests) == 4  # auth, auth/session, ci, ci/runners
    assert commits(store) == before + 1
    index = (store.store / "tree" / "auth" / "session" / "_index.md").read_text()
    assert 'generated_by: "library: ctx-test"' in index
    assert "# auth/session\n\nThe auth/session folder records its decisions.\n\n- [[" in index
    overview = (store.store / "tree" / "auth" / "session" / "context.md").read_text()
    assert overview.startswith('---\ntitle: "About auth/session"\n')
    assert (store.store / "tree" / "auth" / "context.md").read_text() == hand  # a person's
    # The parent's prompt carried its subfolder's fresh abstract.
    auth = next(p for p in llm_server.prompts() if "Folder: auth/\n" in p)
    assert "auth/session/ (2 entries): The auth/session folder records its decisions." in auth

    llm_server.reply(abstract_of, repeat_last=True)
    run = store("curate", "--abstracts", "--model", "ctx-test")
    assert run.code == 0, run.stderr
    assert llm_server.requests == []  # every folder unchanged: no call, no commit
    assert commits(store) == before + 1
    assert "0 model calls; 4 folders already current" in run.stderr
    store.ok("maintain")  # keeps an abstract whose folder did not change
    assert (store.store / "tree" / "auth" / "session" / "_index.md").read_text() == index

    add(store, "ci/runners/arm", "ARM runners exist")
    run = store("curate", "--abstracts", "--scope", "ci", "--model", "ctx-test", "--json")
    assert run.code == 0, run.stderr
    assert len(llm_server.requests) == 2  # ci/runners changed, and so did ci's inputs
    assert json.loads(run.stdout)["cached"] == []


def test_abstracts_need_a_model_and_take_no_input(store: Ctx) -> None:
    run = store("curate", "--abstracts")
    assert run.code == 1 and "an abstract needs a language model" in run.stderr
    assert store("curate", "text", "--abstracts").code == 2
    assert store("curate", "text", "--scope", "ci").code == 2


def test_bad_inputs_are_usage_errors(store: Ctx) -> None:
    assert store("curate", "x", "--trust", "admin", "--for-agent").code == 2
    run = store("curate", "--episode", "ci/runners/hosted", "--for-agent")
    assert run.code == 2 and "ci/runners/hosted is not an episode (kind: note)" in run.stderr
    assert store("curate", "--episode", "sessions/claude-code/nope", "--for-agent").code == 3
    assert store("curate", "--for-agent").code == 2  # nothing to curate
    assert store("curate", "  ", "--for-agent").code == 2  # an empty input
    assert store("curate", "x", "--for-agent", "--dry-run").code == 2
