"""Checked tar handling for everything that crosses the sandbox boundary.

Archives come from users (uploads) and from sandboxes (downloads), so both directions are untrusted:
members are checked before anything is written, and extraction uses the stdlib `data` filter as a
second line of defence (PEP 706).
"""

from __future__ import annotations

import io
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from orchestrator.sandbox.backend import UnsafeArchiveError

__all__ = ["TarLimits", "check_tar", "pack_files", "safe_extract"]

_COMPRESSED_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}


@dataclass(frozen=True)
class TarLimits:
    """Caps that stop tar bombs."""

    max_members: int = 10_000
    """Most entries one archive may hold."""
    max_total_bytes: int = 1 << 30
    """Most bytes the members may add up to once unpacked."""


def _refuse(member: str, why: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(f"refused tar member {member!r}: {why}")


def check_tar(tar_bytes: bytes | IO[bytes], limits: TarLimits = TarLimits()) -> list[tarfile.TarInfo]:
    """Validate an uncompressed tar (bytes, or a seekable file read from its start) and return its members.

    Refuses compressed archives, absolute paths, `..` components, NUL bytes, links of any kind,
    device and FIFO nodes, and archives over the member or size caps. A file is left at its start.
    """
    source = io.BytesIO(tar_bytes) if isinstance(tar_bytes, bytes) else tar_bytes
    source.seek(0)
    head = source.read(8)
    source.seek(0)
    for magic, kind in _COMPRESSED_MAGIC.items():
        if head.startswith(magic):
            raise UnsafeArchiveError(f"refused {kind}-compressed archive: send an uncompressed tar")
    members: list[tarfile.TarInfo] = []
    total = 0
    try:
        archive = tarfile.open(fileobj=source, mode="r:")  # noqa: SIM115 (closed below)
    except tarfile.TarError as exc:
        raise UnsafeArchiveError(f"not a valid uncompressed tar archive: {exc}") from exc
    with archive:
        for member in archive:
            members.append(member)
            if len(members) > limits.max_members:
                raise UnsafeArchiveError(f"archive has more than {limits.max_members} members")
            _check_member(member)
            total += member.size
            if total > limits.max_total_bytes:
                raise UnsafeArchiveError(f"archive unpacks to more than {limits.max_total_bytes} bytes")
    source.seek(0)
    return members


def _check_member(member: tarfile.TarInfo) -> None:
    name = member.name
    if "\x00" in name:
        raise _refuse(name, "NUL byte in name")
    path = PurePosixPath(name)
    if path.is_absolute():
        raise _refuse(name, "absolute path")
    if ".." in path.parts:
        raise _refuse(name, "'..' component escapes the target")
    if member.issym() or member.islnk():
        raise _refuse(name, f"link to {member.linkname!r} (links are not accepted)")
    if member.isdev() or member.isfifo():
        raise _refuse(name, "device or FIFO node")
    if not (member.isfile() or member.isdir()):
        raise _refuse(name, "unsupported member type")


def safe_extract(tar_bytes: bytes, dest: Path, limits: TarLimits = TarLimits()) -> list[Path]:
    """Check `tar_bytes`, then unpack it under `dest`; returns the files written.

    Raises:
        UnsafeArchiveError: before anything is written, when any member fails a check.
    """
    check_tar(tar_bytes, limits)
    dest = dest.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as archive:
        for member in archive:
            target = (dest / member.name).resolve()
            if not target.is_relative_to(dest):
                raise _refuse(member.name, "resolves outside the target")
            archive.extract(member, dest, filter="data")
            if member.isfile():
                written.append(target)
    return written


def pack_files(files: dict[str, bytes], uid: int = 1000, gid: int = 1000) -> bytes:
    """Build an uncompressed tar of `{relative path: content}`, owned by the sandbox user."""
    buffer = io.BytesIO()
    directories = sorted({str(parent) for name in files for parent in PurePosixPath(name).parents} - {"."})
    now = int(time.time())  # the sandbox sets each file's mtime from its member: the time it was sent
    with tarfile.open(fileobj=buffer, mode="w:") as archive:
        for directory in directories:
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            info.uid, info.gid, info.mtime = uid, gid, now
            archive.addfile(info)
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            info.uid, info.gid, info.mtime = uid, gid, now
            archive.addfile(info, io.BytesIO(content))
    tar_bytes = buffer.getvalue()
    check_tar(tar_bytes)
    return tar_bytes
