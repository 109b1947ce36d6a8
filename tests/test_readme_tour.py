"""The README's five-minute tour, run as a user would type it: each command in its own
shell, in order, in a fresh project, with its exit code and key output checked. Editing the
tour in README.md changes this test's input, so the two cannot drift apart."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import isolated_env

ROOT = Path(__file__).resolve().parent.parent
EXIT = re.compile(r"\bexit (\d+)\b")

# (command prefix, stream, text it must print): the tour's promises, checked.
EXPECTED = [
    ("ctx init", "stdout", "initialised a ctx store at "),
    ("ctx show", "stdout", "# Refresh tokens rotate on every use"),
    ("ctx related", "stdout", "← related auth/jwt/signing-keys"),
    ("ctx tree", "stdout", "refresh-rotation — Refresh tokens rotate on every use"),
    ("ctx mv", "stdout", "moved auth/jwt/signing-keys -> auth/keys/rotation"),
    ("ctx log", "stdout", "mv: auth/jwt/signing-keys -> auth/keys/rotation"),
    ("ctx undo", "stdout", "undid 1 commit"),
    ('echo "A grace', "stdout", "edited auth/jwt/refresh-rotation"),
    ('echo "Tokens', "stderr", "drops fact: Reuse of a revoked token revokes the whole family."),
    ("ctx search", "stdout", "auth/jwt/refresh-rotation"),
]


def split_comment(line: str) -> tuple[str, str]:
    """(command, comment) of one shell line: the first `#` outside quotes after a space."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def tour(readme: str) -> list[tuple[str, int]]:
    """The tour's commands (continuation lines joined) and the exit code each should give."""
    section = readme[readme.index("## A five-minute tour") :]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "the tour has no ```sh block"
    commands: list[tuple[str, int]] = []
    pending = ""
    for raw in match.group(1).splitlines():
        line, comment = split_comment(raw)
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        code = EXIT.search(comment)
        commands.append(((pending + line).strip(), int(code.group(1)) if code else 0))
        pending = ""
    return [c for c in commands if c[0]]


def test_split_comment_leaves_quoted_hashes() -> None:
    assert split_comment('ctx add a/b/c -t "C # 1"   # exit 4: x') == (
        'ctx add a/b/c -t "C # 1"',
        "exit 4: x",
    )
    assert split_comment("ctx tree") == ("ctx tree", "")


def test_readme_tour_runs_as_written(tmp_path: Path) -> None:
    commands = tour((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) >= 12 and commands[0][0] == "cd my-project"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ctx = bin_dir / "ctx"
    ctx.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ctxtree "$@"\n')
    ctx.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **isolated_env(home),
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }
    cwd = tmp_path
    subprocess.run(["git", "init", "-q", "my-project"], cwd=cwd, env=env, check=True)
    outputs: dict[str, dict[str, str]] = {}
    for command, expected in commands:
        if command.startswith("cd "):
            cwd = cwd / command[3:].strip()
            continue
        done = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == expected, (
            f"README tour: `{command}` exited {done.returncode}, expected {expected}\n{done.stderr}"
        )
        assert "Traceback" not in done.stderr, command
        outputs.setdefault(command, {"stdout": done.stdout, "stderr": done.stderr})
    for prefix, stream, text in EXPECTED:
        ran = [out for command, out in outputs.items() if command.startswith(prefix)]
        assert ran, f"the tour no longer runs `{prefix} ...`"
        assert any(text in out[stream] for out in ran), f"`{prefix}` did not print {text!r}"
    status = json.loads(outputs["ctx status --json"]["stdout"])
    assert status["entries"] == 2 and status["dirty"] == []
    body = (cwd / ".ctx" / "tree" / "auth" / "jwt" / "refresh-rotation.md").read_text()
    assert "Reuse of a revoked token revokes the whole family." in body  # the refusal held
    assert "A grace period of 10 seconds covers concurrent refreshes." in body
    added = subprocess.run(["git", "add", "-A"], cwd=cwd, env=env, capture_output=True, text=True)
    assert added.returncode == 0 and "embedded" not in added.stderr  # .ctx/ is ignored
