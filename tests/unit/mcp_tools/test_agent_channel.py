"""An agent's `mcp_server` tools over the real runner channel: the hub runs them, the runner never does.

The real runner loop (`agents.runner.Runner`, fake built-in tools) talks to the hub over its Unix
socket; the hub has the interaction's MCP tools (a real MCP server on loopback). The model is
offered them beside the built-ins; an answer that calls only an MCP tool is followed by another
model call inside the same step, a mixed answer reaches the runner without its MCP call, and the
steps record `mcp_server_tool_call` / `_result` in order.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.channel import Channel
from agents.model_types import Message, ModelRequest, StreamEvent, TextPart
from agents.protocol import Budget, WorkItem
from agents.runner import Runner
from orchestrator.address_allowance import AddressAllowance
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.server import SOCKET_NAME, ChannelServers
from orchestrator.channel.turn import answers_of
from orchestrator.egress.policy import EgressPolicy, Resolver
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.gateway.retry import RetryPolicy
from orchestrator.gateway.scripted import ScriptedProvider
from orchestrator.interactions.agent_tools import AgentTools
from orchestrator.interactions.history import to_messages
from orchestrator.interactions.live import LiveLogs
from orchestrator.interactions.recorder import Recorder
from orchestrator.interactions.web_pages import EgressPageFetcher
from orchestrator.interactions.web_tools import WebTools
from orchestrator.mcp_tools import McpClient, McpServerSpec, McpToolset
from orchestrator.store import InteractionCreate, Store
from tests.support.mcp_tool_server import McpToolServer
from tests.unit.channel.test_steps import FakeTools

ENV, TENANT = "env-mcp", "t1"
SECRET = "Bearer tok-agent-77e1"
TURNS = [
    {"text": "Adding first.", "tool_calls": [{"name": "calc__add", "arguments": {"a": 2, "b": 3}}]},
    {
        "tool_calls": [
            {"name": "write_file", "arguments": {"path": "sum.txt", "content": "{result:calc__add}"}},
            {"name": "calc__add", "arguments": {"a": 1, "b": 1}},
        ]
    },
    {"text": "done: {result:calc__add}"},
]


class SeeingModel:
    """The scripted model, keeping every request it was sent."""

    name = "scripted"
    folder = Path()
    requests: list[ModelRequest] = []

    def __init__(self, model: str, _policy: RetryPolicy | None = None) -> None:
        self.inner = ScriptedProvider(model, folders=(SeeingModel.folder,))

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        SeeingModel.requests.append(request)
        async for event in self.inner.stream(request):
            yield event


async def _any_token(_token: str) -> bool:
    return True


@pytest.fixture
async def root() -> AsyncIterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="wmcp-", dir="/tmp"))  # socket paths must stay short
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


async def test_the_hub_runs_mcp_calls_and_the_runner_only_its_own(
    root: Path, mcp_server: McpToolServer
) -> None:
    (root / "mcp_agent.yaml").write_text(yaml.safe_dump({"turns": TURNS}))
    SeeingModel.folder, SeeingModel.requests = root, []
    store = await Store.open(f"sqlite+aiosqlite:///{root / 'w.db'}")
    hub = RunnerHub(ProviderRegistry({"scripted": SeeingModel}), runner_timeout_s=5)
    channels = ChannelServers(hub, root / "run")
    await channels.ensure(ENV, _any_token)
    user = {"type": "user_input", "content": [{"type": "text", "text": "go"}]}
    record = await store.interactions.create(
        TENANT, InteractionCreate(request={"agent": "default"}, agent="default", steps=[user])
    )

    async def persist(steps: list[dict[str, Any]], events: list[dict[str, Any]], _usage: Any) -> None:
        await store.steps.append_batch(TENANT, record.id, steps, events)

    recorder = Recorder(LiveLogs().open(record.id, stored=[]), persist, first_index=1)
    client = McpClient(Resolver(allow=[AddressAllowance.parse(f"127.0.0.1:{mcp_server.port}")]))
    spec = {"type": "mcp_server", "name": "calc", "url": mcp_server.url, "headers": {"Authorization": SECRET}}
    toolset = await McpToolset.open(client, [McpServerSpec.parse(spec, "tools[0]")])
    recorder.mcp_names = dict(toolset.names)
    work = WorkItem(interaction_id=record.id, builtin_tools=["write_file", "list_files"], budget=Budget())
    conversation = [Message(role="user", parts=[TextPart(text="go")])]
    try:
        running = asyncio.create_task(
            hub.run(ENV, "scripted:mcp_agent", work, recorder, conversation, server_tools=toolset)
        )
        channel = Channel(str(channels.folder(ENV) / SOCKET_NAME), "token")
        pulled = await channel.next_work(wait_s=5)
        assert pulled is not None and SECRET not in pulled.model_dump_json()
        tools = FakeTools()
        outcome = asyncio.create_task(Runner(channel, tools, workspace=root).run(pulled))
        report = await running
        hub.committed(record.id)
        assert await outcome == report.outcome == "completed"
        await channel.close()

        assert tools.calls == [("write_file", {"path": "sum.txt", "content": "5"})], (
            "the runner ran only its own"
        )
        offered = [tool.name for tool in SeeingModel.requests[0].tools]
        assert "calc__add" in offered and "calc__crash" in offered and "write_file" in offered
        stored = [row.payload for row in await store.steps.list_steps(TENANT, record.id)]
        assert [s["type"] for s in stored] == [
            "user_input",
            "model_output",
            "mcp_server_tool_call",
            "mcp_server_tool_result",
            "function_call",
            "mcp_server_tool_call",
            "mcp_server_tool_result",
            "function_result",
            "model_output",
        ]
        assert (
            stored[3]["result"] == [{"type": "text", "text": "5"}] and stored[3]["call_id"] == stored[2]["id"]
        )
        assert stored[-1]["content"][0]["text"] == "done: 2"
        assert SECRET not in str(stored)
        assert all(h.get("authorization") == SECRET for h in mcp_server.requests())
        # a restarted process replays the runner's two answers, not the hub's own model call
        answers = answers_of(to_messages(stored), toolset.owns)
        assert len(answers) == 2 and [(p.type, getattr(p, "name", "")) for p in answers[0].parts] == [
            ("tool_call", "write_file")
        ]
    finally:
        await channels.close_all()
        await store.close()


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body><p>Rabbits live in burrows.</p></body></html>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture
def page_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


async def test_url_context_for_an_agent_is_read_by_the_orchestrator(root: Path, page_port: int) -> None:
    """The agent's sandbox has no route to the page; the hub reads it and the model gets the text."""
    url = f"http://pages.test:{page_port}/rabbits"
    turns = [
        {"tool_calls": [{"name": "url_context", "arguments": {"urls": [url]}}]},
        {"text": "{last_result}"},
    ]
    (root / "agent_web.yaml").write_text(yaml.safe_dump({"turns": turns}))
    SeeingModel.folder, SeeingModel.requests = root, []
    store = await Store.open(f"sqlite+aiosqlite:///{root / 'w.db'}")
    hub = RunnerHub(ProviderRegistry({"scripted": SeeingModel}), runner_timeout_s=5)
    channels = ChannelServers(hub, root / "run")
    await channels.ensure(ENV, _any_token)
    user = {"type": "user_input", "content": [{"type": "text", "text": "read"}]}
    record = await store.interactions.create(
        TENANT, InteractionCreate(request={"agent": "default"}, agent="default", steps=[user])
    )

    async def persist(steps: list[dict[str, Any]], events: list[dict[str, Any]], _usage: Any) -> None:
        await store.steps.append_batch(TENANT, record.id, steps, events)

    resolver = Resolver(
        allow=[AddressAllowance.parse(f"127.0.0.1:{page_port}")], hosts={"pages.test": "127.0.0.1"}
    )
    pages = EgressPageFetcher(resolver, EgressPolicy.from_entries([{"domain": f"pages.test:{page_port}"}]))
    web = WebTools(pages)
    tools = AgentTools(web=web, web_names=web.enabled({"url_context"}))
    work = WorkItem(interaction_id=record.id, builtin_tools=["browser"], budget=Budget())
    try:
        running = asyncio.create_task(
            hub.run(
                ENV,
                "scripted:agent_web",
                work,
                Recorder(LiveLogs().open(record.id, stored=[]), persist, 1),
                [Message(role="user", parts=[TextPart(text="read")])],
                server_tools=tools,
            )
        )
        channel = Channel(str(channels.folder(ENV) / SOCKET_NAME), "token")
        pulled = await channel.next_work(wait_s=5)
        assert pulled is not None
        runner_tools = FakeTools()
        outcome = asyncio.create_task(Runner(channel, runner_tools, workspace=root).run(pulled))
        report = await running
        hub.committed(record.id)
        assert await outcome == report.outcome == "completed"
        await channel.close()
        assert runner_tools.calls == []
        offered = [tool.name for tool in SeeingModel.requests[0].tools]
        assert "url_context" in offered and "browser" in offered
        stored = [row.payload for row in await store.steps.list_steps(TENANT, record.id)]
        assert [s["type"] for s in stored] == [
            "user_input",
            "url_context_call",
            "url_context_result",
            "model_output",
        ]
        assert stored[2]["result"] == [{"url": url, "status": "success"}]
        assert "Rabbits live in burrows." in stored[-1]["content"][0]["text"]
    finally:
        await channels.close_all()
        await store.close()
