"""A real MCP server on loopback for each test, stopped by its pid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mcp_tool_server import McpToolServer


@pytest.fixture
def mcp_server(tmp_path: Path) -> Iterator[McpToolServer]:
    server = McpToolServer(tmp_path / "mcp-requests.jsonl")
    try:
        yield server
    finally:
        server.stop()
