"""Replicas and interaction leases on PostgreSQL: one holder at a time, on the database's clock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from orchestrator.store import Database, InteractionCreate, Store
from orchestrator.store.leases import LeaseLostError, ending_release
from tests.support.postgres import PostgresServer


@pytest.fixture
async def pg(postgres: PostgresServer) -> AsyncIterator[Store]:
    url = await postgres.create_database()
    db = Database(url)
    await db.migrate()
    yield Store(db)
    await db.close()
    await postgres.drop_database(url.rsplit("/", 1)[1])


async def _running(store: Store, lease: tuple[str, float] | None = None) -> str:
    record = await store.interactions.create("t", InteractionCreate(request={}, model="m"), lease)
    return record.id


async def test_a_created_interaction_is_leased_to_its_creator(pg: Store) -> None:
    leased = await _running(pg, ("rep_a", 30.0))
    free = await _running(pg)
    assert await pg.leases.orphaned() == [free], "only the one without a lease is left over"
    assert not await pg.leases.claim(leased, "rep_b", 30.0), "a live lease is not taken"
    assert await pg.leases.claim(leased, "rep_a", 30.0), "its holder may claim it again (renewal)"


async def test_of_many_claimers_exactly_one_gets_a_lapsed_lease(pg: Store) -> None:
    interaction_id = await _running(pg, ("rep_dead", 0.0))  # lapsed at once
    assert await pg.leases.orphaned() == [interaction_id]
    won = await asyncio.gather(*(pg.leases.claim(interaction_id, f"rep_{i}", 30.0) for i in range(8)))
    assert sum(won) == 1, won
    assert await pg.leases.orphaned() == []


async def test_the_heartbeat_renews_every_lease_of_its_replica(pg: Store) -> None:
    mine = [await _running(pg, ("rep_a", 0.0)) for _ in range(3)]
    other = await _running(pg, ("rep_b", 0.0))
    assert set(await pg.leases.orphaned()) == {*mine, other}
    assert (await pg.leases.beat("rep_a", "host-1", 30.0)).held == set(mine)
    assert await pg.leases.orphaned() == [other], "rep_a's leases live again, rep_b's do not"
    assert set(await pg.leases.live(10.0)) == {"rep_a"}
    assert (await pg.leases.live(10.0))["rep_a"] == "host-1"


async def _end(store: Store, interaction_id: str, replica_id: str) -> str:
    """Store the ending as `replica_id` would; returns the stored status."""
    ending = ending_release(interaction_id, replica_id)
    with contextlib.suppress(LeaseLostError):
        await store.steps.append_batch(
            "t", interaction_id, [], [], interaction={"status": "completed"}, also=ending
        )
    got = await store.interactions.get("t", interaction_id)
    assert got is not None
    return got.status


async def test_an_ending_is_stored_only_under_the_lease(pg: Store) -> None:
    interaction_id = await _running(pg, ("rep_a", 0.0))
    assert await pg.leases.claim(interaction_id, "rep_b", 30.0)  # rep_a stalled; rep_b took over
    assert await _end(pg, interaction_id, "rep_a") == "in_progress", "the stale replica's ending rolled back"
    assert await _end(pg, interaction_id, "rep_b") == "completed"
    assert await pg.leases.orphaned() == [], "finished: nothing to take over, and no lease row left"


async def test_retire_gives_every_lease_up_at_once(pg: Store) -> None:
    ids = [await _running(pg, ("rep_a", 30.0)) for _ in range(2)]
    await pg.leases.beat("rep_a", "h", 30.0)
    assert await pg.leases.orphaned() == []
    await pg.leases.retire("rep_a")
    assert set(await pg.leases.orphaned()) == set(ids)
    assert await pg.leases.live(10.0) == {}


async def test_the_heartbeat_drops_leases_of_interactions_deleted_elsewhere(pg: Store) -> None:
    kept, deleted = await _running(pg, ("rep_a", 30.0)), await _running(pg, ("rep_a", 30.0))
    await pg.interactions.delete("t", deleted)  # through another replica: rep_a's run never ends it
    beat = await pg.leases.beat("rep_a", "h", 30.0)
    assert beat.held == {kept}
    assert beat.cancel == {deleted}, "its run must stop: deleted through another replica"


async def test_a_cancel_requested_elsewhere_reaches_the_holders_next_beat(pg: Store) -> None:
    asked, other = await _running(pg, ("rep_a", 30.0)), await _running(pg, ("rep_a", 30.0))
    assert await pg.leases.request_cancel(asked)
    beat = await pg.leases.beat("rep_a", "h", 30.0)
    assert (beat.held, beat.cancel) == ({asked, other}, {asked}), "held still, until its run ends"
    assert (await pg.leases.beat("rep_b", "h", 30.0)).cancel == set(), "another replica's beat: not its run"
    assert await _end(pg, asked, "rep_a") == "completed", "the holder still stores the ending"
    assert not await pg.leases.request_cancel(asked), "an ended interaction: nothing to ask"
    assert (await pg.leases.beat("rep_a", "h", 30.0)).cancel == set()


async def test_a_cancel_of_an_unleased_interaction_goes_to_whoever_claims_it(pg: Store) -> None:
    left = await _running(pg, ("rep_a", 30.0))
    await pg.leases.retire("rep_a")  # shut down cleanly: no lease until another replica claims it
    assert await pg.leases.request_cancel(left)
    assert await pg.leases.orphaned() == [left], "the request's lease is lapsed: takeover claims it"
    assert await pg.leases.claim(left, "rep_b", 30.0)
    assert (await pg.leases.beat("rep_b", "h", 30.0)).cancel == {left}
