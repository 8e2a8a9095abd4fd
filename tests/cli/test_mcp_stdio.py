"""`warren mcp` (issue 18 item 2): the `mcp` SDK's stdio client starts it as an IDE does, against the
`warren serve` of `conftest.server`, runs the demo to its end and reads its report; a wrong key ends
the command with one error line before any MCP, so the client cannot connect.
"""

from __future__ import annotations

import pytest

from tests.cli.conftest import Server, warren
from tests.cli.mcp_flow import check_files, handshake_era_client_is_served, run_demo, stdio_client

pytestmark = pytest.mark.integration


async def test_stdio_runs_the_demo_and_reads_its_report(server: Server) -> None:
    async with stdio_client(server) as client:
        view = await run_demo(client)
        await check_files(client, view["environment_id"])


async def test_sdk_client_cannot_connect_with_a_wrong_key(server: Server) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the server process exits before MCP starts
        async with stdio_client(server, "wk_wrong") as client:
            await client.list_tools()


def test_warren_mcp_says_why_it_refuses_a_wrong_key(server: Server) -> None:
    done = warren("mcp", env=server.env("wk_wrong"), input="")
    assert done.returncode == 1
    assert "401" in done.stderr and "invalid or revoked API key" in done.stderr
    assert done.stdout == ""  # stdout is the MCP channel
    done = warren("mcp", env={**server.env(), "WARREN_API_KEY": ""}, input="")
    assert done.returncode == 2 and "no API key" in done.stderr


async def test_a_handshake_era_client_is_served(server: Server) -> None:
    async with stdio_client(server, mode="legacy") as client:
        await handshake_era_client_is_served(client)
