"""Subscribers of a live log drop and resume in parallel without breaking each other (issue 15, defect 1).

A subscriber that is cancelled (its client went away) while it waits must not release a lock another
subscriber holds, and a keep-alive must not be handed out while the log's lock is held.
"""

from __future__ import annotations

import asyncio
import contextlib
import random

from orchestrator.interactions.live import LiveLog

EVENTS = 300
SUBSCRIBERS = 8
ROUNDS = 20


async def _produce(log: LiveLog) -> None:
    for index in range(EVENTS - 1):
        await log.append("content.delta", index=index)
        for _ in range(index % 3):
            await asyncio.sleep(0)
    await log.append("interaction.completed")


async def _read(log: LiveLog, after: int, seen: list[int]) -> None:
    async for event in log.follow(after, idle_timeout_s=0.0005):
        if event is not None:
            seen.append(int(event["event_id"]))


async def _subscriber(log: LiveLog, rng: random.Random) -> list[int]:
    """Follow the log to its end, dropped at random points and resumed after the last event seen."""
    seen: list[int] = []
    while not seen or seen[-1] != EVENTS - 1:
        reader = asyncio.create_task(_read(log, seen[-1] if seen else -1, seen))
        for _ in range(rng.randrange(0, 12)):
            await asyncio.sleep(0 if rng.random() < 0.8 else 0.0005)
        if not reader.done():
            reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):  # the client went away; anything else fails
            await reader
    return seen


async def test_many_subscribers_dropping_and_resuming_see_every_event_once() -> None:
    for round_ in range(ROUNDS):
        log = LiveLog(f"int_{round_}")
        rng = random.Random(round_)
        producer = asyncio.create_task(_produce(log))
        readers = (_subscriber(log, random.Random(rng.random())) for _ in range(SUBSCRIBERS))
        streams = await asyncio.gather(*readers)
        await producer
        for seen in streams:
            assert seen == list(range(EVENTS))


async def test_a_keep_alive_is_handed_out_without_holding_the_log() -> None:
    log = LiveLog("int_1")
    stream = log.follow(-1, idle_timeout_s=0.0005)
    assert await anext(stream) is None  # a keep-alive; the reader now stalls before asking for more
    appended = asyncio.create_task(log.append("content.delta"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert appended.done(), "a stalled subscriber blocked the recording of the next event"
    event = await anext(stream)
    assert event is not None and event["event_id"] == "0"
    await stream.aclose()
