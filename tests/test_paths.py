"""paths: id validation and store discovery, with real directories and explicit env dicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctxtree.errors import InvalidEntryError, StoreError
from ctxtree.tree import paths

SEG64 = "a" * 64

VALID_IDS = {
    "three": ("auth/jwt/refresh-rotation", "auth/jwt/refresh-rotation"),
    "four": ("auth/jwt/keys/rotate_2", "auth/jwt/keys/rotate_2"),
    "digits": ("0/1/2", "0/1/2"),
    "md-suffix": ("auth/jwt/x.md", "auth/jwt/x"),
    "tree-prefix": ("tree/auth/jwt/x", "auth/jwt/x"),
    "both": ("tree/auth/jwt/x.md", "auth/jwt/x"),
    "surrounding-space": ("  auth/jwt/x \n", "auth/jwt/x"),
    "segment-64": (f"{SEG64}/b/c", f"{SEG64}/b/c"),
}


@pytest.mark.parametrize(("raw", "expected"), VALID_IDS.values(), ids=VALID_IDS.keys())
def test_parse_id_accepts(raw: str, expected: str) -> None:
    assert paths.parse_id(raw) == expected


INVALID_IDS = {
    "dotdot": ("../../etc/x", "is not a slug"),
    "absolute": ("/etc/x/y", "relative paths"),
    "home": ("~/x/y", "relative paths"),
    "dot-in-segment": ("a/b.c/d", "'b.c' is not a slug"),
    "uppercase": ("A/b/c", "'A' is not a slug"),
    "two-segments": ("a/b", "has 2 segments"),
    "five-segments": ("a/b/c/d/e", "has 5 segments"),
    "empty-segment": ("a//c", "'' is not a slug"),
    "trailing-slash": ("a/b/c/", "'' is not a slug"),
    "reserved-context": ("a/b/context", "'context' is reserved"),
    "reserved-index": ("a/b/_index", "'_index' is not a slug"),
    "segment-65": (f"{SEG64}a/b/c", "is not a slug"),
    "nul": ("a/b\x00/c", "segment 'b\\x00' is not a slug"),
    "newline-inside": ("a/b\nc/d", "segment 'b\\nc' is not a slug"),
    "escape": ("a/b/c\x1b", "segment 'c\\x1b' is not a slug"),
    "backslash": ("a\\b\\c", "relative paths"),
    "unicode-letter": ("café/b/c", "segment 'café' is not a slug"),
    "leading-dash": ("-a/b/c", "'-a' is not a slug"),
    "empty": ("", "'' is not a slug"),
    "only-tree": ("tree/", "'' is not a slug"),
    "space-inside": ("a/b c/d", "'b c' is not a slug"),
}


@pytest.mark.parametrize(("raw", "message"), INVALID_IDS.values(), ids=INVALID_IDS.keys())
def test_parse_id_rejects_with_a_hint(raw: str, message: str) -> None:
    with pytest.raises(InvalidEntryError) as info:
        paths.parse_id(raw)
    assert info.value.message.startswith(f"invalid id {raw!r}: ")
    assert message in info.value.message
    assert info.value.hint


PREFIXES = {
    "empty": ("", ""),
    "slash": ("/", ""),
    "domain": ("auth", "auth"),
    "domain-slash": ("auth/", "auth"),
    "topic": ("auth/jwt", "auth/jwt"),
    "entry": ("auth/jwt/x", "auth/jwt/x"),
    "subtopic-entry": ("auth/jwt/k/x", "auth/jwt/k/x"),
}


@pytest.mark.parametrize(("raw", "expected"), PREFIXES.values(), ids=PREFIXES.keys())
def test_parse_prefix(raw: str, expected: str) -> None:
    assert paths.parse_prefix(raw) == expected


@pytest.mark.parametrize("raw", ["a/b/c/d/e", "Auth", "a/../b", "auth/cache"])
def test_parse_prefix_rejects(raw: str) -> None:
    with pytest.raises(InvalidEntryError):
        paths.parse_prefix(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("auth/jwt", "auth/jwt"), ("auth/jwt/x", "auth/jwt/x"), ("tree/a/b/c/d.md", "a/b/c/d")],
)
def test_parse_target_accepts_folders_and_entries(raw: str, expected: str) -> None:
    assert paths.parse_target(raw) == expected


@pytest.mark.parametrize("raw", ["auth", "../x", "a/b/c/d/e", "a/b/context"])
def test_parse_target_rejects(raw: str) -> None:
    with pytest.raises(InvalidEntryError):
        paths.parse_target(raw)


RELPATHS = {
    "entry": ("tree/a/b/c.md", "a/b/c"),
    "subtopic": ("tree/a/b/c/d.md", "a/b/c/d"),
    "archived": ("archive/a/b/c.md", "a/b/c"),
    "domain-context": ("tree/a/context.md", None),
    "topic-context": ("tree/a/b/context.md", None),
    "subtopic-context": ("tree/a/b/c/context.md", None),
    "index": ("tree/a/b/_index.md", None),
    "too-shallow": ("tree/a/x.md", None),
    "too-deep": ("tree/a/b/c/d/e.md", None),
    "outside-tree": ("notes/a/b/c.md", None),
    "not-markdown": ("tree/a/b/c.txt", None),
    "config": ("config.yaml", None),
}


@pytest.mark.parametrize(("relpath", "expected"), RELPATHS.values(), ids=RELPATHS.keys())
def test_id_from_relpath(relpath: str, expected: str | None) -> None:
    assert paths.id_from_relpath(relpath) == expected


def test_entry_relpath_is_the_inverse() -> None:
    assert paths.entry_relpath("a/b/c") == "tree/a/b/c.md"
    assert paths.id_from_relpath(paths.entry_relpath("a/b/c/d")) == "a/b/c/d"


def make_store(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yaml").write_text("schema_version: 1\n")
    (directory / "tree").mkdir(exist_ok=True)
    return directory


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """A project with a store, a nested cwd inside it, a global store and an empty home."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "project": tmp_path / "project",
        "store": make_store(tmp_path / "project" / ".ctx"),
        "cwd": _mkdir(tmp_path / "project" / "src" / "pkg"),
        "other": make_store(tmp_path / "other" / ".ctx"),
        "xdg": tmp_path / "xdg",
        "global": make_store(tmp_path / "xdg" / "ctxtree"),
        "home": home,
        "outside": _mkdir(tmp_path / "elsewhere" / "deep"),
    }


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def test_explicit_flag_wins_over_everything(layout: dict[str, Path]) -> None:
    env = {"CTX_TREE": str(layout["other"]), "XDG_DATA_HOME": str(layout["xdg"])}
    found = paths.discover_store(str(layout["other"].parent), env, layout["cwd"])
    assert found == paths.StoreLocation(layout["other"], "flag")


