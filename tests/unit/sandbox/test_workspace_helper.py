"""The in-sandbox workspace helper, run here on a temporary "workspace" (issue 13, finding 10 and lows).

The helper must never follow a link: not in the target folder, not in a member's parents, not at
the file itself; it drops setuid/setgid/sticky/world-write, and it checks a size before reading.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from orchestrator.sandbox import workspace_helper as helper
from orchestrator.sandbox.workspace_io import frames_of_tar, helper_command


def run(
    root: Path, mode: str, path: str, *args: str | int, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    cmd = helper_command(mode, path, *args, root=str(root))
    return subprocess.run(cmd, input=stdin, capture_output=True, check=False, timeout=30)


def frames(members: dict[str, bytes], mode: int = 0o644) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return b"".join(frames_of_tar(buffer))


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace with `out -> ../outside` and `f -> ../outside/secret`, and the folder outside."""
    root, outside = tmp_path / "workspace", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret").write_text("s3cret")
    (root / "out").symlink_to(outside)
    (root / "f").symlink_to(outside / "secret")
    return root, outside


def test_put_through_a_link_is_refused_and_writes_nothing(tree: tuple[Path, Path]) -> None:
    root, outside = tree
    assert run(root, "put", "out", stdin=frames({"a.txt": b"x"})).returncode == helper.EXIT_IN_THE_WAY
    assert run(root, "put", "", stdin=frames({"out/b.txt": b"x"})).returncode == helper.EXIT_IN_THE_WAY
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


def test_put_replaces_a_link_at_the_file_instead_of_following_it(tree: tuple[Path, Path]) -> None:
    root, outside = tree
    assert run(root, "put", "", stdin=frames({"f": b"new"})).returncode == 0
    assert not (root / "f").is_symlink() and (root / "f").read_bytes() == b"new"
    assert (outside / "secret").read_text() == "s3cret"


def test_put_drops_setuid_setgid_sticky_and_world_write(tmp_path: Path) -> None:
    done = run(tmp_path, "put", "up", stdin=frames({"x/run.sh": b"#!"}, mode=0o7777))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "up/x/run.sh").stat().st_mode & 0o7777 == 0o775


def test_cat_refuses_links_and_checks_the_size_first(tree: tuple[Path, Path]) -> None:
    root, _ = tree
    (root / "big").write_bytes(b"x" * 100)
    assert run(root, "cat", "out/secret", 1000).returncode == helper.EXIT_IN_THE_WAY
    assert run(root, "cat", "f", 1000).returncode == helper.EXIT_IN_THE_WAY
    assert run(root, "cat", "missing", 1000).returncode == helper.EXIT_MISSING
    too_big = run(root, "cat", "big", 99)
    assert (too_big.returncode, too_big.stdout) == (helper.EXIT_TOO_LARGE, b"")
    ok = run(root, "cat", "big", 100)
    assert ok.stdout == helper.SIZE.pack(100) + b"x" * 100


def test_list_is_nul_separated_and_skips_links(tree: tuple[Path, Path]) -> None:
    root, _ = tree
    (root / "a\nf\t1\t0\tforged").write_bytes(b"12")
    listed = run(root, "list", "", 1)
    assert listed.returncode == 0 and listed.stdout.endswith(helper.LIST_END)
    fields = listed.stdout.removesuffix(helper.LIST_END).split(b"\0")
    assert fields[0] == b"f" and fields[1] == b"2" and fields[3] == b"a\nf\t1\t0\tforged"
    assert len(fields) == 5  # one record and the trailing separator: the links are not offered
