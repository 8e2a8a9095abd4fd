"""Byte relays with an idle deadline: a quiet connection is closed instead of held forever.

A sandbox could otherwise open tunnels and leave them silent until the proxy's connection cap is
spent. Activity in either direction keeps a tunnel open, so a long download with a silent client
is not cut; only a tunnel where nothing moves for `idle_timeout_s` is closed.

Each relay takes a counting function per direction (`meter.EgressMeter.counters`), called with the
size of every chunk it copies.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

__all__ = ["pipe", "tunnel"]

_CHUNK = 1 << 16
Count = Callable[[int], None]


def _uncounted(size: int) -> None:
    pass


async def pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    idle_timeout_s: float,
    count: Count = _uncounted,
) -> None:
    """Copy until end of file or until the reader is silent for `idle_timeout_s`, then half-close."""
    try:
        while data := await asyncio.wait_for(reader.read(_CHUNK), idle_timeout_s):
            count(len(data))
            writer.write(data)
            await writer.drain()
    except (OSError, TimeoutError):
        pass
    finally:
        _half_close(writer)


async def tunnel(
    a: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    b: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    idle_timeout_s: float,
    counts: tuple[Count, Count] = (_uncounted, _uncounted),
) -> bool:
    """Copy both ways until both ends finish; True when it stopped because nothing moved for too long.

    `counts` are called with the size of each chunk copied a → b and b → a."""
    loop = asyncio.get_running_loop()
    last = [loop.time()]

    async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: Count) -> None:
        try:
            while data := await reader.read(_CHUNK):
                last[0] = loop.time()
                count(len(data))
                writer.write(data)
                await writer.drain()
                last[0] = loop.time()
        except OSError:
            pass
        finally:
            _half_close(writer)

    tasks = {
        asyncio.create_task(copy(a[0], b[1], counts[0])),
        asyncio.create_task(copy(b[0], a[1], counts[1])),
    }
    pending = set(tasks)
    idle = False
    try:
        while pending:
            left = last[0] + idle_timeout_s - loop.time()
            if left <= 0:
                idle = True
                break
            _, pending = await asyncio.wait(pending, timeout=left)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return idle


def _half_close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, RuntimeError):
        if writer.can_write_eof():
            writer.write_eof()
