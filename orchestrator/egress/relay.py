"""Byte relays with an idle deadline: a quiet connection is closed instead of held forever.

A sandbox could otherwise open tunnels and leave them silent until the proxy's connection cap is
spent. Activity in either direction keeps a tunnel open, so a long download with a silent client
is not cut; only a tunnel where nothing moves for `idle_timeout_s` is closed.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["pipe", "tunnel"]

_CHUNK = 1 << 16


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, idle_timeout_s: float) -> None:
    """Copy until end of file or until the reader is silent for `idle_timeout_s`, then half-close."""
    try:
        while data := await asyncio.wait_for(reader.read(_CHUNK), idle_timeout_s):
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
) -> bool:
    """Copy both ways until both ends finish; True when it stopped because nothing moved for too long."""
    loop = asyncio.get_running_loop()
    last = [loop.time()]

    async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(_CHUNK):
                last[0] = loop.time()
                writer.write(data)
                await writer.drain()
                last[0] = loop.time()
        except OSError:
            pass
        finally:
            _half_close(writer)

    tasks = {asyncio.create_task(copy(a[0], b[1])), asyncio.create_task(copy(b[0], a[1]))}
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
