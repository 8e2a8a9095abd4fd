"""The orchestrator's MCP client against a real MCP server (the `mcp` SDK's, on loopback).

The server's address is allowed the way an operator allows one (`WARREN_EGRESS_ALLOW_ADDRESSES`);
without the allowance, the same server is refused before any connection (its request log stays
empty). A call that kills the server is an error result, and the client carries on.
"""

from __future__ import annotations

import contextlib

from agents.model_types import ToolCallPart
from orchestrator.address_allowance import AddressAllowance
from orchestrator.egress.policy import Resolver
from orchestrator.mcp_tools import McpClient, McpError, McpServerSpec, McpToolset
from tests.support.mcp_tool_server import McpToolServer

SECRET = "Bearer tok-4d9f1c2b7e"


def _client(server: McpToolServer, allowed: bool = True) -> McpClient:
    allow = [AddressAllowance.parse(f"127.0.0.1:{server.port}")] if allowed else []
    return McpClient(Resolver(allow=allow, hosts={"mcp.test": "127.0.0.1"}))


def _spec(server: McpToolServer, **fields: object) -> McpServerSpec:
    tool = {"type": "mcp_server", "name": "calc", "url": server.url, "headers": {"Authorization": SECRET}}
    return McpServerSpec.parse({**tool, **fields}, "tools[0]")


async def test_lists_and_calls_with_the_headers_sent_only_to_the_server(mcp_server: McpToolServer) -> None:
    toolset = await McpToolset.open(_client(mcp_server), [_spec(mcp_server)])
    assert sorted(toolset.names) == ["calc__add", "calc__crash", "calc__secret_echo"]
    add = next(d for d in toolset.declarations if d.name == "calc__add")
    assert add.description == "Add two integers." and add.parameters["required"] == ["a", "b"]

    step, result = await toolset.run(ToolCallPart(id="c1", name="calc__add", arguments={"a": 2, "b": 3}))
    assert step == {
        "type": "mcp_server_tool_result",
        "call_id": "c1",
        "name": "add",
        "server_name": "calc",
        "result": [{"type": "text", "text": "5"}],
    }
    assert result.output == "5" and not result.is_error and result.name == "calc__add"
    seen = mcp_server.requests()
    assert seen and all(headers.get("authorization") == SECRET for headers in seen)


async def test_allowed_tools_filter_the_listing(mcp_server: McpToolServer) -> None:
    spec = _spec(mcp_server, allowed_tools=[{"tools": ["add"]}, {"mode": "auto", "tools": ["secret_echo"]}])
    toolset = await McpToolset.open(_client(mcp_server), [spec])
    assert sorted(toolset.names) == ["calc__add", "calc__secret_echo"]


async def test_a_header_the_server_echoes_back_is_scrubbed(mcp_server: McpToolServer) -> None:
    toolset = await McpToolset.open(_client(mcp_server), [_spec(mcp_server)])
    step, result = await toolset.run(ToolCallPart(id="c2", name="calc__secret_echo"))
    assert SECRET not in str(step) and SECRET not in str(result.output)
    assert "[header value]" in str(result.output)


async def test_a_server_that_dies_mid_call_fails_that_call_only(mcp_server: McpToolServer) -> None:
    toolset = await McpToolset.open(_client(mcp_server), [_spec(mcp_server)])
    step, result = await toolset.run(ToolCallPart(id="c3", name="calc__crash"))
    assert mcp_server.process.wait(10) == 3  # it really died in the call
    assert result.is_error and "the MCP tool call failed" in str(result.output)
    assert step["result"][0]["text"].startswith("the MCP tool call failed") and SECRET not in str(step)
    # the next call fails the same way (nothing listens any more), and raises nothing
    _, again = await toolset.run(ToolCallPart(id="c4", name="calc__add", arguments={"a": 1, "b": 1}))
    assert again.is_error


async def test_a_loopback_server_the_operator_did_not_allow_is_never_contacted(
    mcp_server: McpToolServer,
) -> None:
    for url in (mcp_server.url, f"http://mcp.test:{mcp_server.port}/mcp"):  # a literal, and a name
        try:
            await McpToolset.open(_client(mcp_server, allowed=False), [_spec(mcp_server, url=url)])
        except McpError as exc:
            assert "mcp_server 'calc'" in str(exc) and "egress address policy" in str(exc)
            assert "loopback" in str(exc) and SECRET not in str(exc)
        else:
            raise AssertionError(f"{url} was not refused")
    assert mcp_server.requests() == []


async def test_a_name_is_pinned_to_the_checked_address(mcp_server: McpToolServer) -> None:
    """`mcp.test` is decided once (to 127.0.0.1) and the request goes there with its own Host."""
    spec = _spec(mcp_server, url=f"http://mcp.test:{mcp_server.port}/mcp")
    client = _client(mcp_server)
    # the server's DNS-rebinding guard answers a foreign Host with 421, so the listing fails, which
    # proves the name (not the address) was sent as Host while the connection went to the address
    with contextlib.suppress(McpError):
        await McpToolset.open(client, [spec])
    assert mcp_server.requests() and mcp_server.requests()[0]["host"] == f"mcp.test:{mcp_server.port}"
