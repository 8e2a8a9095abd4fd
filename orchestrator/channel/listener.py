"""One uvicorn server on one Unix socket, started and stopped inside the main server's loop.

The socket is 0666 because the runner (uid 1000) connects from inside the sandbox; its folder's
0700 root keeps every other host user away, and every request still needs the runner's token.
`guard.ChannelConfig` bounds each connection at the transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from orchestrator.channel.binding import Binding
from orchestrator.channel.guard import ChannelConfig
from orchestrator.channel.limits import ChannelLimits, ConnectionBudget
from orchestrator.observability.logs import demote_here

__all__ = ["Listener", "listen"]

_START_POLLS = 200
"""Checks, 10 ms apart, that the server listens before the socket is opened to the sandbox."""


class _ChannelServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the main server."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


@dataclass
class Listener:
    """A served socket: its server, the task running it, and what its routes check."""

    server: uvicorn.Server
    task: asyncio.Task[None]
    binding: Binding

    async def stop(self) -> None:
        """Ask the server to exit and wait for it (at most 5 s)."""
        self.server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.task, timeout=5)


async def listen(
    app: Starlette, socket_path: Path, binding: Binding, limits: ChannelLimits, budget: ConnectionBudget
) -> Listener:
    """Serve `app` on `socket_path` (which must not exist) once it listens."""
    config = ChannelConfig(
        app,
        limits=limits,
        budget=budget,
        uds=str(socket_path),
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = _ChannelServer(config)
    quiet = contextvars.copy_context()
    quiet.run(demote_here)  # its start-up and shut-down lines: debug level, one pair per sandbox
    task = asyncio.create_task(server.serve(), name=f"channel:{socket_path.parent.name}", context=quiet)
    for _ in range(_START_POLLS):
        if server.started:
            break
        await asyncio.sleep(0.01)
    os.chmod(socket_path, 0o666)  # noqa: S103 (the runner, uid 1000, must connect; token still required)
    return Listener(server, task, binding)
