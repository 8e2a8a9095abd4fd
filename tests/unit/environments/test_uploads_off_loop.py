"""Upload work runs in worker threads, never on the event loop (issue 14: "No blocking on the loop").

A 200 MB gzip tar inflated, or a large file packed, on the loop would stall every other request
for seconds. No timing is asserted here: each test checks on which thread the heavy step ran.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import threading
from typing import IO, Any

import pytest

from orchestrator.environments import archives, files
from orchestrator.environments.archives import as_tar, spooled
from orchestrator.environments.files import WorkspaceFiles
from orchestrator.environments.uploads import UploadSession, UploadSessions


class _Backend:
    """Just enough of a `SandboxBackend` for `WorkspaceFiles.write` and `extract`: archives it is given."""

    def __init__(self) -> None:
        self.archives: list[bytes] = []

    async def put_archive(self, sandbox_id: str, path: str, tar_bytes: bytes | IO[bytes]) -> None:
        self.archives.append(tar_bytes if isinstance(tar_bytes, bytes) else tar_bytes.read())


def _members(tar_bytes: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return {m.name: (tar.extractfile(m) or io.BytesIO()).read() for m in tar.getmembers() if m.isfile()}


def _tar(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _recording(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Wrap `module.name` so each call records the thread it ran on."""
    threads: list[int] = []
    real = getattr(module, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)
    return threads


async def test_a_gzip_tar_is_inflated_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads = _recording(monkeypatch, archives, "_gunzip")
    backend = _Backend()
    upload = spooled([gzip.compress(_tar("a.txt", b"hello"))])
    with upload:
        await WorkspaceFiles(backend, "sbx").extract("data", upload)  # type: ignore[arg-type]
    assert threads and threading.get_ident() not in threads
    assert _members(backend.archives[0]) == {"a.txt": b"hello"}


async def test_a_file_is_packed_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads = _recording(monkeypatch, files, "packed")
    backend = _Backend()
    with spooled([b"hel", b"lo"]) as upload:
        await WorkspaceFiles(backend, "sbx").write("dir/b.txt", upload)  # type: ignore[arg-type]
    assert threads and threading.get_ident() not in threads
    assert _members(backend.archives[0]) == {"dir/b.txt": b"hello"}


def test_a_plain_tar_passes_through_and_a_gzip_one_is_inflated() -> None:
    plain = _tar("c.txt", b"x" * 10)
    with spooled([plain]) as source:
        assert as_tar(source, 1 << 20) is source
    with spooled([gzip.compress(plain)]) as source, as_tar(source, 1 << 20) as inflated:
        assert inflated.read() == plain


def test_chunks_are_kept_as_they_came_and_a_retried_chunk_is_recognised() -> None:
    sessions = UploadSessions(max_bytes=100)
    upload_id = sessions.start(UploadSession("t", "env", "f", True, False, None))
    sessions.chunk("t", upload_id, 0, b"abc")
    session = sessions.chunk("t", upload_id, 3, b"def")
    again = sessions.chunk("t", upload_id, 2, b"cdef")  # spans two received chunks
    assert again is session and session.parts == [b"abc", b"def"] and session.received == 6
    with spooled(session.parts) as spool:
        assert spool.read() == b"abcdef"
