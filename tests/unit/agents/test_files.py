"""The file tools: confinement to the workspace, reading, writing, editing, listing and searching."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from agents.tools import Toolbox, ToolboxConfig

from .conftest import SKILLS

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("do not read")
    return secret


@pytest.mark.parametrize("tool", ["read_file", "write_file", "edit_file", "list_files", "search_files"])
@pytest.mark.parametrize(
    "path", ["../outside/secret.txt", "/etc/passwd", "sub/../../outside/secret.txt", "a\x00b"]
)
async def test_paths_outside_the_workspace_are_refused(
    file_toolbox: Toolbox, outside: Path, tool: str, path: str
) -> None:
    arguments = {
        "read_file": {"path": path},
        "write_file": {"path": path, "content": "x"},
        "edit_file": {"path": path, "old_text": "do", "new_text": "done"},
        "list_files": {"path": path},
        "search_files": {"pattern": "read", "path": path},
    }[tool]
    result = await file_toolbox.call(tool, arguments)
    assert result.is_error
    assert "Refused path" in result.output
    assert outside.read_text() == "do not read"


async def test_symlinks_that_leave_the_workspace_are_refused(
    file_toolbox: Toolbox, workspace: Path, outside: Path
) -> None:
    (workspace / "link.txt").symlink_to(outside)
    (workspace / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    for arguments in ({"path": "link.txt"}, {"path": "linkdir/secret.txt"}):
        result = await file_toolbox.call("read_file", arguments)
        assert result.is_error and "symlink" in result.output
    write = await file_toolbox.call("write_file", {"path": "linkdir/new.txt", "content": "x"})
    assert write.is_error and not (outside.parent / "new.txt").exists()


async def test_absolute_paths_inside_the_workspace_are_fine(file_toolbox: Toolbox, workspace: Path) -> None:
    result = await file_toolbox.call("write_file", {"path": str(workspace / "abs.txt"), "content": "ok"})
    assert not result.is_error and result.files == ["abs.txt"]


async def test_write_creates_parents_then_read_numbers_lines(file_toolbox: Toolbox, workspace: Path) -> None:
    content = "".join(f"line {n}\n" for n in range(1, 11))
    written = await file_toolbox.call("write_file", {"path": "deep/er/notes.txt", "content": content})
    assert written.output == "Created deep/er/notes.txt (71 bytes)." and written.files == [
        "deep/er/notes.txt"
    ]
    whole = await file_toolbox.call("read_file", {"path": "deep/er/notes.txt"})
    assert whole.output.splitlines()[0] == "     1\tline 1"
    page = await file_toolbox.call("read_file", {"path": "deep/er/notes.txt", "offset": 4, "limit": 2})
    assert page.output == "     4\tline 4\n     5\tline 5\n[more lines follow: continue with offset=6]"
    past = await file_toolbox.call("read_file", {"path": "deep/er/notes.txt", "offset": 50})
    assert "fewer than 50 lines" in past.output


async def test_read_describes_binary_files(file_toolbox: Toolbox, workspace: Path) -> None:
    (workspace / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    (workspace / "dot.png").write_bytes(PNG_1PX)
    blob = await file_toolbox.call("read_file", {"path": "blob.bin"})
    assert "binary data, 300 B" in blob.output and not blob.images
    image = await file_toolbox.call("read_file", {"path": "dot.png"})
    assert "PNG image, 1x1" in image.output and image.images[0].mime_type == "image/png"


async def test_read_errors_are_clear(file_toolbox: Toolbox, workspace: Path) -> None:
    (workspace / "adir").mkdir()
    missing = await file_toolbox.call("read_file", {"path": "nope.txt"})
    assert missing.is_error and "does not exist" in missing.output
    directory = await file_toolbox.call("read_file", {"path": "adir"})
    assert directory.is_error and "is a directory" in directory.output


async def test_edit_needs_one_exact_match(file_toolbox: Toolbox, workspace: Path) -> None:
    (workspace / "code.py").write_text("a = 1\nb = 2\na = 1\nc = 3\n")
    missing = await file_toolbox.call("edit_file", {"path": "code.py", "old_text": "d = 4", "new_text": "x"})
    assert missing.is_error and "not found" in missing.output
    twice = await file_toolbox.call("edit_file", {"path": "code.py", "old_text": "a = 1", "new_text": "x"})
    assert twice.is_error and "matches 2 times" in twice.output
    ok = await file_toolbox.call(
        "edit_file", {"path": "code.py", "old_text": "a = 1\nc = 3", "new_text": "a = 9"}
    )
    assert not ok.is_error and ok.files == ["code.py"] and "line 3" in ok.output
    assert (workspace / "code.py").read_text() == "a = 1\nb = 2\na = 9\n"
    empty = await file_toolbox.call("edit_file", {"path": "code.py", "old_text": "", "new_text": "x"})
    assert empty.is_error and "`old_text`" in empty.output


async def test_list_files_respects_depth_and_marks_directories(
    file_toolbox: Toolbox, workspace: Path
) -> None:
    (workspace / "top" / "mid" / "low").mkdir(parents=True)
    (workspace / "top" / "mid" / "low" / "deep.txt").write_text("x")
    (workspace / "top" / "a.txt").write_text("hello")
    shallow = await file_toolbox.call("list_files", {"path": ".", "depth": 2})
    assert shallow.output.splitlines() == ["./", "  top/", "    mid/", "    a.txt (5 B)"]
    deep = await file_toolbox.call("list_files", {"path": "top", "depth": 3})
    assert "      deep.txt (1 B)" in deep.output.splitlines()


@pytest.mark.parametrize("use_ripgrep", [True, False], ids=["ripgrep", "python"])
async def test_search_files(workspace: Path, use_ripgrep: bool) -> None:
    tools = Toolbox(ToolboxConfig(workspace=workspace, skills_root=SKILLS, use_ripgrep=use_ripgrep))
    (workspace / "src").mkdir()
    (workspace / "src" / "app.py").write_text("def main():\n    return 42\n")
    (workspace / "notes.md").write_text("TODO: call main\nnothing here\n")
    (workspace / ".hidden").write_text("def main(): hidden\n")
    result = await tools.call("search_files", {"pattern": r"def \w+|TODO"})
    assert sorted(result.output.splitlines()) == ["notes.md:1: TODO: call main", "src/app.py:1: def main():"]
    scoped = await tools.call("search_files", {"pattern": "return", "path": "src"})
    assert scoped.output == "src/app.py:2:     return 42"
    none = await tools.call("search_files", {"pattern": "absent"})
    assert not none.is_error and "No matches" in none.output
    bad = await tools.call("search_files", {"pattern": "(unclosed"})
    assert bad.is_error


async def test_search_caps_results(file_toolbox: Toolbox, workspace: Path) -> None:
    (workspace / "many.txt").write_text("hit\n" * 500)
    result = await file_toolbox.call("search_files", {"pattern": "hit"})
    assert len(result.output.splitlines()) == 201 and "stopped after 200 matches" in result.output
