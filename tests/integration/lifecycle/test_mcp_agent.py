"""An agent's `mcp_server` tool through the public API with a real sandbox (issue 18 acceptance).

A real MCP server (the `mcp` SDK's, on loopback, allowed by the operator setting) gives the agent
its tools; the scripted model calls `calc__add`, then runs a command in the sandbox that looks for
the tool's header everywhere a sandbox process can: every process's environment, and the files of
the workspace, /tmp, /home, /etc, /run and /skills. The header reached the server, the steps show
the MCP call and result, and the sandbox found the secret nowhere (the command builds its search
pattern at run time, so its own text does not carry the secret; a control string put in a process's
environment and a file is found, so the search works).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.lifecycle.conftest import Start, V
from tests.support.mcp_tool_server import McpToolServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

SECRET = "Bearer tok-sandbox-91ff"
SEARCH = (
    "echo {name}env=$(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c -- \"${var}\"); "
    'echo {name}files=$(grep -rl -- "${var}" /workspace /tmp /home /etc /run /skills 2>/dev/null | wc -l); '
)
LOOK = (
    "P=tok-sand; P=${P}box-91ff; C=ctl-mark; C=${C}er-77; echo $C > /tmp/control.txt; "
    "(X=$C exec sleep 30 &); sleep 0.5; "  # the control: a process environment and a file that hold it
    + SEARCH.format(name="", var="P")
    + SEARCH.format(name="control", var="C")
    + "echo sum={result:calc__add}"
)


@pytest.fixture
def mcp_server(tmp_path: Path) -> Iterator[McpToolServer]:
    server = McpToolServer(tmp_path / "mcp-requests.jsonl")
    try:
        yield server
    finally:
        server.stop()


async def test_an_agent_calls_an_mcp_tool_whose_header_never_enters_the_sandbox(
    start: Start, tmp_path: Path, mcp_server: McpToolServer
) -> None:
    turns = [
        {"tool_calls": [{"name": "calc__add", "arguments": {"a": 20, "b": 22}}]},
        {"tool_calls": [{"name": "run_code", "arguments": {"language": "bash", "code": LOOK}}]},
        {"text": "done"},
    ]
    (tmp_path / "mcp_agent.json").write_text(json.dumps({"turns": turns}))
    tool = {"type": "mcp_server", "name": "calc", "url": mcp_server.url, "headers": {"Authorization": SECRET}}
    allow = [f"127.0.0.1:{mcp_server.port}"]
    async with start(scripts_dir=tmp_path, egress_allow_addresses=allow) as server:
        answer = await server.client.post(
            f"{V}/interactions",
            json={
                "agent": "default",
                "agent_config": {"type": "antigravity", "model": "scripted:mcp_agent"},
                "input": "go",
                "tools": [tool, {"type": "code_execution"}],
            },
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
    assert body["status"] == "completed", body
    kinds = [step["type"] for step in body["steps"]]
    assert kinds[:3] == ["user_input", "mcp_server_tool_call", "mcp_server_tool_result"]
    assert body["steps"][2]["result"] == [{"type": "text", "text": "42"}]
    output = next(s for s in body["steps"] if s["type"] == "code_execution_result")["result"]
    assert "controlenv=1" in output and "controlfiles=1" in output, output  # the search finds things
    assert "\nenv=0" in f"\n{output}" and "\nfiles=0" in f"\n{output}" and "sum=42" in output, output
    assert SECRET not in json.dumps(body)
    assert mcp_server.requests() and all(h.get("authorization") == SECRET for h in mcp_server.requests())
