"""`/mcp` on `warren serve`: Warren's tools over streamable HTTP, for the owner of a Warren API key.

`McpEndpoint` is the ASGI app of the route. Each request's key (`x-goog-api-key` or
`Authorization: Bearer`, as the API takes it) is first shown to the API itself (one cheap read
through the app in-process), and a refusal (401 without a valid key, 429 past its rate) is answered
exactly as the API answered it. The tools then call the same app in-process with that key, so a
tenant sees only its own runs and files. Stateless: no MCP session outlives its HTTP request, so no
session can be reached with another key. `running(app)` must wrap the app's lifespan; the MCP SDK
is imported and its session manager started by the first request (the SDK costs every
`warren serve` start ~0.45 s otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

import httpx
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from orchestrator.mcp_server.api import API_VERSION, WarrenApi

if TYPE_CHECKING:
    from mcp.server import ServerRequestContext
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

__all__ = ["MCP_PATH", "McpEndpoint", "key_of"]

MCP_PATH = "/mcp"
_IN_PROCESS = "http://warren.internal"
_AUTH_HEADERS = ("x-goog-api-key", "authorization")
_TIMEOUT_S = 60.0


def key_of(headers: Mapping[str, str]) -> str:
    """The API key a request sent, read as the API reads it ('' when none)."""
    key = headers.get("x-goog-api-key")
    if key:
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class McpEndpoint:
    """The ASGI app of `/mcp`; serves only inside `running(app)`."""

    def __init__(self) -> None:
        self._app: ASGIApp | None = None
        self._starting: asyncio.Lock | None = None
        self._serving: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._manager: StreamableHTTPSessionManager | None = None
        self._http: httpx.AsyncClient | None = None

    @contextlib.asynccontextmanager
    async def running(self, app: ASGIApp) -> AsyncIterator[None]:
        """Serve while inside: the first request starts the MCP task group, and calls reach `app`
        in-process; leaving stops them. May be exited from another task than the one that entered
        it (as test fixtures and embedded servers do)."""
        starting = asyncio.Lock()
        self._app, self._starting = app, starting
        try:
            yield
        finally:
            async with starting:  # a start under way ends first, and is stopped with the rest
                self._app = None
                if self._stop is not None and self._serving is not None:
                    self._stop.set()
                    await self._serving
                self._serving = self._stop = None

    async def _started(self) -> tuple[httpx.AsyncClient, StreamableHTTPSessionManager]:
        """The in-process client and the running session manager, started by the first caller.

        The SDK's task group lives in a task of its own, so requests come and go while it runs. A
        session manager runs once, and an app's lifespan may be entered again (tests, restarts): each
        start makes a new one.
        """
        if self._starting is None:
            raise RuntimeError("the MCP endpoint serves only inside McpEndpoint.running")
        async with self._starting:
            if self._app is None:  # left `running` while this request waited for the lock
                raise RuntimeError("the MCP endpoint serves only inside McpEndpoint.running")
            if self._http is None or self._manager is None:
                await self._start(self._app)
        assert self._http is not None and self._manager is not None
        return self._http, self._manager

    async def _start(self, app: ASGIApp) -> None:
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        from orchestrator.mcp_server.server import build_server

        server = build_server(self._api_for)
        manager = StreamableHTTPSessionManager(server, stateless=True, json_response=True)
        ready, stop = asyncio.Event(), asyncio.Event()

        async def serve() -> None:
            transport = httpx.ASGITransport(app)
            http = httpx.AsyncClient(transport=transport, base_url=_IN_PROCESS, timeout=_TIMEOUT_S)
            async with http, manager.run():
                self._http, self._manager = http, manager
                ready.set()
                try:
                    await stop.wait()
                finally:
                    self._http = self._manager = None

        task = asyncio.create_task(serve(), name="mcp-endpoint")
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if task.done():
            task.result()  # its failure to start, raised here
        self._serving, self._stop = task, stop

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("the MCP endpoint serves only inside McpEndpoint.running")
        return self._http

    def _api_for(self, ctx: ServerRequestContext[Any, Any]) -> WarrenApi:
        headers = ctx.request.headers if ctx.request is not None else {}
        return WarrenApi(self._client(), key_of(headers))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        http, manager = await self._started()
        headers = Headers(scope=scope)
        sent = {name: headers[name] for name in _AUTH_HEADERS if name in headers}
        probe = await http.get(f"/{API_VERSION}/agents/default", headers=sent)
        if probe.status_code >= 400:  # the API's own refusal, as it answered it
            kept = {k: v for k, v in probe.headers.items() if k in ("content-type", "retry-after")}
            await Response(probe.content, status_code=probe.status_code, headers=kept)(scope, receive, send)
            return
        await manager.handle_request(scope, receive, send)
