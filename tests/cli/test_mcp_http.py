"""`/mcp` on `warren serve` (issue 18 item 2): the `mcp` SDK's streamable-HTTP client with a Warren
API key runs the demo to its end, reads its report and continues a run in the same sandbox; another
tenant's key finds none of it, and a missing or wrong key is answered 401 as the API answers it.
"""

from __future__ import annotations

import httpx
import pytest

from tests.cli.conftest import Server
from tests.cli.mcp_flow import call, check_files, handshake_era_client_is_served, http_client, run_demo

pytestmark = pytest.mark.integration


async def test_http_runs_the_demo_and_keeps_tenants_apart(server: Server) -> None:
    async with http_client(server) as client:
        view = await run_demo(client)
        environment_id = view["environment_id"]
        await check_files(client, environment_id)
    async with http_client(server, server.other_key) as other:
        got = await call(other, "warren_get_run", {"interaction_id": view["interaction_id"]})
        assert got["is_error"] and "404" in got["error"], got
        files = await call(other, "warren_list_files", {"environment_id": environment_id})
        assert files["is_error"] and "404" in files["error"], files
        read = await call(other, "warren_read_file", {"environment_id": environment_id, "path": "report.md"})
        assert read["is_error"] and "404" in read["error"], read


async def test_http_continue_runs_in_the_same_sandbox(server: Server) -> None:
    async with http_client(server) as client:
        first = await call(
            client, "warren_start_run", {"model": "scripted:echo", "input": "first", "files": {"a.txt": "x"}}
        )
        assert first["status"] == "completed" and first["output_text"] == "first", first
        second = await call(
            client,
            "warren_continue_run",
            {"previous_interaction_id": first["interaction_id"], "input": "second"},
        )
        assert second["status"] == "completed" and second["output_text"] == "second", second
        assert second["previous_interaction_id"] == first["interaction_id"]
        assert second["environment_id"] == first["environment_id"]


async def test_bad_arguments_are_a_tool_error_the_agent_can_read(server: Server) -> None:
    async with http_client(server) as client:
        answer = await call(
            client, "warren_read_file", {"environment_id": "env_x", "path": "a", "max_bytes": 0}
        )
        assert answer["is_error"] and "max_bytes" in answer["error"], answer
        answer = await call(client, "warren_get_run", {"interaction_id": "int_missing"})
        assert answer["is_error"] and "404" in answer["error"], answer


@pytest.mark.parametrize(
    "headers", [{}, {"authorization": "Bearer wk_wrong"}, {"x-goog-api-key": "wk_wrong"}]
)
def test_http_endpoint_refuses_a_missing_or_wrong_key(server: Server, headers: dict[str, str]) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    accept = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    answer = httpx.post(f"{server.url}/mcp", json=body, headers={**accept, **headers}, timeout=30)
    assert answer.status_code == 401
    with server.http() as api:  # the body the API itself answers for the same headers
        assert answer.json() == api.get("/v1beta/agents", headers={"x-goog-api-key": "", **headers}).json()


async def test_sdk_client_is_refused_with_a_wrong_key(server: Server) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the SDK's error for a 401 answer
        async with http_client(server, "wk_wrong") as client:
            await client.list_tools()


async def test_a_handshake_era_client_is_served(server: Server) -> None:
    async with http_client(server, mode="legacy") as client:
        await handshake_era_client_is_served(client)
