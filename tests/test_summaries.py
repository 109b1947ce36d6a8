"""`_index.md` folder summaries: digest, rendering, planning (pure), and that the search index
and listings never treat a summary as an entry."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import Ctx, add, missed

from ctxtree.curation.summaries import (
    IndexUpdate,
    folder_contents,
    folder_digest,
    plan_indexes,
    recorded_digest,
    render_index,
)
from ctxtree.tree.model import Entry

A = Entry(id="auth/jwt/a-keys", title="Signing keys", summary="RS256, rotated  yearly.")
B = Entry(id="auth/jwt/b-ttl", title="Access tokens live 15 minutes")
C = Entry(id="auth/jwt/rs/c-alg", title="RS256 only", summary="No HS256.")
D = Entry(id="auth/oauth/d-google", title="Google OIDC", summary="Sign in with Google.")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_digest_is_the_sha256_of_the_sorted_lines() -> None:
    assert folder_digest([B, A]) == sha(
        "auth/jwt/a-keys\tSigning keys\tRS256, rotated yearly.\n"
        "auth/jwt/b-ttl\tAccess tokens live 15 minutes\t"
    )
    assert folder_digest([], [("auth/jwt", 3)]) == sha("auth/jwt/\t3")
    assert folder_digest([]) == sha("")


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        (([A, B], []), ([B, A], []), True),  # order of children does not matter
        (
            ([A], [("auth/jwt/rs", 1), ("auth/jwt/x", 2)]),
            ([A], [("auth/jwt/x", 2), ("auth/jwt/rs", 1)]),
            True,
        ),
        (([A], []), ([Entry(id=A.id, title=A.title, summary="RS256, rotated yearly.")], []), True),
        (([A], []), ([Entry(id=A.id, title="Signing key", summary=A.summary)], []), False),
        (([A], []), ([Entry(id=A.id, title=A.title)], []), False),  # summary dropped
        (([A], [("auth/jwt/rs", 1)]), ([A], [("auth/jwt/rs", 2)]), False),  # a subfolder grew
        (([A], []), ([Entry(id=A.id, title=A.title, summary=A.summary, body="new")], []), True),
    ],
)
def test_digest_changes_only_with_what_the_summary_shows(
    left: tuple[list[Entry], list[tuple[str, int]]],
    right: tuple[list[Entry], list[tuple[str, int]]],
    same: bool,
) -> None:
    assert (folder_digest(*left) == folder_digest(*right)) is same


def test_render_index_exact_text() -> None:
    text = render_index("auth/jwt", [B, A], [("auth/jwt/rs", 1)])
    digest = folder_digest([A, B], [("auth/jwt/rs", 1)])
    assert text == (
        "---\n"
        "generated_by: ctx\n"
        f"inputs: {digest}\n"
        "entries: 3\n"
        "---\n"
        "# auth/jwt\n"
        "\n"
        "- [[auth/jwt/a-keys]] **Signing keys**: RS256, rotated yearly.\n"
        "- [[auth/jwt/b-ttl]] **Access tokens live 15 minutes**\n"
        "- [[auth/jwt/rs]] (1 entry)\n"
    )
    assert render_index("auth", [], [("auth/oauth", 1), ("auth/jwt", 3)]).endswith(
        "# auth\n\n- [[auth/jwt]] (3 entries)\n- [[auth/oauth]] (1 entry)\n"
    )
    assert recorded_digest(text) == digest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\ninputs: " + "a" * 64 + "\n---\n", "a" * 64),
        ("---\ngenerated_by: ctx\ninputs:   " + "0" * 64 + "  \nentries: 1\n---\n# x\n", "0" * 64),
        ("---\ngenerated_by: ctx\n---\n# x\n", None),  # no digest
        ("---\ninputs: abc\n---\n", None),  # not a sha256
        ("---\ninputs: " + "a" * 64 + "\n", None),  # frontmatter not closed
        ("# x\ninputs: " + "a" * 64 + "\n", None),  # no frontmatter
        ("---\n---\ninputs: " + "a" * 64 + "\n", None),  # in the body, not the frontmatter
        ("", None),
    ],
)
def test_recorded_digest(text: str, expected: str | None) -> None:
    assert recorded_digest(text) == expected


def test_folder_contents_covers_domains_topics_and_subtopics() -> None:
    contents = folder_contents([D, C, B, A])
    assert list(contents) == ["auth", "auth/jwt", "auth/jwt/rs", "auth/oauth"]
    assert contents["auth"] == ([], [("auth/jwt", 3), ("auth/oauth", 1)])
    assert contents["auth/jwt"] == ([A, B], [("auth/jwt/rs", 1)])
    assert contents["auth/jwt/rs"] == ([C], [])


def test_plan_indexes_missing_stale_removed() -> None:
    entries = [A, B, C, D]
    fresh = {f: render_index(f, *c) for f, c in folder_contents(entries).items()}
    assert plan_indexes(entries, fresh, only_existing=False) == []
    assert plan_indexes(entries, fresh, only_existing=True) == []

    planned = plan_indexes(entries, {}, only_existing=False)
    assert [(u.folder, u.relpath, u.reason) for u in planned] == [
        ("auth", "tree/auth/_index.md", "missing"),
        ("auth/jwt", "tree/auth/jwt/_index.md", "missing"),
        ("auth/jwt/rs", "tree/auth/jwt/rs/_index.md", "missing"),
        ("auth/oauth", "tree/auth/oauth/_index.md", "missing"),
    ]
    assert [u.text for u in planned] == [fresh[u.folder] for u in planned]
    assert plan_indexes(entries, {}, only_existing=True) == []

    # D retitled: its topic is stale; the domain lists counts only, so it is not.
    retitled = [A, B, C, Entry(id=D.id, title="Google sign-in", summary=D.summary)]
    new_text = render_index("auth/oauth", [retitled[3]], [])
    assert plan_indexes(retitled, fresh, only_existing=True) == [
        IndexUpdate("auth/oauth", "tree/auth/oauth/_index.md", new_text, "stale")
    ]

    # C gone: its subtopic's summary is removed, the topic and the domain change counts.
    planned = plan_indexes([A, B, D], fresh, only_existing=True)
    assert [(u.folder, u.reason, u.text == "") for u in planned] == [
        ("auth", "stale", False),
        ("auth/jwt", "stale", False),
        ("auth/jwt/rs", "removed", True),
    ]

    # a hand-written summary without a digest is stale (regenerated), never trusted
    assert [
        u.reason for u in plan_indexes([D], {"auth/oauth": "# mine\n"}, only_existing=True)
    ] == ["stale"]


def test_a_summary_file_is_no_entry_for_search_ls_or_status(ctx: Ctx) -> None:
    add(ctx, "auth/jwt/keys", "Signing keys", "--summary", "Keys rotate yearly.")
    text = render_index("auth/jwt", [Entry(id="auth/jwt/keys", title="Signing keys")], [])
    (ctx.store / "tree" / "auth" / "jwt" / "_index.md").write_text(
        text + "\nzanzibar quokka signing keys\n"
    )
    assert missed(ctx, "zanzibar quokka") == []  # not in memory: _index.md is not searched
    hits = json.loads(ctx.ok("search", "signing keys", "--json"))["hits"]
    assert [h["id"] for h in hits] == ["auth/jwt/keys"]
    assert ctx.ok("ls") == "auth/jwt/keys  Signing keys\n"
    status = json.loads(ctx.ok("status", "--json"))
    assert status["entries"] == 1 and status["invalid"] == []
