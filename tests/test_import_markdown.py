"""`ctx import markdown` on a realistic Obsidian vault: ids from folders, wikilinks as
relations, tags and aliases, skipped files with reasons, idempotent re-import."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import Ctx

from ctxtree.curation.importers.markdown import entry_id, folder_of

VAULT = Path(__file__).parent / "data" / "import" / "vault"


def vault(ctx: Ctx) -> str:
    shutil.copytree(VAULT, ctx.cwd / "vault", symlinks=True)
    # A note saved as Latin-1 by an old editor (kept out of the repository: not UTF-8).
    (ctx.cwd / "vault/Projects/latin1.md").write_bytes(b"# Notas\n\nCaf\xe9 sin UTF-8\n")
    return "vault"


def commits(ctx: Ctx) -> int:
    return int(ctx.git("rev-list", "--count", "HEAD"))


def show(ctx: Ctx, entry: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(ctx.ok("show", entry, "--json"))
    return data


def test_vault_maps_folders_links_tags_and_aliases(ctx: Ctx) -> None:
    run = ctx("import", "markdown", vault(ctx), "--json")
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["added"] == [
        "engineering/backend/auth/legacy-session-cookies",
        "engineering/backend/auth/signing-keys",
        "engineering/backend/auth/token-refresh",
        "engineering/frontend/session-handling",
        "projects/notes/roadmap",
        "notes/notes/welcome",
    ]
    assert report["overviews"] == [
        "tree/engineering/frontend/context.md",
        "tree/engineering/context.md",
    ]
    assert report["skipped"] == [
        {"path": ".obsidian/", "reason": "hidden folder"},
        {"path": "Projects/latin1.md", "reason": "binary or not UTF-8 text"},
        {"path": "Projects/shortcut.md", "reason": "symbolic link (not followed)"},
        {"path": "attachments/session-diagram.png", "reason": "not a .md file"},
    ]
    assert report["dropped"] == {
        "embed": 1,
        "frontmatter key status": 1,
        "link to a note not imported": 2,
    }
    token = show(ctx, "engineering/backend/auth/token-refresh")
    assert token["title"] == "Refresh tokens rotate on every use"
    assert token["tags"] == ["auth", "security", "incident-response"]
    assert token["keywords"] == ["token rotation", "refresh rotation"]
    assert token["relations"] == [
        {"type": "related", "target": "engineering/backend/auth/signing-keys"},
        {"type": "related", "target": "engineering/frontend/session-handling"},
    ]
    assert token["summary"] == (
        "Each refresh issues a new refresh token and revokes the previous one, so a stolen "
        "token works at most once. Signing keys are described in Signing Keys; the client "
        "side is in session handling."
    )
    body = str(token["body"])
    assert "[[engineering/frontend/session-handling|session handling]]" in body
    assert "#comment" in body and "comment" not in token["tags"]  # type: ignore[operator]
    keys = show(ctx, "engineering/backend/auth/signing-keys")
    assert keys["title"] == "Signing Keys"  # no heading, no title: the file name
    assert keys["tags"] == ["auth", "crypto"]
    assert "runbook Key Ceremony." in str(keys["body"])  # a link to no note: its text
    roadmap = show(ctx, "projects/notes/roadmap")
    assert roadmap["summary"] == "What ships this quarter"
    assert {"type": "related", "target": "engineering/frontend"} in roadmap["relations"]  # type: ignore[operator]
    assert show(ctx, "engineering/frontend/session-handling")["tags"] == ["auth", "frontend"]
    overview = (ctx.store / "tree/engineering/context.md").read_text(encoding="utf-8")
    assert overview.startswith("---\ntitle: Engineering\nsummary: 'How the Acme platform")
    frontend = (ctx.store / "tree/engineering/frontend/context.md").read_text(encoding="utf-8")
    assert frontend.endswith(
        "Start with [[engineering/frontend/session-handling|Session Handling]].\n"
    )
    # Relations resolve: related ID lists the backlink from the legacy note.
    related = ctx.ok("related", "engineering/backend/auth/token-refresh", "--json")
    assert "engineering/backend/auth/legacy-session-cookies" in related
    assert ctx.ok("lint", "--json").count('"severity": "error"') == 0


def test_reimport_adds_nothing(ctx: Ctx) -> None:
    name = vault(ctx)
    ctx.ok("import", "markdown", name)
    before = commits(ctx)
    out = ctx.ok("import", "markdown", name)
    assert out == "markdown import of vault: 6 unchanged, 4 skipped; nothing written\n"
    assert commits(ctx) == before


def test_docs_folder_with_domain(ctx: Ctx) -> None:
    docs = ctx.cwd / "docs"
    (docs / "guides").mkdir(parents=True)
    (docs / "README.md").write_text("# Docs\n\nEverything about the CLI.\n")
    (docs / "guides" / "install.md").write_text(
        "Install\n\nRun `pip install acme`. Then [[configure]].\n"
    )
    (docs / "guides" / "configure.md").write_text("# Configure\n\nSet ACME_HOME first.\n")
    run = ctx("import", "markdown", "docs", "--domain", "docs", "--json")
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["added"] == ["docs/guides/configure", "docs/guides/install"]
    assert report["overviews"] == ["tree/docs/context.md"]
    install = show(ctx, "docs/guides/install")
    assert (install["title"], install["summary"]) == ("install", "Install")
    assert install["relations"] == [{"type": "related", "target": "docs/guides/configure"}]


def test_changed_note_updates_and_vanished_note_kept_unless_replace(ctx: Ctx) -> None:
    name = vault(ctx)
    ctx.ok("import", "markdown", name)
    note = ctx.cwd / "vault/Projects/Roadmap.md"
    note.write_text(note.read_text() + "- SSO for enterprise\n")
    (ctx.cwd / "vault/Engineering/Backend/Auth/Legacy/Session Cookies.md").unlink()
    out = ctx.ok("import", "markdown", name)
    assert out.startswith("markdown import of vault: 1 updated, 4 unchanged, 4 skipped (")
    legacy = ctx.file("engineering/backend/auth/legacy-session-cookies")
    assert legacy.exists()
    out = ctx.ok("import", "markdown", name, "--replace")
    assert out.startswith("markdown import of vault: 5 unchanged, 1 removed, 4 skipped (")
    assert not legacy.exists()


@pytest.mark.parametrize(
    ("path", "domain", "expected"),
    [
        ("Note.md", "", "notes/notes/note"),
        ("Note.md", "kb", "kb/notes/note"),
        ("A/Note.md", "", "a/notes/note"),
        ("A/B/Note.md", "", "a/b/note"),
        ("A/B/C/Note.md", "", "a/b/c/note"),
        ("A/B/C/D/E/My Note.md", "", "a/b/c/d-e-my-note"),
        ("A/B/Note.md", "kb", "kb/a/b/note"),
        ("A/context.md", "", "a/notes/context-note"),
        ("Ünïcode Dir/Ça va.md", "", "unicode-dir/notes/ca-va"),
    ],
)
def test_entry_id(path: str, domain: str, expected: str) -> None:
    assert entry_id(path, domain) == expected


@pytest.mark.parametrize(
    ("path", "domain", "expected"),
    [("README.md", "", ""), ("README.md", "kb", "kb"), ("A/B/index.md", "", "a/b"),
     ("A/B/C/index.md", "", "")],
)  # fmt: skip
def test_folder_of(path: str, domain: str, expected: str) -> None:
    assert folder_of(path, domain) == expected


def test_bad_domain_is_a_usage_error(ctx: Ctx) -> None:
    run = ctx("import", "markdown", vault(ctx), "--domain", "Bad Domain")
    assert run.code == 2
    assert run.stderr.startswith("ctx: error: bad value for --domain: invalid id 'Bad Domain'")
