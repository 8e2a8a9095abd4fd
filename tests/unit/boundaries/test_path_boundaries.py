"""Workspace containment at its edges (issue 21): sibling folders, links, backslashes, `~`, NUL.

The mutation pass found containment checked by string prefix (`/workspace-evil` counted as inside)
and the file API accepting backslashes, which only a Docker-backed test noticed. These tests call
the real checks with no engine: the model's file tools on a temporary workspace beside a sibling
`workspace-evil`, the API's `workspace_path` and the file routes of the in-process app, and the
in-sandbox helper's path splitter.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath

import pytest

from agents.tools.args import EditFileArgs, ListFilesArgs, ReadFileArgs, SearchFilesArgs, WriteFileArgs
from agents.tools.files import FileTools
from agents.tools.search import FileSearch
from agents.tools.workspace import PathOutsideWorkspace, Workspace
from orchestrator.config import Settings
from orchestrator.environments.files import FilePathError, workspace_path
from orchestrator.sandbox import workspace_helper
from orchestrator.store.environment_spec import EnvironmentSpec
from tests.unit.api_app.conftest import App, start_app

SECRET = "sibling secret"


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Workspace, Path]:
    """`workspace/` with a file, a link to the sibling, and the sibling `workspace-evil/` beside it."""
    root, evil = tmp_path / "workspace", tmp_path / "workspace-evil"
    root.mkdir()
    evil.mkdir()
    (evil / "secret.txt").write_text(SECRET)
    (root / "inside.txt").write_text("inside")
    (root / "to-evil").symlink_to(evil)
    (root / "evil-file").symlink_to(evil / "secret.txt")
    (root / "to-inside").symlink_to(root / "inside.txt")
    return Workspace.at(root), evil


def _outside(ws: Workspace, evil: Path) -> list[str]:
    """Every spelling of the sibling's file the model might send."""
    return [
        str(evil / "secret.txt"),
        f"{ws.root}-evil/secret.txt",
        "../workspace-evil/secret.txt",
        "./../workspace-evil/secret.txt",
        "inside/../../workspace-evil/secret.txt",
        "to-evil/secret.txt",
        "evil-file",
        f"{ws.root}/to-evil/secret.txt",
        f"{ws.root}/../workspace-evil/secret.txt",
    ]


def test_sibling_folder_and_links_out_are_refused(tree: tuple[Workspace, Path]) -> None:
    ws, evil = tree
    for path in _outside(ws, evil):
        with pytest.raises(PathOutsideWorkspace):
            ws.resolve(path)
    with pytest.raises(PathOutsideWorkspace):
        ws.resolve(str(evil))
    with pytest.raises(PathOutsideWorkspace):
        ws.resolve("..")


def test_the_refusal_says_how(tree: tuple[Workspace, Path]) -> None:
    ws = tree[0]
    with pytest.raises(PathOutsideWorkspace, match="a symlink inside it points outside"):
        ws.resolve("to-evil/secret.txt")
    with pytest.raises(PathOutsideWorkspace, match="it is outside the workspace"):
        ws.resolve("../workspace-evil/secret.txt")


def test_inside_paths_resolve_inside(tree: tuple[Workspace, Path]) -> None:
    ws, _ = tree
    assert ws.resolve(".") == ws.root
    assert ws.resolve(str(ws.root)) == ws.root
    assert ws.resolve(f"{ws.root}/") == ws.root
    assert ws.resolve("inside.txt") == ws.root / "inside.txt"
    assert ws.resolve(f"{ws.root}/inside.txt") == ws.root / "inside.txt"
    assert ws.resolve("to-inside") == ws.root / "inside.txt", "a link that stays inside is followed"
    assert ws.resolve("new/dir/file.txt") == ws.root / "new/dir/file.txt"
    assert ws.resolve("a/../b") == ws.root / "b"
    assert ws.relative(ws.root) == "." and ws.relative(ws.root / "a/b") == "a/b"


def test_backslashes_are_plain_name_characters_inside(tree: tuple[Workspace, Path]) -> None:
    """On the sandbox's POSIX file system `..\\x` is one odd name inside the workspace, never a parent."""
    ws, _ = tree
    for path in ("..\\workspace-evil\\secret.txt", "\\..\\..\\etc\\passwd", "a\\..\\..\\b"):
        resolved = ws.resolve(path)
        assert resolved.parent == ws.root and resolved.name == path, path


