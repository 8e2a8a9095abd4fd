"""MCP tool call overhead on the orchestrator's side (issue 18): an `mcp_server` tool's call as the
orchestrator makes it, against the same call on a session the caller keeps open.

A real MCP server (the `mcp` SDK's, streamable HTTP, on loopback) serves `add(a, b)`. The
orchestrator's call (`McpToolset.run`) decides the address by the egress rules, connects pinned to
it, opens an MCP session, calls the tool and closes the session, since a session per call is what
lets a dead server fail one call only; the baseline is `add` on one open SDK session (the server's
and the transport's own time). Their difference is what Warren adds per call.

Usage: python -m bench.mcp_tools [--calls N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from mcp import Client

from agents.model_types import ToolCallPart
from bench.stats import latency_row, run_like_server, summary
from orchestrator.address_allowance import AddressAllowance
from orchestrator.egress.policy import Resolver
from orchestrator.mcp_tools import McpClient, McpServerSpec, McpToolset
from tests.support.mcp_tool_server import McpToolServer


async def _measure(server: McpToolServer, calls: int) -> dict[str, Any]:
    client = McpClient(Resolver(allow=[AddressAllowance.parse(f"127.0.0.1:{server.port}")]))
    spec = McpServerSpec.parse({"type": "mcp_server", "name": "calc", "url": server.url}, "tools[0]")
    toolset = await McpToolset.open(client, [spec])
    warren: list[float] = []
    for index in range(calls):
        started = time.perf_counter()
        _, result = await toolset.run(
            ToolCallPart(id=f"c{index}", name="calc__add", arguments={"a": index, "b": 1})
        )
        warren.append(time.perf_counter() - started)
        assert result.output == str(index + 1) and not result.is_error
    direct: list[float] = []
    async with Client(server.url, cache=None) as session:
        for index in range(calls):
            started = time.perf_counter()
            await session.call_tool("add", {"a": index, "b": 1})
            direct.append(time.perf_counter() - started)
    return {"orchestrator_call": summary(warren), "open_session_call": summary(direct)}


def main(calls: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="warren-mcp-bench-") as tmp:
        server = McpToolServer(Path(tmp) / "requests.jsonl")
        try:
            results = run_like_server(_measure(server, calls))
        finally:
            server.stop()
    orchestrator, direct = results["orchestrator_call"], results["open_session_call"]
    overhead = round(orchestrator["p50_ms"] - direct["p50_ms"], 2)
    results["overhead_p50_ms"] = overhead
    return {
        "benchmark": "mcp_tools",
        "machine": {"cpus": os.cpu_count()},
        "results": results,
        "rows": [
            latency_row(
                "`mcp_server` tool call by the orchestrator (address check, pinned connection, an MCP "
                f"session per call) on a loopback server; p50 {overhead} ms over the same call on an "
                "open session",
                orchestrator,
            ),
            latency_row("the same MCP tool call on one open SDK session (baseline)", direct),
        ],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=200, help="calls of each kind (default 200)")
    report = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the MCP server process logs to its stdout: keep that out of the JSON report
    print(json.dumps(main(parser.parse_args().calls), indent=2), file=report)
    report.close()
