"""An approval is answered once: of two creates that settle one paused interaction, even on two
stores (two replicas) at the same moment, exactly one is stored; the other stores nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from orchestrator.store import Database, InteractionCreate, Store
from orchestrator.store.approval_answers import ApprovalAnsweredError
from tests.support.postgres import PostgresServer


@pytest.fixture
async def two_stores(postgres: PostgresServer) -> AsyncIterator[tuple[Store, Store]]:
    url = await postgres.create_database()
    dbs = [Database(url), Database(url)]
    await dbs[0].migrate()
    yield Store(dbs[0]), Store(dbs[1])
    for db in dbs:
        await db.close()
    await postgres.drop_database(url.rsplit("/", 1)[1])


def _answer(paused: str) -> InteractionCreate:
    return InteractionCreate(
        request={}, agent="a", environment_id="env_1", previous_interaction_id=paused, settles=paused
    )


async def _stored(store: Store) -> list[str]:
    return [record.id for record in (await store.interactions.list("t")).items]


async def test_two_replicas_answering_one_approval_at_once_store_one(two_stores: tuple[Store, Store]) -> None:
    a, b = two_stores
    for _ in range(5):  # five paused interactions, each answered through both stores at once
        paused = (await a.interactions.create("t", InteractionCreate(request={}, agent="a"))).id
        results = await asyncio.gather(
            a.interactions.create("t", _answer(paused)),
            b.interactions.create("t", _answer(paused)),
            return_exceptions=True,
        )
        refused = [r for r in results if isinstance(r, ApprovalAnsweredError)]
        stored = [r for r in results if not isinstance(r, BaseException)]
        assert (len(stored), len(refused)) == (1, 1), results
        assert refused[0].field == "previous_interaction_id"
        assert refused[0].taken == stored[0].id, "the refusal names the one to continue instead"
    assert len(await _stored(a)) == 10, "five paused and five answers: nothing of the refused ones"


async def test_a_second_answer_is_refused_and_a_deleted_answer_frees_the_approval(store: Store) -> None:
    paused = (await store.interactions.create("t", InteractionCreate(request={}, agent="a"))).id
    first = await store.interactions.create("t", _answer(paused))
    with pytest.raises(ApprovalAnsweredError, match=first.id):
        await store.interactions.create("t", _answer(paused))
    assert await _stored(store) == [paused, first.id]
    await store.interactions.delete("t", first.id)
    assert (await store.interactions.create("t", _answer(paused))).id not in (paused, first.id)
