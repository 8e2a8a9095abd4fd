"""Bounded workspace images: each a sparse, empty ext4 filesystem of its own, copied from one template.

Real loop devices and mounts (root, losetup, mkfs.ext4 and debugfs, as the server needs them).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.sandbox.hardening import SANDBOX_GID, SANDBOX_UID
from orchestrator.sandbox.workspace_images import backing_file, bounded_possible, make_image, release_image

pytestmark = pytest.mark.skipif(not bounded_possible(), reason="needs root, losetup and mkfs.ext4")

SIZE = 64 << 20


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[list[tuple[Path, Path]]]:
    """Mount points made by the test as (image, mount point); unmounted and released afterwards."""
    made: list[tuple[Path, Path]] = []
    yield made
    for image, point in made:
        subprocess.run(["umount", str(point)], capture_output=True, check=False)
        release_image(str(image))


def _mount(folder: Path, name: str, made: list[tuple[Path, Path]]) -> Path:
    image = folder / f"warren-ws-{name}.img"
    device = make_image(image, SIZE)
    assert backing_file(device) == str(image)
    point = folder / f"mnt-{name}"
    point.mkdir()
    made.append((image, point))
    subprocess.run(["mount", "-o", "nosuid,nodev", device, str(point)], check=True, capture_output=True)
    return point


def test_each_workspace_is_an_empty_sparse_filesystem_of_its_own(
    tmp_path: Path, mounted: list[tuple[Path, Path]]
) -> None:
    first = _mount(tmp_path, "a", mounted)
    templates = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("template-"))
    assert len(templates) == 1
    made_at = (tmp_path / templates[0]).stat().st_ino
    second = _mount(tmp_path, "b", mounted)
    assert (tmp_path / templates[0]).stat().st_ino == made_at  # made once, then copied

    for point in (first, second):
        assert list(point.iterdir()) == []  # no lost+found: empty, like a plain volume
        assert (point.stat().st_uid, point.stat().st_gid) == (SANDBOX_UID, SANDBOX_GID)
    (first / "only-here").write_text("a")
    assert not (second / "only-here").exists()
    for image, _ in mounted:
        assert image.stat().st_size == SIZE
        assert image.stat().st_blocks * 512 < SIZE // 4  # sparse: the copy kept the template's holes
    free = os.statvfs(second)
    assert free.f_bavail * free.f_frsize > SIZE // 2  # the sandbox user gets the blocks (-m 0)


def test_a_file_already_at_the_path_is_left_alone(tmp_path: Path) -> None:
    image = tmp_path / "warren-ws-taken.img"
    image.write_text("someone else's")
    with pytest.raises(FileExistsError):
        make_image(image, SIZE)
    assert image.read_text() == "someone else's"
