"""A stream gets an interaction's ending only once the ending is stored.

So a client that reads the interaction as soon as its stream has ended finds the final status. Before,
the ending's events went to the live log first and to the store after: under load, Google's SDK's
`interactions.create(stream=True)` followed by `interactions.get` answered `in_progress`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from orchestrator.interactions.finish import Finisher
from orchestrator.interactions.live import LiveLogs
from orchestrator.interactions.recorder import Recorder
from orchestrator.interactions.usage import UsageMeter
from orchestrator.store import Store
from orchestrator.store.interactions import InteractionCreate


async def _nothing(*_: Any) -> None:
    return None


async def test_the_ending_reaches_a_stream_only_after_it_is_stored(tmp_path: Path) -> None:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'warren.db'}") as store:
        row = InteractionCreate(request={"model": "scripted:echo", "input": "hi"}, model="scripted:echo")
        record = await store.interactions.create("t", row)
        log = LiveLogs().open(record.id)
        await log.append("interaction.created", interaction={"id": record.id})
        stored, go = asyncio.Event(), asyncio.Event()
        append_batch = store.steps.append_batch

        async def slow_commit(*args: Any, **kwargs: Any) -> Any:
            stored.set()
            await go.wait()
            return await append_batch(*args, **kwargs)

        store.steps.append_batch = slow_commit  # type: ignore[method-assign]
        seen: list[str] = []
        status_when_ended: list[str] = []

        async def follow() -> None:
            async for event in log.follow(idle_timeout_s=30):
                if event is None:
                    continue
                seen.append(event["event_type"])
                if event["event_type"] == "interaction.completed":
                    row = await store.interactions.get("t", record.id)
                    status_when_ended.append(row.status if row else "gone")

        follower = asyncio.create_task(follow())
        recorder = Recorder(log, _nothing, first_index=1)
        ending = asyncio.create_task(
            Finisher(store, None, UsageMeter(store)).finish("t", record, recorder, "completed", None)
        )
        await asyncio.wait_for(stored.wait(), timeout=5)
        for _ in range(10):  # the follower has every chance to run
            await asyncio.sleep(0)
        assert seen == ["interaction.created"], "no part of the ending before it is stored"

        go.set()
        await asyncio.wait_for(ending, timeout=5)
        await asyncio.wait_for(follower, timeout=5)
        assert seen == ["interaction.created", "interaction.status_update", "interaction.completed"]
        assert status_when_ended == ["completed"]
        assert [e["event_id"] for e in log.events] == ["0", "1", "2"]
