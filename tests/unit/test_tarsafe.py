"""Malicious archives are refused before anything is written (SECURITY-CHECKLIST: tar traversal / bombs)."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.sandbox import UnsafeArchiveError
from orchestrator.sandbox.tarsafe import TarLimits, check_tar, pack_files, safe_extract


def build(add: Callable[[tarfile.TarFile], None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:") as archive:
        ok = tarfile.TarInfo("fine.txt")
        ok.size = 2
        archive.addfile(ok, io.BytesIO(b"ok"))  # a harmless member first: nothing may be written
        add(archive)
    return buffer.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "", data: bytes = b"") -> Callable:
    def add(archive: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type, info.linkname, info.size = kind, linkname, len(data)
        archive.addfile(info, io.BytesIO(data) if data else None)

    return add


def many(count: int) -> Callable:
    def add(archive: tarfile.TarFile) -> None:
        for i in range(count):
            archive.addfile(tarfile.TarInfo(f"m/{i}"))

    return add


CASES = {
    "absolute path": (member("/etc/cron.d/evil", data=b"x"), "absolute path"),
    "dot-dot member": (member("../outside.txt", data=b"x"), "'..' component"),
    "nested dot-dot": (member("a/../../outside.txt", data=b"x"), "'..' component"),
    "symlink escaping": (member("link", tarfile.SYMTYPE, "/etc/passwd"), "link to '/etc/passwd'"),
    "relative symlink escaping": (member("link", tarfile.SYMTYPE, "../../x"), "link to"),
    "hard link": (member("hard", tarfile.LNKTYPE, "/etc/shadow"), "link to"),
    "character device": (member("dev", tarfile.CHRTYPE), "device"),
    "block device": (member("blk", tarfile.BLKTYPE), "device"),
    "fifo": (member("fifo", tarfile.FIFOTYPE), "FIFO"),
    "100k members": (many(100_000), "more than 10000 members"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_malicious_tar_is_refused_and_nothing_is_written(case: str, tmp_path: Path) -> None:
    add, reason = CASES[case]
    dest = tmp_path / "target"
    with pytest.raises(UnsafeArchiveError, match=reason.replace("(", r"\(")):
        safe_extract(build(add), dest)
    assert not dest.exists() or not any(dest.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"] or not (tmp_path / "target").exists()
    assert not (tmp_path / "outside.txt").exists()


def test_size_cap_refuses_a_bomb(tmp_path: Path) -> None:
    archive = build(member("big.bin", data=b"\0" * 4096))
    with pytest.raises(UnsafeArchiveError, match="unpacks to more than"):
        safe_extract(archive, tmp_path, TarLimits(max_total_bytes=1024))


def test_compressed_archive_is_refused() -> None:
    with pytest.raises(UnsafeArchiveError, match="gzip-compressed"):
        check_tar(gzip.compress(pack_files({"a.txt": b"a"})))


def test_garbage_is_refused() -> None:
    with pytest.raises(UnsafeArchiveError, match="not a valid uncompressed tar"):
        check_tar(b"this is not a tar archive at all" * 40)


def test_pack_then_extract_round_trips_with_parents(tmp_path: Path) -> None:
    files = {"a.txt": b"A", "deep/er/b.txt": b"B"}
    written = safe_extract(pack_files(files), tmp_path)
    assert {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in written} == files
    names = [m.name for m in check_tar(pack_files(files))]
    assert names[:2] == ["deep", "deep/er"], "parent directories come first, owned by the sandbox user"