def test_explicit_flag_may_name_the_store_itself(layout: dict[str, Path]) -> None:
    found = paths.discover_store(str(layout["store"]), {}, layout["outside"])
    assert found == paths.StoreLocation(layout["store"], "flag")


def test_env_wins_over_walking_and_global(layout: dict[str, Path]) -> None:
    env = {"CTX_TREE": str(layout["other"].parent), "XDG_DATA_HOME": str(layout["xdg"])}
    found = paths.discover_store(None, env, layout["cwd"])
    assert found == paths.StoreLocation(layout["other"], "env")


def test_empty_flag_and_env_are_ignored(layout: dict[str, Path]) -> None:
    env = {"CTX_TREE": "", "XDG_DATA_HOME": str(layout["xdg"])}
    found = paths.discover_store("", env, layout["cwd"])
    assert found == paths.StoreLocation(layout["store"], "walk")


def test_walk_from_inside_the_store_itself(layout: dict[str, Path]) -> None:
    cwd = _mkdir(layout["store"] / "tree" / "auth")
    found = paths.discover_store(None, {"HOME": str(layout["home"])}, cwd)
    assert found == paths.StoreLocation(layout["store"], "walk")


def test_walk_wins_over_global(layout: dict[str, Path]) -> None:
    found = paths.discover_store(None, {"XDG_DATA_HOME": str(layout["xdg"])}, layout["project"])
    assert found == paths.StoreLocation(layout["store"], "walk")


def test_global_store_under_xdg_data_home(layout: dict[str, Path]) -> None:
    found = paths.discover_store(None, {"XDG_DATA_HOME": str(layout["xdg"])}, layout["outside"])
    assert found == paths.StoreLocation(layout["global"], "global")


def test_global_store_defaults_to_home_local_share(layout: dict[str, Path]) -> None:
    store = make_store(layout["home"] / ".local" / "share" / "ctxtree")
    found = paths.discover_store(None, {"HOME": str(layout["home"])}, layout["outside"])
    assert found == paths.StoreLocation(store, "global")


def test_no_store_is_a_store_error_with_a_hint(layout: dict[str, Path]) -> None:
    env = {"HOME": str(layout["home"]), "XDG_DATA_HOME": str(layout["home"] / "none")}
    with pytest.raises(StoreError) as info:
        paths.discover_store(None, env, layout["outside"])
    assert (
        info.value.message == f"no ctx store found in {layout['outside']} or any parent directory"
    )
    assert "ctx init" in info.value.hint


def test_a_marker_without_tree_is_not_a_store_when_walking(layout: dict[str, Path]) -> None:
    (layout["outside"] / "config.yaml").write_text("")
    env = {"HOME": str(layout["home"])}
    with pytest.raises(StoreError):
        paths.discover_store(None, env, layout["outside"])
