"""A small workspace file whose bytes the engine cut short is read once more before any byte goes
out; a large one streams, and a second cut is an error, never short content.

The pipe here stands in for the engine's exec stream: Docker 20.10 drops an exec's last output at
random ("stream copy error"), which no test can cause on demand.
"""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.sandbox import SandboxError
from orchestrator.sandbox.docker_file_read import WHOLE_BYTES, read_file


class _Pipe:
    """The helper's stdout after its 8-byte size header: `data`, then the end of the stream."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.stderr = bytearray()
        self.closed = False

    def read(self, limit: int) -> bytes:
        chunk, self._data = self._data[:limit], self._data[limit:]
        return chunk

    def finish(self) -> int:
        return 0

    def close(self) -> None:
        self.closed = True


def _opener(*answers: tuple[int, bytes]) -> tuple[Any, list[_Pipe]]:
    opened: list[_Pipe] = []

    async def opener(
        _open: Any, _client: Any, _sandbox: str, _path: str, max_bytes: int
    ) -> tuple[int, _Pipe]:
        size, data = answers[len(opened)]
        opened.append(_Pipe(data))
        return size, opened[-1]

    return opener, opened


async def _read(opener: Any) -> tuple[int, bytes]:
    download = await read_file(None, "sandbox", "made.txt", 1 << 30, opener)  # type: ignore[arg-type]
    return download.size, b"".join([chunk async for chunk in download.chunks])


async def test_a_small_file_cut_short_is_read_again() -> None:
    opener, opened = _opener((5, b"ma"), (5, b"made\n"))
    assert await _read(opener) == (5, b"made\n")
    assert len(opened) == 2 and opened[0].closed, "the cut stream is closed, and the file read once more"


async def test_a_second_cut_is_an_error_not_short_content() -> None:
    opener, _ = _opener((5, b""), (5, b"ma"))
    with pytest.raises(SandboxError, match="ended early"):
        await _read(opener)


async def test_a_large_file_streams_without_a_second_read() -> None:
    size = WHOLE_BYTES + 10
    opener, opened = _opener((size, b"x" * size))
    assert await _read(opener) == (size, b"x" * size)
    assert len(opened) == 1
