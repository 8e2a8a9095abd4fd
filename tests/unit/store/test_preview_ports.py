"""Preview ports in the store: closed until opened, per tenant, on SQLite and PostgreSQL."""

from __future__ import annotations

from orchestrator.store import Store


async def test_ports_open_list_and_close_per_tenant(store: Store) -> None:
    ports = store.preview_ports
    assert not await ports.is_open("a", "env", 8000)
    await ports.open("a", "env", 8000)
    await ports.open("a", "env", 8000)  # again: no error, one row
    await ports.open("a", "env", 3000)
    assert await ports.list("a", "env") == [3000, 8000]
    assert await ports.is_open("a", "env", 8000)
    assert not await ports.is_open("b", "env", 8000), "another tenant's environment of the same id"
    assert await ports.list("b", "env") == []
    assert not await ports.close("b", "env", 8000)
    assert await ports.close("a", "env", 8000)
    assert not await ports.close("a", "env", 8000)
    assert await ports.list("a", "env") == [3000]
    assert await ports.close("a", "env")
    assert await ports.list("a", "env") == []
