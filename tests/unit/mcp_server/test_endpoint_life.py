"""`/mcp`'s endpoint starts the MCP SDK's session manager with its first request and stops it when
the app's lifespan ends (`McpEndpoint.running`), also when that end comes while a start is under way."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from orchestrator.mcp_server.http import McpEndpoint


async def _refusing_api(scope: Scope, receive: Receive, send: Send) -> None:
    """The API's answer to the endpoint's key probe: 401, so no MCP message is handled."""
    await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"no key"})


def _serving_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "mcp-endpoint" and not t.done()]


def _client(endpoint: McpEndpoint) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(endpoint), base_url="http://warren")


async def test_the_first_request_starts_the_sdk_and_leaving_stops_it() -> None:
    endpoint = McpEndpoint()
    async with _client(endpoint) as client:
        with pytest.raises(RuntimeError, match="only inside"):
            await client.post("/mcp")
        async with endpoint.running(_refusing_api):
            assert not _serving_tasks(), "nothing runs before the first request"
            for _ in range(2):
                answer = await client.post("/mcp")
                assert (answer.status_code, answer.text) == (401, "no key")
            assert len(_serving_tasks()) == 1, "one session manager for every request"
        assert not _serving_tasks()
        async with endpoint.running(_refusing_api):  # a lifespan entered again starts a new one
            assert (await client.post("/mcp")).status_code == 401
            assert len(_serving_tasks()) == 1
        assert not _serving_tasks()


async def test_leaving_while_a_start_is_under_way_stops_what_it_started() -> None:
    endpoint = McpEndpoint()
    async with _client(endpoint) as client:
        lifespan = endpoint.running(_refusing_api)
        await lifespan.__aenter__()
        request = asyncio.create_task(client.post("/mcp"))
        while endpoint._starting is None or not endpoint._starting.locked():  # the start holds its lock
            await asyncio.sleep(0)
        await lifespan.__aexit__(None, None, None)
        assert not _serving_tasks(), "the session manager outlived the app's lifespan"
        (answer,) = await asyncio.gather(request, return_exceptions=True)
        if not isinstance(answer, RuntimeError):  # the request itself may lose the race: either way
            assert isinstance(answer, httpx.Response) and answer.status_code == 401, answer
