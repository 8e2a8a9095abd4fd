"""`ApiKeys.identify` remembers live keys briefly; revoking forgets them at once in this process."""

from __future__ import annotations

from orchestrator.store import ApiKeys, Database, Store


async def test_a_known_key_is_answered_without_the_database(store: Store, db: Database) -> None:
    record, plaintext = await store.keys.create_key("t1", "ci")
    assert (await store.keys.identify(plaintext)) is not None
    await db.close()  # a cache hit must not need the database
    cached = await store.keys.identify(plaintext)
    assert cached is not None and cached.id == record.id


async def test_revoke_is_seen_at_once(store: Store) -> None:
    record, plaintext = await store.keys.create_key("t1", "ci")
    assert await store.keys.authenticate(plaintext) == "t1"
    await store.keys.revoke("t1", record.id)
    assert await store.keys.authenticate(plaintext) is None


async def test_a_zero_ttl_always_asks_the_database(db: Database) -> None:
    keys = ApiKeys(db, cache_s=0)
    record, plaintext = await keys.create_key("t1", "ci")
    assert await keys.authenticate(plaintext) == "t1"
    await Store(db).keys.revoke("t1", record.id)  # another `ApiKeys` (another process) revokes it
    assert await keys.authenticate(plaintext) is None
    assert await keys.authenticate(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
