"""A small workspace file whose bytes the engine cut short is read once more before any byte goes
out; a large one streams, and a second cut is an error, never short content. A read the runtime
could not start is asked again; an answer that is not a size is refused, never streamed.

The pipe here stands in for the engine's exec stream: Docker 20.10 drops an exec's last output at
random ("stream copy error"), which no test can cause on demand.
"""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.sandbox import SandboxError, docker_file_read
from orchestrator.sandbox.docker_file_read import (
    NOT_STARTED,
    WHOLE_BYTES,
    ExecNotStarted,
    open_file,
    read_file,
)


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


async def test_a_helper_the_runtime_could_not_start_is_asked_again() -> None:
    opened: list[_Pipe] = []

    async def opener(
        _open: Any, _client: Any, _sandbox: str, _path: str, max_bytes: int
    ) -> tuple[int, _Pipe]:
        if not opened:
            opened.append(_Pipe(b""))
            raise ExecNotStarted("made.txt: the runtime could not start the helper")
        opened.append(_Pipe(b"made\n"))
        return 5, opened[-1]

    assert await _read(opener) == (5, b"made\n")
    assert len(opened) == 2


class _HeadedPipe(_Pipe):
    """A pipe whose first 8 bytes are read as the helper's size header."""

    def read_exactly(self, size: int) -> bytes:
        return self.read(size)


@pytest.mark.parametrize(
    ("answer", "refusal"),
    [
        (NOT_STARTED + b": exec failed: timed out\r\n", ExecNotStarted),
        (b"\xff" * 8 + b"made\n", SandboxError),  # a "size" past the cap: not the helper's answer
    ],
)
def test_an_answer_that_is_not_a_size_is_refused(
    monkeypatch: pytest.MonkeyPatch, answer: bytes, refusal: type[Exception]
) -> None:
    pipe = _HeadedPipe(answer)
    monkeypatch.setattr(docker_file_read, "helper_pipe", lambda *_: pipe)
    with pytest.raises(refusal):
        open_file(None, "sandbox", "/workspace/made.txt", 1 << 30)  # type: ignore[arg-type]
    assert pipe.closed
