"""The embedded server of `warren run`: the whole API in this process, for one run.

It serves the real app (the same `compose.build_app` as `warren serve`) with uvicorn in a background
thread, on a free loopback port, with a fresh SQLite store and data dir in a temporary folder and
the local Docker engine. The CLI then talks to it over HTTP exactly as it would to a remote server.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from orchestrator.cli.common import CliError
from orchestrator.cli.connection import Connection
from orchestrator.config import Settings

__all__ = ["EmbeddedServer"]

_TENANT = "local"


class EmbeddedServer:
    """Start with `async with EmbeddedServer() as connection:`; everything is removed on exit.

    Args:
        start_timeout_s: how long to wait for the server, in **seconds** (the first run on a
            machine builds the sandbox image, which takes minutes).
    """

    def __init__(self, start_timeout_s: float = 1800.0) -> None:
        self.start_timeout_s = start_timeout_s
        self.data_dir = Path(tempfile.mkdtemp(prefix="warren-run-"))
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._crash: BaseException | None = None

    async def __aenter__(self) -> Connection:
        try:
            return await self._start()
        except BaseException:
            await self.stop()
            raise

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def settings(self) -> Settings:
        """`WARREN_*` settings, with the store and data dir forced into the temporary folder."""
        settings = Settings.from_env(data_dir=self.data_dir)
        return settings.model_copy(update={"database_url": None, "dev": False, "sandboxes": True})

    async def _start(self) -> Connection:
        from orchestrator.compose import build_app
        from orchestrator.store import Store

        settings = self.settings()
        async with await Store.open(f"sqlite+aiosqlite:///{self.data_dir / 'warren.db'}") as store:
            _record, key = await store.keys.create_key(_TENANT, "warren-run")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            build_app(settings), log_config=None, log_level="warning", access_log=False, lifespan="on"
        )
        server = uvicorn.Server(config)
        self._server = server

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # reported by _start's wait below
                self._crash = exc
            finally:
                sock.close()

        self._thread = threading.Thread(target=serve, name="warren-embedded", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout_s
        while not server.started:
            if not self._thread.is_alive():
                raise CliError(f"the embedded server did not start: {self._crash or 'see the log above'}")
            if time.monotonic() > deadline:
                raise CliError(f"the embedded server did not start within {self.start_timeout_s:.0f}s")
            await asyncio.sleep(0.05)
        return Connection(f"http://127.0.0.1:{port}", key)

    async def stop(self) -> None:
        """Stop the server (its lifespan closes the store and channels) and delete the temp folder."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            await asyncio.to_thread(self._thread.join, 60)
        self._server = self._thread = None
        shutil.rmtree(self.data_dir, ignore_errors=True)
