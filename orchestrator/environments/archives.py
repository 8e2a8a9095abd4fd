"""Uploads turned into tar files for the sandbox: spooled to disk, gzip inflated under caps, one file packed.

Every function here is synchronous and meant for a worker thread (`asyncio.to_thread`): an upload
may be hundreds of megabytes, and inflating, packing or even copying it in one piece would hold the
event loop (and, for a single large copy, the GIL) long enough to stall every other request (issue
14). So the bytes move in pieces of at most `PIECE` through temporary files, never as one buffer.
A gzipped upload may inflate to at most `MAX_GZIP_RATIO` times its size and the tar cap (issue 13,
finding 11); the result is checked again by the sandbox backend before it is unpacked.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import IO

from orchestrator.errors import PayloadTooLarge
from orchestrator.sandbox import UnsafeArchiveError

__all__ = ["MAX_GZIP_RATIO", "PIECE", "ArchiveTooLargeError", "as_tar", "packed", "spooled"]

MAX_GZIP_RATIO = 200
"""A gzipped upload may inflate to at most this many times its size (a bomb inflates ~1000x)."""
PIECE = 1 << 20
"""Bytes moved per read, write or inflate step."""
_GZIP_MAGIC = b"\x1f\x8b"


class ArchiveTooLargeError(PayloadTooLarge, ValueError):
    """A gzipped upload inflates past its cap."""


def _spool() -> IO[bytes]:
    return tempfile.TemporaryFile(prefix="warren-upload-")


def spooled(parts: Iterable[bytes]) -> IO[bytes]:
    """A temporary file holding `parts` one after another, at its start; closing it deletes it."""
    spool = _spool()
    for part in parts:
        spool.write(part)
    spool.seek(0)
    return spool


def as_tar(archive: IO[bytes], max_total_bytes: int) -> IO[bytes]:
    """`archive` itself when it is not gzip; else a new temporary file with it inflated, capped at
    `max_total_bytes` plus 1 MiB and `MAX_GZIP_RATIO` times its size (the caller closes both).

    Raises:
        ArchiveTooLargeError: past either cap.
        UnsafeArchiveError: not valid gzip.
    """
    archive.seek(0)
    magic = archive.read(len(_GZIP_MAGIC))
    size = archive.seek(0, os.SEEK_END)
    archive.seek(0)
    if magic != _GZIP_MAGIC:
        return archive
    spool = _spool()
    try:
        _gunzip(archive, spool, min(max_total_bytes + (1 << 20), MAX_GZIP_RATIO * size))
    except BaseException:
        spool.close()
        raise
    return spool


def _gunzip(source: IO[bytes], out: IO[bytes], cap: int) -> None:
    """Inflate gzip `source` into `out` a piece at a time; more than `cap` bytes is refused, not held."""
    inflater = zlib.decompressobj(wbits=31)
    written = 0
    try:
        while not inflater.eof:
            pending = inflater.unconsumed_tail or source.read(PIECE)
            if not pending:
                break
            chunk = inflater.decompress(pending, PIECE)
            written += len(chunk)
            if written > cap:
                raise ArchiveTooLargeError(f"the archive inflates to more than {cap} bytes")
            out.write(chunk)
        out.write(inflater.flush())
    except zlib.error as exc:
        raise UnsafeArchiveError("the archive is not valid gzip data") from exc
    if not inflater.eof:
        raise UnsafeArchiveError("the gzip data is truncated")
    out.seek(0)


def packed(name: str, source: IO[bytes], uid: int = 1000, gid: int = 1000) -> IO[bytes]:
    """A temporary file with an uncompressed tar of one file `name` (its folders too), owned by the
    sandbox user: what `tarsafe.pack_files` makes, streamed from `source` instead of held in memory."""
    size = source.seek(0, os.SEEK_END)
    source.seek(0)
    spool = _spool()
    now = int(time.time())  # the sandbox sets each file's mtime from its member: the upload's time
    with tarfile.open(fileobj=spool, mode="w:", bufsize=PIECE) as archive:
        for folder in sorted(str(parent) for parent in PurePosixPath(name).parents if str(parent) != "."):
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.uid, info.gid, info.mtime = tarfile.DIRTYPE, 0o755, uid, gid, now
            archive.addfile(info)
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.uid, info.gid, info.mtime = size, 0o644, uid, gid, now
        archive.addfile(info, source)
    spool.seek(0)
    return spool