def test_home_is_not_a_way_out(tree: tuple[Workspace, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    ws, evil = tree
    monkeypatch.setenv("HOME", str(evil))
    try:
        resolved = ws.resolve("~/secret.txt")
    except PathOutsideWorkspace:
        return
    assert resolved.is_relative_to(ws.root), resolved


@pytest.mark.parametrize("path", ["", "   ", "a\x00b", "inside.txt\x00/../../x"])
def test_empty_and_nul_paths_are_refused(tree: tuple[Workspace, Path], path: str) -> None:
    with pytest.raises(PathOutsideWorkspace):
        tree[0].resolve(path)


async def test_every_file_tool_refuses_the_sibling(tree: tuple[Workspace, Path]) -> None:
    ws, evil = tree
    files, search = FileTools(ws), FileSearch(ws, use_ripgrep=False)
    for path in _outside(ws, evil):
        calls = [
            files.read_file(ReadFileArgs(path=path)),
            files.write_file(WriteFileArgs(path=path, content="overwritten")),
            files.edit_file(EditFileArgs(path=path, old_text="sibling", new_text="owned")),
            files.list_files(ListFilesArgs(path=path)),
            search.search_files(SearchFilesArgs(pattern="secret", path=path)),
        ]
        for call in calls:
            with pytest.raises(PathOutsideWorkspace):
                await call
    assert (evil / "secret.txt").read_text() == SECRET
    assert sorted(os.listdir(evil)) == ["secret.txt"]


async def test_write_through_a_backslash_name_stays_inside(tree: tuple[Workspace, Path]) -> None:
    ws, evil = tree
    result = await FileTools(ws).write_file(WriteFileArgs(path="..\\workspace-evil\\secret.txt", content="x"))
    assert not result.is_error
    assert (ws.root / "..\\workspace-evil\\secret.txt").read_text() == "x"
    assert (evil / "secret.txt").read_text() == SECRET


# ---- the API's paths --------------------------------------------------------------------------

API_BAD = {
    "backslash": "a\\b.txt",
    "backslash escape": "..\\..\\etc\\passwd",
    "leading backslash": "\\etc",
    "dot-dot": "../workspace-evil/x",
    "dot-dot inside": "a/../../workspace-evil",
    "dot-dot last": "a/..",
    "NUL": "a\x00b",
}


@pytest.mark.parametrize("path", API_BAD.values(), ids=API_BAD.keys())
def test_workspace_path_refuses(path: str) -> None:
    with pytest.raises(FilePathError):
        workspace_path(path)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", "/workspace"),
        ("/", "/workspace"),
        ("a.txt", "/workspace/a.txt"),
        ("a//b/", "/workspace/a/b"),
        ("..a/b..", "/workspace/..a/b.."),
        ("./a", "/workspace/a"),
    ],
)
def test_workspace_path_stays_under_the_workspace(path: str, expected: str) -> None:
    assert workspace_path(path) == PurePosixPath(expected)


@pytest.fixture
async def files_api(tmp_path: Path) -> AsyncIterator[tuple[App, str]]:
    """The app without sandboxes and one stored environment of tenant A (no container needed)."""
    settings = Settings(data_dir=tmp_path / "data", sandboxes=False)
    async for app in start_app(settings):
        await app.services.store.environments.create("tenant-a", "env-paths", EnvironmentSpec())
        yield app, "env-paths"


ROUTE_BAD = {
    "backslash": "a%5Cb.txt",
    "backslash escape": "..%5C..%5Cetc",
    "dot-dot": "%2E%2E/workspace-evil",
    "NUL": "a%00b",
    "absolute": "%2Fetc/passwd",
    "absolute sibling": "%2Fworkspace-evil/x",
}


@pytest.mark.parametrize("path", ROUTE_BAD.values(), ids=ROUTE_BAD.keys())
async def test_file_routes_refuse_with_400_naming_file_path(files_api: tuple[App, str], path: str) -> None:
    """Refused by the path check itself (`file_path`), before the route looks for a sandbox."""
    app, env = files_api
    calls = [
        ("GET", f"/v1beta/environments/{env}/files/{path}", {}),
        ("GET", f"/v1beta/environments/{env}/files/{path}", {"alt": "media"}),
        ("PUT", f"/upload/v1beta/environments/{env}/files/{path}", {}),
        ("PUT", f"/upload/v1beta/environments/{env}/files/{path}", {"extract": "true"}),
    ]
    for method, url, params in calls:
        response = await app.a.request(method, url, params=params)
        assert response.status_code == 400, (method, url, response.text)
        violation = response.json()["error"]["details"][0]["fieldViolations"][0]
        assert violation["field"] == "file_path", (method, url, response.text)
        assert "etc" not in violation["description"] and "evil" not in violation["description"]


async def test_a_safe_path_passes_the_check(files_api: tuple[App, str]) -> None:
    """The control: the same routes with a safe path get past `file_path` (no sandbox here: 400 on
    `environment`, or an upload URL)."""
    app, env = files_api
    listed = await app.a.get(f"/v1beta/environments/{env}/files/a/b.txt")
    assert listed.json()["error"]["details"][0]["fieldViolations"][0]["field"] == "environment"
    started = await app.a.put(f"/upload/v1beta/environments/{env}/files/a/b.txt")
    assert started.status_code == 200 and started.headers["x-goog-upload-url"]
    root_upload = await app.a.put(f"/upload/v1beta/environments/{env}/files/", params={"extract": "false"})
    assert root_upload.status_code == 400, "a plain upload needs a file name"


# ---- the in-sandbox helper --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["..", "a/..", "../x", "a/../../b", "a\x00b"])
def test_helper_refuses_parent_and_nul(path: str) -> None:
    with pytest.raises(workspace_helper.Refused) as caught:
        workspace_helper._parts(path)
    assert caught.value.code == workspace_helper.EXIT_BAD_INPUT


def test_helper_splits_inside_paths() -> None:
    assert workspace_helper._parts("") == []
    assert workspace_helper._parts("./a//b/.") == ["a", "b"]
    assert workspace_helper._parts("..a\\..\\b") == ["..a\\..\\b"], "a backslash is part of one name"
