"""The interaction service's store writes: the live event log and the stored one are the same."""

from __future__ import annotations

from orchestrator.interactions.service import InteractionService


async def test_stored_events_are_the_live_events_with_the_same_ids(service: InteractionService) -> None:
    record = await service.create("t1", {"model": "scripted:echo", "input": "hello there"})
    done = await service.wait("t1", record.id)
    assert done["status"] == "completed"
    assert done["steps"][-1]["content"][0]["text"] == "hello there", "get after the end has the final steps"
    live = service.live(record.id)
    assert live is not None
    stored = await service.store.steps.events_after("t1", record.id)
    assert [e.payload for e in stored] == live.events
    assert [e.seq for e in stored] == [int(e["event_id"]) for e in live.events] == list(range(len(stored)))
    assert stored[-1].event_type == "interaction.completed"
    assert stored[-1].payload["interaction"]["status"] == "completed"


async def test_the_final_status_usage_and_steps_are_stored_together(service: InteractionService) -> None:
    record = await service.create("t1", {"model": "scripted:echo", "input": "count me"})
    await service.wait("t1", record.id)
    final = await service.store.interactions.get("t1", record.id)
    assert final is not None and final.status == "completed"
    assert final.usage["total_tokens"] > 0
    steps = await service.store.steps.list_steps("t1", record.id)
    assert [s.type for s in steps] == ["user_input", "model_output"]
    await service.usage.flush()  # the usage meter writes counters in the background, once a second
    totals = await service.store.usage.totals("t1")
    assert (totals.interactions, totals.total_tokens) == (1, final.usage["total_tokens"])
    second = await service.create("t1", {"model": "scripted:echo", "input": "count me"})
    await service.wait("t1", second.id)
    await service.usage.flush()
    assert (await service.store.usage.totals("t1")).interactions == 2, "counters add up across flushes"
