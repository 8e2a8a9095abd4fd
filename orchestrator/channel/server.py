"""Serves the runner endpoints on one Unix socket per environment.

The socket's folder is bind-mounted into that environment's sandbox at `/run/warren`, so a runner
can reach only its own environment's channel, and the channel knows the environment by the socket
a request came in on. Requests also carry the environment's token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Response

from agents.protocol import (
    PREFIX,
    Ack,
    Control,
    FinishReport,
    ModelCall,
    ModelCallResult,
    ToolResultReport,
    WorkItem,
)
from orchestrator.channel.hub import ChannelError, RunnerHub
from orchestrator.sandbox import Mount

if TYPE_CHECKING:
    from orchestrator.egress.proxy import EgressProxy

__all__ = ["ChannelServers"]

log = logging.getLogger("orchestrator.channel")
SOCKET_NAME = "orchestrator.sock"
MOUNT_TARGET = "/run/warren"


TokenCheck = Callable[[str], Awaitable[bool]]


def runner_app(hub: RunnerHub, environment_id: str, check_token: TokenCheck) -> FastAPI:
    """The runner endpoints for one environment; `check_token` validates the bearer token."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    accepted: set[str] = set()  # tokens already checked against the store

    async def authorized(authorization: Annotated[str, Header()] = "") -> None:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise HTTPException(401, "missing runner token")
        if given in accepted:
            return
        if not await check_token(given):
            raise HTTPException(401, "bad runner token")
        accepted.add(given)

    guard = [Depends(authorized)]

    @app.get(f"{PREFIX}/work", dependencies=guard, response_model=None)
    async def work(wait_s: Annotated[float, Query(ge=0, le=60)] = 25.0) -> WorkItem | Response:
        try:
            item = await hub.next_work(environment_id, wait_s)
        except asyncio.CancelledError:  # the channel is closing: the runner will poll again
            return Response(status_code=204)
        return Response(status_code=204) if item is None else item

    @app.post(f"{PREFIX}/model", dependencies=guard)
    async def model(call: ModelCall) -> ModelCallResult:
        try:
            return await hub.model_call(environment_id, call)
        except ChannelError as exc:
            raise HTTPException(409, str(exc)) from exc

    @app.post(f"{PREFIX}/tool-result", dependencies=guard)
    async def tool_result(report: ToolResultReport) -> Ack:
        try:
            return await hub.tool_result(environment_id, report)
        except ChannelError as exc:
            raise HTTPException(409, str(exc)) from exc

    @app.post(f"{PREFIX}/finish", dependencies=guard)
    async def finish(report: FinishReport) -> Ack:
        try:
            return await hub.finish(environment_id, report)
        except ChannelError as exc:
            raise HTTPException(409, str(exc)) from exc

    @app.get(f"{PREFIX}/control", dependencies=guard)
    async def control(interaction_id: str) -> Control:
        return hub.control(environment_id, interaction_id)

    return app


class _ChannelConfig(uvicorn.Config):
    """Leaves the process's logging alone: uvicorn's own setup would silence the API's access log."""

    def configure_logging(self) -> None:
        return None


class _ChannelServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the main server."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


@dataclass
class _Served:
    server: uvicorn.Server
    task: asyncio.Task[None]


class ChannelServers:
    """One socket server per environment, under `root/<environment id>/`."""

    def __init__(self, hub: RunnerHub, root: Path) -> None:
        self.hub = hub
        self.root = root
        self._served: dict[str, _Served] = {}
        self.egress: EgressProxy | None = None
        """Serves `egress.sock` beside the channel socket for environments with an allowlist."""

    def folder(self, environment_id: str) -> Path:
        """The host folder mounted at `/run/warren` in the environment's sandbox."""
        return self.root / environment_id

    async def ensure(self, environment_id: str, check_token: TokenCheck) -> None:
        """Serve the environment's socket; a no-op when already serving it."""
        served = self._served.get(environment_id)
        if served is not None and not served.task.done():
            return
        await self.close(environment_id, remove=False)
        self.hub.reopen(environment_id)
        folder = self.folder(environment_id)
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o755)  # noqa: S103 (the sandbox user must traverse it; it holds only the socket)
        socket_path = folder / SOCKET_NAME
        socket_path.unlink(missing_ok=True)
        config = _ChannelConfig(
            runner_app(self.hub, environment_id, check_token),
            uds=str(socket_path),
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = _ChannelServer(config)
        task = asyncio.create_task(server.serve(), name=f"channel:{environment_id}")
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.01)
        os.chmod(socket_path, 0o666)  # noqa: S103 (the runner, uid 1000, must connect; token still required)
        self._served[environment_id] = _Served(server, task)
        await self._serve_egress(environment_id)

    def mount(self, environment_id: str) -> Mount:
        """The bind mount that puts the socket folder at `/run/warren` in the sandbox."""
        folder = self.folder(environment_id)
        folder.mkdir(parents=True, exist_ok=True)
        return Mount(source=str(folder), target=MOUNT_TARGET, read_only=True)

    async def close(self, environment_id: str, remove: bool = True) -> None:
        """Stop serving an environment's socket; `remove` deletes its folder too."""
        await self._close_egress(environment_id)
        served = self._served.pop(environment_id, None)
        if served is not None:
            self.hub.release(environment_id)
            served.server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(served.task, timeout=5)
        if remove:
            shutil.rmtree(self.folder(environment_id), ignore_errors=True)

    async def _serve_egress(self, environment_id: str) -> None:
        """Serve the egress proxy's socket in the same folder (only for allowlist environments)."""
        if self.egress is not None:
            await self.egress.serve(environment_id, self.folder(environment_id))

    async def _close_egress(self, environment_id: str) -> None:
        if self.egress is not None:
            await self.egress.close(environment_id)

    async def close_all(self) -> None:
        """Stop every server (shutdown); folders stay so restarted servers reuse them."""
        for environment_id in list(self._served):
            await self.close(environment_id, remove=False)
