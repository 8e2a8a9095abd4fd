"""What the MCP tests share: the `mcp` SDK's own clients of `warren mcp` (stdio, a subprocess) and of
`/mcp` on `warren serve`, and the demo run both follow to its end and whose report both read.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from orchestrator.demo import SALES
from tests.cli.conftest import Server
from tests.support.serve import WARREN

TOOLS = {
    "warren_start_run",
    "warren_get_run",
    "warren_continue_run",
    "warren_cancel_run",
    "warren_list_files",
    "warren_read_file",
}


SNIPPETS = Path(__file__).parent / "snippets"
"""The IDE configurations docs/clients.md shows; the clients here are built from them."""


def _config(name: str) -> dict[str, Any]:
    server: dict[str, Any] = json.loads((SNIPPETS / name).read_text())["mcpServers"]["warren"]
    return server


@asynccontextmanager
async def stdio_client(server: Server, key: str | None = None, mode: str = "auto") -> AsyncIterator[Client]:
    """`warren mcp` as an IDE starts it from `snippets/mcp_stdio.json`, pointed at `server`."""
    config = _config("mcp_stdio.json")
    assert config["command"] == "warren" and config["env"]["WARREN_URL"].startswith("http://")
    env = {**server.env(), **config["env"], "WARREN_URL": server.url, "WARREN_API_KEY": key or server.key}
    params = StdioServerParameters(command=WARREN, args=config["args"], env=env)
    async with Client(params, read_timeout_seconds=120, mode=mode) as client:
        yield client


@asynccontextmanager
async def http_client(server: Server, key: str | None = None, mode: str = "auto") -> AsyncIterator[Client]:
    """The SDK's streamable-HTTP client configured as `snippets/mcp_http.json`, pointed at `server`."""
    config = _config("mcp_http.json")
    url = config["url"].replace("http://127.0.0.1:8080", server.url)
    headers = {
        name: value.replace("wk_your_key", key or server.key) for name, value in config["headers"].items()
    }
    http = httpx2.AsyncClient(headers=headers, timeout=120)
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        yield client


async def handshake_era_client_is_served(client: Client) -> None:
    """A client of the initialize handshake (what IDEs speak today) lists the tools and calls one."""
    assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
    answer = await call(client, "warren_get_run", {"interaction_id": "int_missing"})
    assert answer["is_error"] and "404" in answer["error"], answer


async def call(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A tool's JSON answer; the structured content and the text block say the same."""
    result = await client.call_tool(name, arguments)
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content
    answer: dict[str, Any] = {**result.structured_content, "is_error": result.is_error}
    return answer


async def run_demo(client: Client) -> dict[str, Any]:
    """Start the demo with its CSV, follow it to its end (reading only new steps), return the last view."""
    tools = {tool.name for tool in (await client.list_tools()).tools}
    assert tools == TOOLS
    run = await call(
        client,
        "warren_start_run",
        {
            "agent": "default",
            "model": "scripted:demo",
            "input": "Analyse sales.csv and write a report.",
            "files": {"sales.csv": SALES},
            "wait_s": 0,
        },
    )
    assert not run["is_error"], run
    assert run["interaction_id"] and run["environment_id"]
    seen: list[dict[str, Any]] = list(run["steps"])
    view = run
    for _ in range(20):  # 20 waits of up to 30 s: the scripted demo ends well within
        view = await call(
            client,
            "warren_get_run",
            {"interaction_id": run["interaction_id"], "wait_s": 30, "from_step": view["next_step"]},
        )
        assert not view["is_error"], view
        seen.extend(view["steps"])
        if view["status"] != "in_progress":
            break
    assert view["status"] == "completed", view
    assert len(seen) == view["next_step"]  # from_step gave each step once
    writes = [s for s in seen if s.get("type") == "function_call" and s.get("name") == "write_file"]
    assert writes and writes[0]["arguments"]["path"] == "report.md"
    assert "report.md" in view["output_text"]
    return view


async def check_files(client: Client, environment_id: str) -> None:
    listing = await call(client, "warren_list_files", {"environment_id": environment_id})
    paths = {entry["path"] for entry in listing["files"]}
    assert {"sales.csv", "report.md", "report.html", "chart.svg"} <= paths, paths
    report = await call(client, "warren_read_file", {"environment_id": environment_id, "path": "report.md"})
    assert report["encoding"] == "utf-8" and not report["truncated"]
    assert report["content"].startswith("# Sales report")
    assert "| North |" in report["content"] or "| region | units |" in report["content"]
    head = await call(
        client, "warren_read_file", {"environment_id": environment_id, "path": "report.md", "max_bytes": 8}
    )
    assert head["content"] == "# Sales " and head["truncated"] and head["size_bytes"] == report["size_bytes"]
