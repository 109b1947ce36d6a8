"""`ctx lint [--fix]` through the CLI on real stores: a clean store, the demo, a store seeded
with every problem, the one-commit fix and its dry run; the pure checks table-driven."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Ctx, add, fails

from ctxtree.cli.app import build
from ctxtree.config import LintConfig
from ctxtree.curation import checks as lint
from ctxtree.curation.summaries import render_index
from ctxtree.tree import frontmatter
from ctxtree.tree.model import Entry, Relation, Source

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
STALE = "---\ngenerated_by: ctx\ninputs: " + "0" * 64 + "\nentries: 1\n---\n# {}\n"


def write(ctx: Ctx, relpath: str, text: str) -> None:
    path = ctx.store / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def entry_text(title: str, *lines: str, body: str = "") -> str:
    head = "\n".join(("schema: 1", f"title: {title}", *lines))
    return f"---\n{head}\n---\n# {title}\n{body}"


def commit_by_hand(ctx: Ctx, message: str) -> None:
    """Seed problems past the store's pre-commit hook (which would refuse them): lint must
    find what slipped in anyway, e.g. from a clone without the hook."""
    ctx.git("add", "-A")
    ctx.git("commit", "-q", "--no-verify", "-m", message)


def pairs(out: str) -> list[tuple[str, str]]:
    return [(f["code"], f["entry"]) for f in json.loads(out)]


# ---- a clean store and the demo ------------------------------------------------------------
def test_a_clean_well_linked_store_has_no_findings(ctx: Ctx) -> None:
    add(ctx, "auth/jwt/keys", "Signing keys rotate yearly", "--summary", "RS256 keys.")
    add(ctx, "auth/jwt/ttl", "Access tokens live 15 minutes",
        "--relate", "depends_on:auth/jwt/keys", "--author", "claude-code",
        "--source", "commit:3f2a1c9")  # fmt: skip
    add(ctx, "auth/oauth/google", "Google OIDC sign-in", "--body", "Uses [[auth/jwt/ttl]].")
    add(ctx, "ops/log/commit-1", "Commit 1", "--kind", "episode")  # episodes are no orphans
    run = ctx("lint")
    assert (run.code, run.stdout) == (0, "")
    assert run.stderr == "0 errors, 0 warnings, 0 info found in 4 entries\n"
    assert ctx.ok("lint", "--json") == "[]\n"
    assert ctx.ok("lint", "--strict") == ""


def test_the_demo_store_reports_only_its_open_question(bare: Ctx, tmp_path: Path) -> None:
    # The demo deliberately keeps one unresolved contradiction ("Status: unresolved" in the
    # support playbook entry); everything else in it lints clean.
    bare.ok("demo", str(tmp_path / "d"), "--quiet")
    store = Ctx(tmp_path / "d", bare.env)
    run = store("lint")
    assert run.code == 0
    assert run.stdout == (
        "contradiction warning payments/refunds/support-goodwill-refunds: contradicts "
        "payments/refunds/refund-window, and both are current (fix: decide which holds: "
        "ctx supersede OLD NEW, or set valid_until on the one that no longer holds)\n"
    )
    assert run.stderr == "0 errors, 1 warning, 0 info found in 43 entries\n"
    strict = store("lint", "--strict")  # warnings fail it
    assert (strict.code, strict.stdout) == (5, run.stdout)
    assert store.ok("lint", "auth") == ""


# ---- a store seeded with every problem -----------------------------------------------------
# (code, entry) in report order: by entry, then code
SEEDED = [
    ("stale-summary", "a/b/_index.md"),
    ("missing-provenance", "a/b/agent"),
    ("oversized", "a/b/big"),
    ("invalid-entry", "a/b/broken"),
    ("broken-relation", "a/b/dangling"),
    ("bad-validity", "a/b/expiring"),
    ("secret", "a/b/leaky"),
    ("broken-link", "a/b/linker"),
    ("retired-dependency", "a/b/user"),
    ("contradiction", "a/c/left"),
    ("near-duplicate", "a/d/dup-two"),
    ("stale-summary", "gone/away/_index.md"),
    ("orphan", "x/y/lonely"),
]
FIXABLE = {"stale-summary", "missing-provenance", "broken-relation", "secret", "broken-link"}
REMAINING = [p for p in SEEDED if p[0] not in FIXABLE]


def seed(ctx: Ctx) -> None:
    ctx.ok("config", "set", "lint.oversized_bytes", "1500")
    add(ctx, "a/b/hub", "Hub of the a/b topic")
    rel = ("--relate", "related:a/b/hub")
    add(ctx, "a/b/agent", "Written by an agent", *rel, "--author", "claude-code")
    add(ctx, "a/b/big", "A very long entry", *rel, "--body", "word " * 400)
    add(ctx, "a/b/old-way", "The old way", *rel)
    add(ctx, "a/b/new-way", "The new way", "--relate", "supersedes:a/b/old-way")
    add(ctx, "a/b/user", "Uses the old way", "--relate", "depends_on:a/b/old-way")
    add(ctx, "a/b/expiring", "Holds until someday", *rel)
    add(ctx, "a/c/right", "Deploys happen on Fridays", *rel)
    add(ctx, "a/c/left", "Deploys never happen on Fridays",
        "--relate", "contradicts:a/c/right")  # fmt: skip
    summary = "Every use of a refresh token issues a new one."
    add(ctx, "a/d/dup-one", "Refresh tokens rotate on every use", "--summary", summary, *rel)
    add(ctx, "a/d/dup-two", "Refresh tokens rotate on every use.", "--summary", summary, *rel)
    add(ctx, "a/b/linker", "Links by hand", "--body", "See [[a/b/hub]] and [[a/b/nowhere|that]].")
    add(ctx, "x/y/lonely", "Nobody links here")
    # hand-written, committed with git: a malformed file, a dead relation, a credential,
    # a bad validity window and summaries that are stale or of a folder now empty
    write(ctx, "tree/a/b/broken.md", "---\ntitle: [unclosed\n---\nbody\n")
    write(ctx, "tree/a/b/dangling.md", entry_text(
        "Points at nothing", "relations:", "  - {type: depends_on, target: a/b/gone}",
        "  - {type: related, target: a/b/hub}"))  # fmt: skip
    write(ctx, "tree/a/b/leaky.md", entry_text(
        "Deploy token", "relations:", "  - {type: related, target: a/b/hub}",
        body=f"\nUse {TOKEN} to deploy.\n"))  # fmt: skip
    text = ctx.file("a/b/expiring").read_text().replace("trust:", "valid_until: someday\ntrust:")
    write(ctx, "tree/a/b/expiring.md", text)
    write(ctx, "tree/a/b/_index.md", STALE.format("a/b"))
    write(ctx, "tree/gone/away/_index.md", STALE.format("gone/away"))
    commit_by_hand(ctx, "hand edits")


def test_seeded_problems_are_each_reported(ctx: Ctx) -> None:
    seed(ctx)
    run = ctx("lint", "--json")
    assert run.code == 5
    assert pairs(run.stdout) == SEEDED
    assert json.loads(run.stderr)["error"]["message"] == "lint: 3 findings that fail (errors)"
    text = ctx("lint").stdout.splitlines()
    by_code = {line.split(" ", 1)[0]: line for line in text}
    assert by_code["invalid-entry"].startswith(
        "invalid-entry error a/b/broken: tree/a/b/broken.md:3: malformed YAML frontmatter"
    )
    assert by_code["broken-relation"] == (
        "broken-relation error a/b/dangling: depends_on -> a/b/gone: no such entry or folder "
        "(fix: --fix drops the relation, or create the target)"
    )
    assert by_code["broken-link"] == (
        "broken-link warning a/b/linker: inline link [[a/b/nowhere]]: no such entry or folder "
        "(fix: --fix unwraps it to plain text, or create the target)"
    )
    assert by_code["secret"] == (
        "secret error a/b/leaky: github-token in the body, line 9 (ghp_…) (fix: --fix redacts "
        "it; rotate the credential (it stays in git history until "
        "`ctx forget a/b/leaky --purge`))"
    )
    assert by_code["missing-provenance"] == (
        "missing-provenance warning a/b/agent: trust agent but no sources (fix: --fix adds the "
        "store commit that introduced it, or ctx edit a/b/agent --add-source TYPE:REF)"
    )
    # The original (added first) is kept; the newer copy is merged into it.
    assert by_code["near-duplicate"] in {
        f"near-duplicate warning a/d/dup-two: near-identical to a/d/dup-one (100% similar{why}) "
        "(fix: ctx merge a/d/dup-two a/d/dup-one)"
        for why in ("", "; a/d/dup-one is older")
    }
    assert by_code["oversized"] == (
        "oversized warning a/b/big: 2,270 bytes, over the 1,500-byte lint limit "
        "(fix: ctx split a/b/big)"
    )
    assert by_code["retired-dependency"] == (
        "retired-dependency info a/b/user: depends_on a/b/old-way, which is superseded by "
        "a/b/new-way (fix: ctx link a/b/user a/b/new-way --type depends_on, then "
        "ctx unlink a/b/user a/b/old-way)"
    )
    assert by_code["bad-validity"].startswith(
        "bad-validity warning a/b/expiring: valid_until 'someday' is not a date"
    )
    assert by_code["orphan"] == (
        "orphan info x/y/lonely: no relations or links in or out "
        "(fix: relate it: ctx link x/y/lonely OTHER-ID)"
    )
    assert ctx("lint").stderr.startswith("3 errors, 8 warnings, 2 info found in 16 entries\n")
    # a prefix narrows the report, not the checks: a/b/dangling's target is still resolved
    assert pairs(ctx("lint", "a/c", "--json").stdout) == [("contradiction", "a/c/left")]
    plain, strict = ctx("lint", "a/c"), ctx("lint", "a/c", "--strict")
    assert (plain.code, strict.code) == (0, 5)
    assert strict.stdout == plain.stdout and "a/c/left" in plain.stdout


def test_fix_repairs_the_mechanical_findings_in_one_commit(ctx: Ctx) -> None:
    seed(ctx)
    before = int(ctx.git("rev-list", "--count", "HEAD"))
    introduced = ctx.git("log", "--format=%h", "--diff-filter=A", "--", "tree/a/b/agent.md")
    run = ctx("lint", "--fix")
    assert run.code == 5  # the invalid entry is no mechanical fix
    assert int(ctx.git("rev-list", "--count", "HEAD")) == before + 1
    message = ctx.git("log", "-1", "--format=%B")
    assert message.startswith("lint: fixed 6 findings\n\n")
    assert "Ctx-Op: lint\n" in message
    assert ctx.git("status", "--porcelain") == ""
    assert sorted(ctx.git("show", "--name-status", "--format=", "HEAD").splitlines()) == [
        "D\ttree/gone/away/_index.md",
        "M\ttree/a/b/_index.md",
        "M\ttree/a/b/agent.md",
        "M\ttree/a/b/dangling.md",
        "M\ttree/a/b/leaky.md",
        "M\ttree/a/b/linker.md",
    ]
    assert [line.split(" ", 1)[0] for line in run.stdout.splitlines()] == [c for c, _ in REMAINING]
    assert "fixed 6 findings (" in run.stderr
    assert "1 error, 4 warnings, 2 info remain in 16 entries" in run.stderr

    agent = json.loads(ctx.ok("show", "a/b/agent", "--json"))
    assert agent["sources"] == [{"type": "commit", "ref": introduced.strip()}]
    assert ctx.file("a/b/linker").read_text().endswith("See [[a/b/hub]] and that.\n")
    leaky = ctx.file("a/b/leaky").read_text()
    assert TOKEN not in leaky and "[REDACTED:github-token]" in leaky
    dangling = json.loads(ctx.ok("show", "a/b/dangling", "--json"))
    assert dangling["relations"] == [{"type": "related", "target": "a/b/hub"}]
    summary = (ctx.store / "tree/a/b/_index.md").read_text()
    assert summary.startswith("---\ngenerated_by: ctx\ninputs: ")
    assert "- [[a/b/leaky]] **Deploy token**\n" in summary
    assert not (ctx.store / "tree/gone").exists()

    assert pairs(ctx("lint", "--json").stdout) == REMAINING
    again = ctx("lint", "--fix", "--json")
    assert json.loads(again.stdout)["fixed"] == [] and json.loads(again.stdout)["commit"] is None
    assert int(ctx.git("rev-list", "--count", "HEAD")) == before + 1


def test_fix_dry_run_prints_the_diff_and_changes_nothing(ctx: Ctx) -> None:
    seed(ctx)
    head = ctx.git("rev-parse", "HEAD")
    run = ctx("lint", "--fix", "--dry-run")
    assert run.code == 5
    assert "diff --git a/tree/a/b/leaky.md b/tree/a/b/leaky.md\n" in run.stdout
    assert f"-Use {TOKEN} to deploy.\n+Use [REDACTED:github-token] to deploy.\n" in run.stdout
    assert "diff --git a/tree/gone/away/_index.md b/tree/gone/away/_index.md\ndeleted file\n" in (
        run.stdout
    )
    assert "dry run: would fix 6 findings; no commit" in run.stderr
    assert "1 error, 4 warnings, 2 info would remain in 16 entries" in run.stderr
    assert ctx.git("rev-parse", "HEAD") == head
    assert ctx.git("status", "--porcelain") == ""
    data = json.loads(ctx("lint", "--fix", "--dry-run", "--json").stdout)
    assert data["dry_run"] is True and data["commit"] is None
    assert [(f["code"], f["entry"]) for f in data["fixed"]] == [
        p for p in SEEDED if p not in REMAINING
    ]
    assert [(f["code"], f["entry"]) for f in data["findings"]] == REMAINING


def test_fix_under_a_prefix_touches_only_that_prefix(ctx: Ctx) -> None:
    seed(ctx)
    ctx("lint", "a/b/linker", "--fix")
    assert ctx.git("show", "--name-only", "--format=", "HEAD") == "tree/a/b/linker.md\n"


def test_archived_entries_resolve_targets_and_are_scanned_for_secrets(ctx: Ctx) -> None:
    add(ctx, "a/b/hub", "Hub")
    write(ctx, "archive/a/b/retired.md", entry_text(
        "Retired", "relations:", "  - {type: related, target: a/b/nothing}",
        body=f"\ntoken {TOKEN}\n"))  # fmt: skip
    write(ctx, "tree/a/b/user.md", entry_text(
        "User", "relations:", "  - {type: depends_on, target: a/b/retired}",
        "  - {type: related, target: a/b/hub}"))  # fmt: skip
    commit_by_hand(ctx, "hand edits")
    # an archived entry's own dead relations are history, not findings
    assert pairs(ctx("lint", "--json").stdout) == [
        ("secret", "a/b/retired"),
        ("retired-dependency", "a/b/user"),
    ]
    ctx("lint", "--fix")
    assert ctx.git("show", "--name-only", "--format=", "HEAD") == "archive/a/b/retired.md\n"
    assert "token [REDACTED:github-token]" in (ctx.store / "archive/a/b/retired.md").read_text()
    assert ctx("lint").stdout == (
        "retired-dependency info a/b/user: depends_on a/b/retired, which is archived "
        "(fix: ctx unlink a/b/user a/b/retired, or ctx restore a/b/retired)\n"
    )


def test_usage_errors(ctx: Ctx) -> None:
    run = ctx("lint", "--dry-run")
    assert (run.code, run.stderr) == (2, "ctx: error: --dry-run needs --fix\n"
                                         "  hint: run `ctx lint --fix --dry-run`\n")  # fmt: skip
    fails(ctx("lint", "../x"), 5, "invalid id '../x': segment '..' is not a slug")  # not a prefix
    run = ctx("lint", "no/such")
    assert (run.code, run.stderr) == (
        3,
        "ctx: error: nothing under 'no/such'\n  hint: list entries with `ctx ls [PREFIX]`\n",
    )


def test_help_documents_every_code() -> None:
    from typer.testing import CliRunner

    help_text = CliRunner().invoke(build(), ["lint", "--help"]).stdout
    for code, severity, fixable, _text in lint.CODES:
        line = next(line for line in help_text.splitlines() if f" {code} " in line)
        assert line.split()[0] == severity and (line.split()[1] == "*") is fixable, line


# ---- pure checks ---------------------------------------------------------------------------
def entry(entry_id: str, *relations: str, **fields: object) -> Entry:
    rels = tuple(Relation(*r.split(":", 1)) for r in relations)
    values: dict[str, object] = {"title": entry_id.rsplit("/", 1)[-1], "trust": "user", **fields}
    return Entry(id=entry_id, relations=rels, **values)  # type: ignore[arg-type]


NOW = "2026-11-20T10:00:00Z"


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([entry("a/b/c", "related:a/b/d"), entry("a/b/d")], []),
        ([entry("a/b/c", "related:a/b")], []),  # a folder is a target
        ([entry("a/b/c", "related:a/b/zz")], [("broken-relation", "a/b/c"), ("orphan", "a/b/c")]),
        ([entry("a/b/c", body="[[a/b/zz]]")], [("broken-link", "a/b/c"), ("orphan", "a/b/c")]),
        ([entry("a/b/c", body="[[a/b/d]]"), entry("a/b/d")], []),  # backlinks count
        ([entry("a/b/c", "related:a/b/zz", body="[[a/b/zz]] [[a/b/c]]")],
         [("broken-link", "a/b/c"), ("broken-relation", "a/b/c"), ("orphan", "a/b/c")]),
        ([entry("a/b/c", kind="episode")], []),
        ([entry("a/b/c", "related:a/b/old")], []),  # archived targets resolve
        ([entry("a/b/c", trust="agent")], [("missing-provenance", "a/b/c"), ("orphan", "a/b/c")]),
        ([entry("a/b/c", "related:a/b", trust="external", sources=(Source("url", "u"),))], []),
        ([entry("a/b/c", "contradicts:a/b/d"), entry("a/b/d", "contradicts:a/b/c")],
         [("contradiction", "a/b/c")]),
        # resolved: superseded, expired, or the other side archived
        ([entry("a/b/c", "contradicts:a/b/d"), entry("a/b/d"), entry("a/b/e", "supersedes:a/b/d")],
         []),
        ([entry("a/b/c", "contradicts:a/b/d"), entry("a/b/d", valid_until="2026-11-19")], []),
        ([entry("a/b/c", "contradicts:a/b/old")], []),
        ([entry("a/b/c", "depends_on:a/b/d"), entry("a/b/d", valid_until="2026-11-19")],
         [("retired-dependency", "a/b/c")]),
        ([entry("a/b/c", "depends_on:a/b/d"), entry("a/b/d", valid_until="2026-11-20")], []),
        ([entry("a/b/c", "depends_on:a/b/old")], [("retired-dependency", "a/b/c")]),
        ([entry("a/b/c", "related:a/b", valid_from="2026-12-01", valid_until="2026-11-01")],
         [("bad-validity", "a/b/c")]),
        ([entry("a/b/c", "related:a/b", summary=f"key {TOKEN}")], [("secret", "a/b/c")]),
    ],
)  # fmt: skip
def test_checks(entries: list[Entry], expected: list[tuple[str, str]]) -> None:
    corpus = lint.Corpus(
        entries=entries,
        archived=[entry("a/b/old")],
        folders=frozenset({"a", "a/b"}),
        now=NOW,
    )
    found = lint.check(corpus, [], LintConfig())
    assert [(f.code, f.entry) for f in found] == expected


@pytest.mark.parametrize(
    ("a", "b", "duplicate"),
    [
        (("Refresh tokens rotate", ""), ("refresh TOKENS rotate!", ""), True),
        (("Refresh tokens rotate", ""), ("Rotate refresh tokens", ""), True),  # word order
        (("Refresh tokens rotate", ""), ("Refresh tokens", ""), False),  # no subset inflation
        (("Refresh tokens rotate", "On every use."), ("Refresh tokens rotate", "Each use."), False),
        (("Refresh tokens rotate", "On every use."), ("Refresh tokens rotate", "On every use"),
         True),
        (("Deploys on Friday", ""), ("Deploys on Monday", ""), False),
    ],
)  # fmt: skip
def test_near_duplicates(a: tuple[str, str], b: tuple[str, str], duplicate: bool) -> None:
    x = Entry(id="a/b/x", title=a[0], summary=a[1])
    y = Entry(id="a/b/y", title=b[0], summary=b[1])
    found = lint.near_duplicates({"a/b/x": x, "a/b/y": y}, [("a/b/y", "a/b/x")] * 2, 90)
    assert len(found) == int(duplicate)
    if duplicate:
        assert (found[0].entry, found[0].target) == ("a/b/y", "a/b/x")  # same age: id order


@pytest.mark.parametrize(
    ("x", "y", "kept", "why"),
    [
        (("2026-01-01T00:00:00Z", 50), ("2026-02-01T00:00:00Z", 50), "a/b/x", "; a/b/x is older"),
        (("2026-03-01T00:00:00Z", 50), ("2026-02-01T00:00:00Z", 90), "a/b/y", "; a/b/y is older"),
        (("2026-02-01T00:00:00Z", 40), ("2026-02-01T00:00:00Z", 90), "a/b/y",
         "; a/b/y is more important"),
        (("", 50), ("2026-02-01T00:00:00Z", 50), "a/b/y", "; a/b/y is older"),
        (("", 50), ("", 50), "a/b/x", ""),
    ],
)  # fmt: skip
def test_near_duplicates_keep_the_original(
    x: tuple[str, int], y: tuple[str, int], kept: str, why: str
) -> None:
    """lint advises merging the newer copy into the original, never the other way round."""
    a = Entry(id="a/b/x", title="Refresh tokens rotate", created=x[0], importance=x[1])
    b = Entry(id="a/b/y", title="Refresh tokens rotate", created=y[0], importance=y[1])
    (found,) = lint.near_duplicates({"a/b/x": a, "a/b/y": b}, [("a/b/x", "a/b/y")], 90)
    fold = "a/b/y" if kept == "a/b/x" else "a/b/x"
    assert (found.entry, found.target, found.fix) == (fold, kept, f"ctx merge {fold} {kept}")
    assert found.message == f"near-identical to {kept} (100% similar{why})"


def test_oversized_and_stale_summaries() -> None:
    c = entry("a/b/c", "related:a/b")
    fresh = render_index("a/b", [c], [])
    corpus = lint.Corpus(
        entries=[c],
        folders=frozenset({"a", "a/b"}),
        sizes={"a/b/c": 101},
        indexes={"a/b": fresh, "a": "# hand-written\n", "z/q": fresh},
        now=NOW,
    )
    found = lint.check(corpus, [], LintConfig(oversized_bytes=100))
    assert [(f.code, f.entry, f.path) for f in found] == [
        ("stale-summary", "a/_index.md", "tree/a/_index.md"),
        ("oversized", "a/b/c", "tree/a/b/c.md"),
        ("stale-summary", "z/q/_index.md", "tree/z/q/_index.md"),
    ]
    assert lint.check(corpus, [], LintConfig(oversized_bytes=101))[1].code == "stale-summary"


def test_repair_applies_each_fix_and_stays_valid() -> None:
    broken = entry("a/b/c", "related:a/b/gone", "related:a/b/d", trust="agent",
                   body=f"[[a/b/zz]] {TOKEN}\n", keywords=(TOKEN,))  # fmt: skip
    corpus = lint.Corpus(entries=[broken, entry("a/b/d")], folders=frozenset({"a/b"}), now=NOW)
    found = [f for f in lint.check(corpus, [], LintConfig()) if f.entry == "a/b/c"]
    assert [f.code for f in found] == ["broken-link", "broken-relation", "missing-provenance",
                                       "secret"]  # fmt: skip
    fixed = lint.repair(broken, found, "abc1234")
    assert fixed.relations == (Relation("related", "a/b/d"),)
    assert fixed.body == "a/b/zz [REDACTED:github-token]\n"
    assert fixed.keywords == ("[REDACTED:github-token]",)
    assert fixed.sources == (Source("commit", "abc1234"),)
    text = frontmatter.serialize(fixed)
    assert frontmatter.parse(text, "a/b/c") == fixed
    assert lint.repair(broken, [], "abc1234") == broken
    assert lint.repair(broken, found, None).sources == ()
