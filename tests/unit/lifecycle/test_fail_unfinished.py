"""Interactions a dead process left running end `failed`, with the final events after the stored ones."""

from __future__ import annotations

from pathlib import Path

from orchestrator.interactions.ending import RESTART_ERROR, fail_unfinished
from orchestrator.store import Store
from orchestrator.store.interactions import InteractionCreate


async def test_unfinished_interactions_end_failed_with_their_last_events(tmp_path: Path) -> None:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}") as store:
        new = InteractionCreate(request={"model": "scripted:echo", "input": "hi"}, model="scripted:echo")
        running = await store.interactions.create("t", new)
        queued = await store.interactions.create("u", new.model_copy(update={"status": "queued"}))
        done = await store.interactions.create("t", new.model_copy(update={"status": "completed"}))
        await store.steps.append_event(
            "t", running.id, {"event_type": "interaction.created", "event_id": "0"}
        )

        assert await fail_unfinished(store) == 2
        assert await fail_unfinished(store) == 0

        for tenant, record, first in (("t", running, 1), ("u", queued, 0)):
            after = await store.interactions.get(tenant, record.id)
            assert after is not None and after.status == "failed" and after.errors == [RESTART_ERROR]
            events = await store.steps.events_after(tenant, record.id)
            assert [e.seq for e in events][-2:] == [first, first + 1]
            assert [e.payload["event_id"] for e in events][-2:] == [str(first), str(first + 1)]
            assert events[-1].payload["interaction"]["status"] == "failed"
            assert events[-1].payload["interaction"]["errors"] == [RESTART_ERROR]
        untouched = await store.interactions.get("t", done.id)
        assert untouched is not None and untouched.status == "completed"
