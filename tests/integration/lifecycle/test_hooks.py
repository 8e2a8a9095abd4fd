"""Tool hooks (issue 17, item 3), with real sandboxes through the public API.

The workspace's `.agents/hooks.json` holds the hooks, in the format Google documents for managed
agents. A pre hook that denies stops a matching `run_code` (its side effect never happens) and the
model's tool result carries the reason; a post hook sees the result; a crashing hook is skipped by
default and refuses the call with `hooks_fail_closed`; an http hook goes through the sandbox's egress
proxy, so an address the environment's policy does not allow never reaches it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.lifecycle.conftest import Server, Start, V

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

GUARD = """import json, sys
event = json.load(sys.stdin)
if "rm " in event["tool_input"].get("code", ""):
    print(json.dumps({"decision": "deny", "reason": "deleting files is not allowed here"}))
"""


def _hooks(pre: list[dict[str, Any]], post: list[dict[str, Any]] | None = None) -> str:
    group: dict[str, Any] = {"pre_tool_execution": [{"matcher": "^run_code$", "hooks": pre}]}
    if post:
        group["post_tool_execution"] = [{"matcher": ".*", "hooks": post}]
    return json.dumps({"guard": group, "off": {"enabled": False, "pre_tool_execution": [
        {"matcher": ".*", "hooks": [{"type": "command", "command": "exit 9"}]}]}})  # fmt: skip


async def _environment(server: Server, files: dict[str, str], network: dict[str, Any] | None = None) -> str:
    sources = [{"type": "inline", "content": text, "target": path} for path, text in files.items()]
    made = await server.client.post(
        f"{V}/environments", json={"sources": sources, **({"network": network} if network else {})}
    )
    assert made.status_code == 200, made.text
    return str(made.json()["id"])


async def _run(server: Server, tmp: Path, environment: str, *commands: str) -> dict[str, Any]:
    """An agent interaction whose scripted model runs each bash command in turn, then answers."""
    turns: list[dict[str, Any]] = [
        {"tool_calls": [{"name": "run_code", "arguments": {"language": "bash", "code": command}}]}
        for command in commands
    ]
    script = tmp / f"hooks{abs(hash(commands))}.json"
    script.write_text(json.dumps({"turns": [*turns, {"text": "done"}]}))
    answer = await server.client.post(
        f"{V}/interactions",
        json={
            "agent": "default",
            "agent_config": {"type": "antigravity", "model": f"scripted:{script.stem}"},
            "environment": environment,
            "input": "go",
        },
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == "completed", body.get("errors")
    return body


def _results(body: dict[str, Any]) -> list[tuple[bool, str]]:
    return [
        (bool(step.get("is_error")), json.dumps(step["result"]))
        for step in body["steps"]
        if step["type"] == "code_execution_result"
    ]


async def _file(server: Server, environment: str, path: str) -> str | None:
    got = await server.client.get(f"{V}/environments/{environment}/files/{path}", params={"alt": "media"})
    return got.text if got.status_code == 200 else None


async def test_a_deny_stops_the_command_and_the_model_reads_why(start: Start, tmp_path: Path) -> None:
    post = [{"type": "command", "command": "cat >> post.log; echo >> post.log"}]
    files = {
        ".agents/hooks.json": _hooks([{"type": "command", "command": "python3 .agents/guard.py"}], post),
        ".agents/guard.py": GUARD,
        "keep.txt": "precious",
    }
    async with start(scripts_dir=tmp_path) as server:
        environment = await _environment(server, files)
        body = await _run(server, tmp_path, environment, "rm keep.txt", "echo made > made.txt; echo ok")
        kept, made = (
            await _file(server, environment, "keep.txt"),
            await _file(server, environment, "made.txt"),
        )
        post_log = await _file(server, environment, "post.log")
    denied, allowed = _results(body)
    assert denied[0] and "denied by hook .agents/hooks.json:guard" in denied[1]
    assert "deleting files is not allowed here" in denied[1], "the model reads the reason"
    assert kept == "precious", "the denied command never ran"
    assert not allowed[0] and made == "made\n"
    events = [json.loads(line) for line in (post_log or "").splitlines() if line.strip()]
    assert [(e["event"], e["tool_input"]["code"]) for e in events] == [
        ("post_tool_execution", "echo made > made.txt; echo ok")
    ], "post hooks see only calls that ran"
    assert "ok" in events[0]["tool_output"] and events[0]["is_error"] is False


@pytest.mark.parametrize("fail_closed", [False, True], ids=["fail-open", "fail-closed"])
async def test_a_crashing_hook_follows_the_fail_mode(start: Start, tmp_path: Path, fail_closed: bool) -> None:
    files = {".agents/hooks.json": _hooks([{"type": "command", "command": "echo boom >&2; exit 3"}])}
    async with start(scripts_dir=tmp_path, hooks_fail_closed=fail_closed) as server:
        environment = await _environment(server, files)
        body = await _run(server, tmp_path, environment, "echo ran > ran.txt")
        ran = await _file(server, environment, "ran.txt")
    [(is_error, result)] = _results(body)
    if fail_closed:
        assert is_error and "hook .agents/hooks.json:guard failed: exit status 3: boom" in result
        assert ran is None, "refused: the command never ran"
    else:
        assert not is_error and ran == "ran\n", "fail open: the hook is skipped"


@pytest.fixture
async def hook_server() -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
    """A loopback HTTP hook that records each event and denies every call; yields (port, events)."""
    events: list[dict[str, Any]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            fields = (line.partition(b":") for line in head.split(b"\r\n"))
            length = int(next(v for k, _, v in fields if k.strip().lower() == b"content-length"))
            events.append(json.loads(await reader.readexactly(length)))
            answer = json.dumps({"decision": "deny", "reason": "the reviewer said no"}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(answer))
            writer.write(answer)
            await writer.drain()
        except (TimeoutError, OSError, ValueError, StopIteration, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1], events


async def test_http_hooks_go_through_the_egress_policy(
    start: Start, tmp_path: Path, hook_server: tuple[int, list[dict[str, Any]]]
) -> None:
    port, events = hook_server
    allowed = _hooks([{"type": "http", "url": f"http://hooks.warren.test:{port}/pre", "timeout": 10}])
    # 10.0.0.1 is not on the environment's allowlist: its proxy refuses it before connecting anywhere.
    forbidden = _hooks([{"type": "http", "url": "http://10.0.0.1:9/pre", "timeout": 10}])
    network = {"allowlist": [{"domain": f"hooks.warren.test:{port}"}]}
    async with start(
        scripts_dir=tmp_path,
        hooks_fail_closed=True,
        egress_allow_addresses=["127.0.0.1:*"],
        egress_hosts={"hooks.warren.test": "127.0.0.1"},
    ) as server:
        reviewed = await _environment(server, {".agents/hooks.json": allowed}, network)
        denied = _results(await _run(server, tmp_path, reviewed, "echo a > a.txt"))
        blocked = await _environment(server, {".agents/hooks.json": forbidden}, network)
        refused = _results(await _run(server, tmp_path, blocked, "echo b > b.txt"))
        files = [await _file(server, reviewed, "a.txt"), await _file(server, blocked, "b.txt")]
    assert denied[0][0] and "the reviewer said no" in denied[0][1]
    assert [(e["event"], e["tool_name"]) for e in events] == [("pre_tool_execution", "run_code")]
    assert refused[0][0] and "HTTP 403" in refused[0][1], refused
    assert files == [None, None], "neither command ran"
