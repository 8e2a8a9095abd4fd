"""Tar caps at the cap and one past it (issue 21): member count and unpacked size, with the default
limits and with an operator's own.

The mutation pass found the member cap nine times looser and no test noticed: the only test used
100,000 members, past any plausible cap. Here archives sit exactly at each cap and one past it. The
1 GiB total is checked on a sparse file: `check_tar` reads headers only, so no gigabyte is written.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from orchestrator.sandbox import UnsafeArchiveError
from orchestrator.sandbox.tarsafe import TarLimits, check_tar, pack_files, safe_extract

DEFAULT = TarLimits()


def _members(count: int, size: int = 0) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:") as archive:
        for i in range(count):
            info = tarfile.TarInfo(f"m/{i}")
            info.size = size
            archive.addfile(info, io.BytesIO(b"x" * size) if size else None)
    return buffer.getvalue()


def test_the_default_caps() -> None:
    """The documented defaults: 10,000 members and 1 GiB unpacked."""
    assert (DEFAULT.max_members, DEFAULT.max_total_bytes) == (10_000, 1 << 30)


@pytest.fixture(scope="module")
def at_member_cap() -> bytes:
    return _members(DEFAULT.max_members)


def test_member_cap_default_at_the_cap(at_member_cap: bytes) -> None:
    assert len(check_tar(at_member_cap)) == DEFAULT.max_members


def test_member_cap_default_one_past(at_member_cap: bytes) -> None:
    one_more = _members(DEFAULT.max_members + 1)
    with pytest.raises(UnsafeArchiveError, match="more than 10000 members"):
        check_tar(one_more)


@pytest.mark.parametrize(("count", "ok"), [(2, True), (3, True), (4, False)])
def test_member_cap_of_an_operator(count: int, ok: bool, tmp_path: Path) -> None:
    limits = TarLimits(max_members=3)
    archive = _members(count)
    if ok:
        assert len(check_tar(archive, limits)) == count
        return
    with pytest.raises(UnsafeArchiveError, match="more than 3 members"):
        safe_extract(archive, tmp_path / "out", limits)
    assert not (tmp_path / "out").exists(), "nothing is written"


@pytest.mark.parametrize(
    ("sizes", "ok"), [((50, 49), True), ((50, 50), True), ((50, 51), False), ((101,), False)]
)
def test_total_size_cap_of_an_operator(sizes: tuple[int, ...], ok: bool) -> None:
    """The sum over members counts, not the largest one."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:") as archive:
        for i, size in enumerate(sizes):
            info = tarfile.TarInfo(f"f{i}")
            info.size = size
            archive.addfile(info, io.BytesIO(b"x" * size))
    limits = TarLimits(max_total_bytes=100)
    if ok:
        assert [m.size for m in check_tar(buffer.getvalue(), limits)] == list(sizes)
    else:
        with pytest.raises(UnsafeArchiveError, match="more than 100 bytes"):
            check_tar(buffer.getvalue(), limits)


def _sparse_archive(path: Path, sizes: list[int]) -> Path:
    """A tar of members of `sizes` bytes, written as headers into a sparse file (data reads as zeros)."""
    offset = 0
    with path.open("wb") as out:
        for i, size in enumerate(sizes):
            info = tarfile.TarInfo(f"big{i}")
            info.size = size
            out.seek(offset)
            out.write(info.tobuf(format=tarfile.PAX_FORMAT))
            offset = out.tell() + -(-size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
        out.truncate(offset + 2 * tarfile.BLOCKSIZE)  # the two zero blocks that end an archive
    return path


@pytest.mark.parametrize(
    ("sizes", "ok"),
    [
        ([(1 << 30) - 1], True),
        ([1 << 30], True),
        ([(1 << 30) - 4096, 4096], True),
        ([(1 << 30) - 4096, 4097], False),
        ([(1 << 30) + 1], False),
    ],
)
def test_total_size_default_at_the_cap_and_one_past(tmp_path: Path, sizes: list[int], ok: bool) -> None:
    with _sparse_archive(tmp_path / "big.tar", sizes).open("rb") as source:
        if ok:
            assert [m.size for m in check_tar(source)] == sizes
            assert source.tell() == 0, "a file is left at its start"
        else:
            with pytest.raises(UnsafeArchiveError, match=f"more than {1 << 30} bytes"):
                check_tar(source)


def test_packing_obeys_the_caps() -> None:
    """What Warren packs itself passes its own check (the caps are not tighter than its own archives)."""
    files = {f"d/{i}.txt": b"x" for i in range(100)}
    assert len(check_tar(pack_files(files))) == 101, "the files and their one folder"
