"""A model-form interaction with an `mcp_server` tool, end to end through the real app.

The scripted model calls `calc__add` then `calc__crash`: the steps show each call and result as
the wire's MCP step types, the header reached the server and appears in no step, event or log
line, and a server that died mid-call is an error result the model reads (the interaction still
completes). A server the operator did not allow is refused at create, or (a name) at listing.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from orchestrator.config import Settings
from tests.support.mcp_tool_server import McpToolServer
from tests.unit.api_app.conftest import App, start_app

SECRET = "Bearer tok-model-form-91ac"
SCRIPT = """
turns:
  - text: "Adding."
    tool_calls: [{name: calc__add, arguments: {a: 2, b: 40}}]
  - tool_calls: [{name: calc__crash, arguments: {}}]
  - text: "Sum {result:calc__add}; then: {last_result}"
"""


def _body(server: McpToolServer, url: str | None = None) -> dict[str, Any]:
    tool = {
        "type": "mcp_server",
        "name": "calc",
        "url": url or server.url,
        "headers": {"Authorization": SECRET},
    }
    return {"model": "scripted:mcp_calc", "input": "add 2 and 40", "tools": [tool]}


async def _app(tmp_path: Path, server: McpToolServer, allowed: bool = True) -> Any:
    (tmp_path / "scripts").mkdir(exist_ok=True)
    (tmp_path / "scripts" / "mcp_calc.yaml").write_text(SCRIPT)
    settings = Settings(
        data_dir=tmp_path / "data",
        sandboxes=False,
        scripts_dir=tmp_path / "scripts",
        egress_allow_addresses=[f"127.0.0.1:{server.port}"] if allowed else [],
        egress_hosts={"mcp.test": "127.0.0.1"},
    )
    return start_app(settings)


async def test_calls_results_and_a_dead_server(
    tmp_path: Path, mcp_server: McpToolServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async for api in await _app(tmp_path, mcp_server):
        answer = (await api.a.post("/v1beta/interactions", json=_body(mcp_server))).json()
        assert answer["status"] == "completed", answer
        steps = [s for s in answer["steps"] if s["type"].startswith("mcp_server")]
        call_id = steps[0]["id"]
        assert steps[0] == {
            "type": "mcp_server_tool_call",
            "id": call_id,
            "name": "add",
            "server_name": "calc",
            "arguments": {"a": 2, "b": 40},
        }
        assert steps[1] == {
            "type": "mcp_server_tool_result",
            "call_id": call_id,
            "name": "add",
            "server_name": "calc",
            "result": [{"type": "text", "text": "42"}],
        }
        assert steps[2]["type"] == "mcp_server_tool_call" and steps[2]["name"] == "crash"
        assert steps[3]["result"][0]["text"].startswith("the MCP tool call failed")
        final = answer["steps"][-1]
        assert final["type"] == "model_output" and final["content"][0]["text"].startswith(
            "Sum 42; then: the MCP"
        )
        assert mcp_server.process.wait(10) == 3
        assert all(h.get("authorization") == SECRET for h in mcp_server.requests())
        stored = await _stored_text(api)
        assert "mcp_server_tool_result" in stored and SECRET not in stored
        assert answer["tools"][0]["headers"] == {"Authorization": "[redacted]"}  # echoed, never shown
        assert SECRET not in json.dumps(answer)
        events = await api.a.get(f"/v1beta/interactions/{answer['id']}?stream=true")
        assert "mcp_server_tool_call" in events.text and SECRET not in events.text
    assert SECRET not in caplog.text and "tok-model-form" not in caplog.text


async def test_a_named_server_on_a_forbidden_address_fails_at_listing(
    tmp_path: Path, mcp_server: McpToolServer
) -> None:
    async for api in await _app(tmp_path, mcp_server, allowed=False):
        url = f"http://mcp.test:{mcp_server.port}/mcp"  # a name: decided when the turn connects
        answer = (await api.a.post("/v1beta/interactions", json=_body(mcp_server, url))).json()
        assert answer["status"] == "failed"
        assert answer["errors"][0]["code"] == "mcp_server_error"
        assert "loopback" in answer["errors"][0]["message"] and SECRET not in json.dumps(answer)
        literal = await api.a.post("/v1beta/interactions", json=_body(mcp_server))  # a literal: at create
        assert literal.status_code == 400 and literal.json()["error"]["message"].startswith("tools[0].url: ")
    assert mcp_server.requests() == []


async def test_an_agent_keeps_its_mcp_headers_but_never_shows_them(
    tmp_path: Path, mcp_server: McpToolServer
) -> None:
    async for api in await _app(tmp_path, mcp_server):
        tool = _body(mcp_server)["tools"][0]
        created = await api.a.post("/v1beta/agents", json={"id": "calc-agent", "tools": [tool]})
        assert created.status_code == 200, created.text
        listed = await api.a.get("/v1beta/agents")
        for body in (created.json(), (await api.a.get("/v1beta/agents/calc-agent")).json(), listed.json()):
            assert SECRET not in json.dumps(body) and "[redacted]" in json.dumps(body)
        stored = await api.services.store.agents.get("tenant-a", "calc-agent")
        assert stored is not None and stored.spec["tools"][0]["headers"] == {"Authorization": SECRET}
        private = await api.a.post("/v1beta/agents", json={"tools": [{**tool, "url": "http://10.0.0.9/mcp"}]})
        assert private.status_code == 400 and private.json()["error"]["message"].startswith("tools[0].url: ")
    assert mcp_server.requests() == []  # creating an agent connects to nothing


async def _stored_text(api: App) -> str:
    """Every stored step and event, as text."""
    async with api.services.store.db.read() as session:
        rows = [*(await session.execute(text("SELECT * FROM steps"))).all()]
        rows += [*(await session.execute(text("SELECT * FROM events"))).all()]
    return "\n".join(str(row) for row in rows)
