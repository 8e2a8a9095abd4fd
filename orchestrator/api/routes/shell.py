"""`/{v}/environments/{id}/shell`: an interactive shell in the environment's sandbox over a WebSocket.

A Warren extension of the Managed Agents wire (google-genai has no such call); `warren attach` uses it.
Authentication is the same as every route (`x-goog-api-key` or `Authorization: Bearer`), the
environment must belong to the caller's tenant, and each upgrade spends one request of the key's
rate budget, like any HTTP request. A browser cannot set headers on a WebSocket, and a key must
never ride in a URL: a client without those headers (the console) sends the key as its first text
frame instead, `{"type": "auth", "api_key": "..."}`, within 10 seconds of the upgrade.

Frames: binary frames carry terminal bytes both ways. A text frame from the client is a JSON
control message, `{"type": "resize", "cols": 120, "rows": 40}`. When the shell ends the server sends
`{"type": "exit", "exit_code": 0}` and closes with 1000. Refusals close the socket with a code in
4000-4999 (4400 bad request, 4401 unauthenticated, 4404 not found, 4429 the key's rate limit or the
shell caps, `max_shells_per_environment` and `max_shells_per_tenant`) and a one-line reason. Closing
the socket ends the shell and everything it started; the sandbox keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from orchestrator.api.deps import Services, check_version
from orchestrator.api.errors import ApiError
from orchestrator.api.shell_slots import ShellLimitError
from orchestrator.environments.service import EnvironmentService
from orchestrator.sandbox.backend import PtyRequest, PtySession, SandboxError
from orchestrator.store.errors import NotFoundError

__all__ = ["router"]

router = APIRouter(tags=["shell"])

_SHELL = ("sh", "-c", "if command -v bash >/dev/null; then exec bash -il; else exec sh -i; fi")


class _Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


_AUTH_WAIT_S = 10.0


async def _first_message_key(websocket: WebSocket) -> str | None:
    """The key of a first `{"type": "auth", "api_key": ...}` text frame, or None."""
    try:
        async with asyncio.timeout(_AUTH_WAIT_S):
            message = await websocket.receive()
        control = json.loads(message.get("text") or "null")
    except (TimeoutError, ValueError):
        return None
    if not isinstance(control, dict) or control.get("type") != "auth":
        return None
    key = control.get("api_key")
    return key if isinstance(key, str) and key else None


async def _tenant(websocket: WebSocket, services: Services) -> str:
    key = websocket.headers.get("x-goog-api-key")
    if not key:
        scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else None
    if not key:
        key = await _first_message_key(websocket)
    if not key:
        raise _Refused(
            4401, "missing API key: send x-goog-api-key, Authorization: Bearer or a first auth message"
        )
    record = await services.store.keys.identify(key)
    if record is None:
        raise _Refused(4401, "invalid or revoked API key")
    if wait_s := await services.limiter.check(record.id):
        retry = services.limiter.retry_after(wait_s)
        raise _Refused(4429, f"rate limit of this API key exceeded; retry in {retry} s")
    return record.tenant


async def _admit(
    websocket: WebSocket, services: Services, api_version: str
) -> tuple[str, EnvironmentService]:
    """The caller's tenant and the sandboxes, once the version, the key and its rate budget pass."""
    try:
        check_version(api_version)
    except ApiError as exc:
        raise _Refused(4404, str(exc)) from exc
    tenant = await _tenant(websocket, services)
    if services.environments is None:
        raise _Refused(4400, "this server runs without a sandbox backend (--no-sandboxes)")
    return tenant, services.environments


async def _pump_out(websocket: WebSocket, pty: PtySession) -> None:
    while data := await pty.read():
        await websocket.send_bytes(data)


async def _pump_in(websocket: WebSocket, pty: PtySession) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes"):
            await pty.write(message["bytes"])
        elif message.get("text"):
            try:
                control = json.loads(message["text"])
                if control.get("type") == "resize":
                    await pty.resize(int(control["cols"]), int(control["rows"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # a malformed control message is ignored, not fatal


async def _session(websocket: WebSocket, environments: EnvironmentService, request: PtyRequest) -> None:
    """Run one shell until it ends or the client goes; tell the client how it ended."""
    try:
        pty = await environments.backend.open_pty(request)
    except SandboxError as exc:
        raise _Refused(4400, f"cannot start a shell: {exc}") from exc
    outgoing = asyncio.create_task(_pump_out(websocket, pty))
    incoming = asyncio.create_task(_pump_in(websocket, pty))
    try:
        done, _ = await asyncio.wait({outgoing, incoming}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (outgoing, incoming):
            task.cancel()
        # The pumps must have let go of the terminal before it closes (see `DockerPty.close`).
        await asyncio.gather(outgoing, incoming, return_exceptions=True)
        exit_code = await pty.close()
    if outgoing in done:  # the shell ended: tell the client how
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await websocket.send_text(json.dumps({"type": "exit", "exit_code": exit_code}))
            await websocket.close(code=1000)


@router.websocket("/{api_version}/environments/{environment_id}/shell")
async def environment_shell(
    websocket: WebSocket,
    api_version: str,
    environment_id: str,
    cols: Annotated[int, Query(ge=1, le=1000, description="Terminal width")] = 80,
    rows: Annotated[int, Query(ge=1, le=1000, description="Terminal height")] = 24,
    term: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9._+-]+$")] = "xterm-256color",
) -> None:
    """Warren extension: an interactive shell in the environment's sandbox (binary frames both ways)."""
    await websocket.accept()
    services: Services = websocket.app.state.services
    env_id = environment_id.removeprefix("environments/")
    try:
        tenant, environments = await _admit(websocket, services, api_version)
        # The slot is taken before the sandbox is resumed: a refused shell costs the engine nothing.
        with services.shells.hold(tenant, env_id):
            try:
                sandbox_id = await environments.sandbox(tenant, env_id)
            except NotFoundError as exc:
                raise _Refused(4404, f"environment {environment_id!r} not found") from exc
            env = {"TERM": term}
            request = PtyRequest(sandbox_id=sandbox_id, cmd=_SHELL, cols=cols, rows=rows, env=env)
            await _session(websocket, environments, request)
    except ShellLimitError as exc:
        await websocket.close(code=4429, reason=str(exc)[:120])
    except _Refused as exc:
        await websocket.close(code=exc.code, reason=exc.reason[:120])
