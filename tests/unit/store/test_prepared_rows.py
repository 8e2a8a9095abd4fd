"""`Prepared.executemany` on SQLite converts a value shared by consecutive rows once (a batch's one
`created`), and still converts each row's own value: what is stored reads back row by row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchestrator.store import InteractionCreate, Store


async def test_rows_sharing_a_time_and_rows_with_their_own_read_back_exactly(store: Store) -> None:
    item = await store.interactions.create("t1", InteractionCreate(request={}))
    shared = datetime(2026, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC)
    own = [shared, shared, shared + timedelta(seconds=1), shared, shared + timedelta(hours=2)]
    events = [
        {"event_type": "step.delta", "event_id": str(i), "delta": {"text": f"part {i}"}} for i in range(5)
    ]

    def insert(conn: object) -> None:
        from orchestrator.store.steps import _INSERT_EVENTS

        rows = [
            {
                "interaction_id": item.id,
                "tenant": "t1",
                "seq": i,
                "event_type": "step.delta",
                "payload": event,
                "created": when,
            }
            for i, (event, when) in enumerate(zip(events, own, strict=True))
        ]
        _INSERT_EVENTS.executemany(conn, rows)  # type: ignore[arg-type]

    await store.db.run_write(insert)
    stored = await store.steps.events_after("t1", item.id)
    assert [e.created for e in stored] == own, "each row keeps its own time, shared or not"
    assert [e.payload for e in stored] == events
