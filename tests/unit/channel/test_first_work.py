"""A warm-pool runner's first turn arrives with its assignment (issue 20, item 2), over a real socket.

An agent interaction announces its turn before it takes a pool slot; the slot's assignment then
waits a moment for the turn and carries it, so the runner runs it without a `GET /work` round trip
through the sandbox. A hand-over that announced nothing (a files call, `warren attach`) is answered
at once, and an announced turn that does not come in time is left for the runner's first poll.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from agents.assignment import wait_for_assignment
from agents.channel import Channel
from agents.protocol import Assignment, Park, WorkItem
from agents.runner import Runner
from agents.uds_http import UnixHttp
from orchestrator.channel import hub as hub_module
from orchestrator.channel.server import SOCKET_NAME
from tests.unit.channel.test_steps import CONVERSATION, FakeTools, Rig, _any_token, _work, rig

__all__ = ["rig"]  # the fixture, shared with the steps tests

POOL = "env-pool-slot"
SECRET = "the-slot-secret"
TOKEN = "the-runner-token"


async def _waiting_slot(rig: Rig) -> tuple[str, asyncio.Task[Assignment]]:
    """A pool slot whose runner long-polls its assignment (the runner's own code)."""
    asked = await rig.channels.serve_slot(POOL, SECRET)
    socket = str(rig.channels.folder(POOL) / SOCKET_NAME)
    http = UnixHttp(socket, {"authorization": f"Bearer {SECRET}"})
    waiting = asyncio.create_task(wait_for_assignment(http))
    await asyncio.wait_for(asked.wait(), 5)
    return socket, waiting


async def _hand_over(rig: Rig) -> None:
    await rig.channels.assign(POOL, _any_token, Assignment(env={"GREETING": "hi"}, token=TOKEN))


async def test_the_announced_turn_comes_with_the_assignment_and_runs_before_any_poll(rig: Rig) -> None:
    socket, waiting = await _waiting_slot(rig)
    work = _work(rig)
    rig.hub.announce(POOL)
    await _hand_over(rig)
    await asyncio.sleep(0.05)  # the interaction queues its turn a little after the hand-over
    running = asyncio.create_task(rig.hub.run(POOL, rig.model, work, rig.recorder(), CONVERSATION))
    assignment = await asyncio.wait_for(waiting, 5)
    assert assignment.work == work
    assert assignment.env == {"GREETING": "hi"}

    channel = Channel(socket, TOKEN)
    polls: list[float] = []
    poll = channel.next_work

    async def counted(wait_s: float = 25.0) -> WorkItem | Park | None:
        polls.append(wait_s)
        return await poll(wait_s)

    channel.next_work = counted  # type: ignore[method-assign]
    tools = FakeTools()
    serving = asyncio.create_task(Runner(channel, tools, workspace=rig.root).serve_forever(assignment.work))
    report = await asyncio.wait_for(running, 10)
    assert report.outcome == "completed"
    assert [name for name, _ in tools.calls] == ["write_file", "list_files"], "the turn ran, once"
    assert polls == [], "the turn was not polled for"
    rig.hub.committed(rig.interaction_id)
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)
    await channel.close()


async def test_a_hand_over_nobody_announced_is_answered_at_once_without_a_turn(rig: Rig) -> None:
    _socket, waiting = await _waiting_slot(rig)
    started = time.monotonic()
    await _hand_over(rig)
    assignment = await asyncio.wait_for(waiting, 5)
    assert assignment.work is None
    assert time.monotonic() - started < 1.0, "no wait for a turn nothing announced"


async def test_an_announced_turn_that_comes_late_is_left_for_the_first_poll(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub_module, "_ANNOUNCED_S", 0.3)
    socket, waiting = await _waiting_slot(rig)
    rig.hub.announce(POOL)
    await _hand_over(rig)
    assignment = await asyncio.wait_for(waiting, 5)
    assert assignment.work is None, "the assignment waited no longer than the announcement holds"

    work = _work(rig)
    running = asyncio.create_task(rig.hub.run(POOL, rig.model, work, rig.recorder(), CONVERSATION))
    channel = Channel(socket, TOKEN)
    assert await channel.next_work(wait_s=5) == work, "the runner's poll takes it"
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await channel.close()
