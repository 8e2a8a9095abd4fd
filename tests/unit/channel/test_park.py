"""Parking the runner before a pause that keeps memory (issue 20, item 6), over a real channel socket.

gVisor cannot save a sandbox holding a connection to a host socket, so the orchestrator orders the
runner off the channel and waits until no connection is open. The order answers the runner's long
poll (once: the next poll after a resume gets work again); a parked runner closes its connections,
sends no browser frame, and polls again once a freeze (the checkpoint and restore) shows in its
clock, or after `for_s` when no pause came.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents.channel import Channel
from agents.parking import sit_out
from agents.protocol import Frame, Park, WorkItem
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.queues import PARK_FOR_S, WorkQueues
from orchestrator.channel.server import SOCKET_NAME, ChannelServers
from orchestrator.gateway.registry import ProviderRegistry

ENV = "env-park"
TOKEN = "park-token"


@dataclass
class Rig:
    hub: RunnerHub
    channels: ChannelServers
    channel: Channel


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    root = Path(tempfile.mkdtemp(prefix="wpk-", dir="/tmp"))  # socket paths must stay short

    async def check(token: str) -> bool:
        return token == TOKEN

    hub = RunnerHub(ProviderRegistry({}))
    channels = ChannelServers(hub, root / "run")
    await channels.ensure(ENV, check)
    channel = Channel(str(channels.folder(ENV) / SOCKET_NAME), TOKEN)
    yield Rig(hub, channels, channel)
    await channel.close()
    await channels.close_all()
    shutil.rmtree(root, ignore_errors=True)


async def test_a_parked_runner_lets_go_of_the_socket_and_polls_again_after(rig: Rig) -> None:
    poll = asyncio.create_task(rig.channel.next_work(wait_s=10))
    await asyncio.sleep(0.1)  # the long poll waits on the server
    taken = rig.hub.park(ENV)
    order = await asyncio.wait_for(poll, 5)
    assert isinstance(order, Park) and order.for_s == PARK_FOR_S
    assert taken.is_set()
    assert not await rig.channels.idle(ENV, 0.3)  # the poll's keep-alive connection is still open

    parked = asyncio.create_task(rig.channel.park(Park(for_s=1.0)))
    assert await rig.channels.idle(ENV, 3.0)  # the runner closed it
    frame = Frame(jpeg_b64="/9j/", url="http://127.0.0.1/")
    assert await rig.channel.frame(frame) is False  # no frame while parked
    assert await rig.channels.idle(ENV, 0.0)  # and no connection for it
    assert await parked is False  # no freeze: the wait ran out

    assert await rig.channel.next_work(wait_s=0.2) is None  # the order was taken once


async def test_an_order_no_poll_took_is_dropped_when_the_sandbox_stops(rig: Rig) -> None:
    taken = rig.hub.park(ENV)
    rig.channels.drop_polls(ENV)  # the sandbox was stopped instead
    assert await rig.channel.next_work(wait_s=0.2) is None
    assert not taken.is_set()


async def test_a_queued_turn_goes_before_an_order_to_park() -> None:
    queues = WorkQueues()
    work = WorkItem(interaction_id="i-1")
    await queues.put(ENV, work)
    queues.park(ENV)
    assert await queues.next(ENV, 1.0, lambda _: True) == work
    assert isinstance(await queues.next(ENV, 1.0, lambda _: True), Park)


async def test_idle_is_false_for_a_socket_this_process_does_not_serve(rig: Rig) -> None:
    assert not await rig.channels.idle("env-elsewhere", 0.0)


async def test_sit_out_returns_at_once_after_a_freeze() -> None:
    waiting = asyncio.create_task(sit_out(30.0))
    await asyncio.sleep(0.12)
    time.sleep(0.6)  # the whole process frozen, as by a checkpoint and a restore
    assert await asyncio.wait_for(waiting, 5) is True


async def test_sit_out_sees_a_freeze_that_came_before_it_began() -> None:
    # frozen between the close (which lets the orchestrator checkpoint) and the wait's first tick
    assert await asyncio.wait_for(sit_out(30.0, since=time.monotonic() - 0.6), 5) is True


async def test_sit_out_ends_after_its_time_without_a_freeze() -> None:
    assert await asyncio.wait_for(sit_out(0.3), 5) is False
