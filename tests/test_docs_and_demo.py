"""The README's commands work and its reference matches `--help`; the demo works."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import Ctx, fails

from ctxtree.cli import reference
from ctxtree.tree import frontmatter
from ctxtree.tree.paths import parse_target

ROOT = Path(__file__).resolve().parent.parent


def test_readme_reference_matches_help() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert reference.splice(readme, reference.generate()) == readme, (
        "README command reference is stale: run `python -m ctxtree.cli.reference --write README.md`"
    )


def test_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install . && ctx demo" in readme
    assert 'pip install ".[test]" && pytest' in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install --quiet --disable-pip-version-check ".[test]"' in ci
    assert "pytest" in ci


def test_every_command_is_in_the_reference() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `ctx (\S+)`", readme, re.MULTILINE))
    expected = "init status config add show ls tree edit mv rm link unlink related log diff undo"
    assert {*expected.split(), "demo", "commit"} <= documented


def test_sample_knowledge_is_valid() -> None:
    from ctxtree.service.demo import sample_files

    files = dict(sample_files())
    entries = {}
    for relpath, text in files.items():
        if relpath.endswith("context.md"):
            continue
        entry_id = relpath[: -len(".md")]
        entries[entry_id] = frontmatter.parse(text, entry_id)
    assert len(entries) >= 36
    folders = {p.rsplit("/", 1)[0] for p in files}
    for entry in entries.values():
        assert entry.sources, entry.id
        for relation in entry.relations:
            target = parse_target(relation.target)
            assert target in entries or target in folders, (entry.id, target)


def test_demo_builds_a_store_and_tours_it(bare: Ctx, tmp_path: Path) -> None:
    out = bare.ok("demo", str(tmp_path / "d"))
    assert out.startswith(f"Built a demo store with 43 entries at {tmp_path / 'd' / '.ctx'}")
    steps = ("$ ctx status", "$ ctx tree --depth 2", "$ ctx related", "$ ctx search",
             "$ ctx context", "$ ctx undo 2", "$ ctx apply")  # fmt: skip
    for step in steps:
        assert step in out
    assert "Traceback" not in out
    assert "1. applied  ADD auth/jwt/access-token-ttl-5m" in out
    assert " 1. auth/jwt/access-token-ttl-5m" in out  # the superseded decision left results
    store = Ctx(tmp_path / "d", bare.env)
    data = json.loads(store.ok("status", "--json"))
    assert data["entries"] == 44 and data["invalid"] == [] and data["dirty"] == []
    reused = bare("demo", str(tmp_path / "d"))  # refuses to reuse a store
    fails(reused, 4, f"{tmp_path / 'd'} already holds a ctx store")


def test_demo_quiet_json(bare: Ctx, tmp_path: Path) -> None:
    data = json.loads(bare.ok("demo", str(tmp_path / "q"), "--json"))
    assert data == {"root": str(tmp_path / "q" / ".ctx"), "entries": 43}
