"""Two tenants: B can neither see nor change A's rows, and A's ids look to B exactly like missing ones.

SECURITY-CHECKLIST.md, "IDOR / BOLA": tenant scoping in the data layer, 404 on foreign ids.
"""

from __future__ import annotations

import pytest

from orchestrator.store import EnvironmentUpdate, InteractionCreate, InteractionUpdate, NotFoundError, Store
from orchestrator.store.environment_spec import EnvironmentSpec

A, B = "tenant-a", "tenant-b"


async def test_agents_are_invisible_to_other_tenants(store: Store) -> None:
    await store.agents.create(A, "secret-agent", {"system_instruction": "A only"})
    assert await store.agents.get(B, "secret-agent") is None
    assert (await store.agents.list(B)).items == []
    with pytest.raises(NotFoundError):
        await store.agents.update(B, "secret-agent", {"hijacked": True})
    with pytest.raises(NotFoundError):
        await store.agents.delete(B, "secret-agent")
    assert (await store.agents.get(A, "secret-agent")).spec == {"system_instruction": "A only"}  # type: ignore[union-attr]


async def test_environments_are_invisible_to_other_tenants(store: Store) -> None:
    await store.environments.create(A, "env_a", EnvironmentSpec())
    token = await store.environments.issue_runner_token(A, "env_a")
    assert await store.environments.get(B, "env_a") is None
    assert (await store.environments.list(B)).items == []
    for call in (
        store.environments.update(B, "env_a", EnvironmentUpdate(status="deleted")),
        store.environments.touch(B, "env_a"),
        store.environments.issue_runner_token(B, "env_a"),
        store.environments.delete(B, "env_a"),
    ):
        with pytest.raises(NotFoundError):
            await call
    assert not await store.environments.check_runner_token(B, "env_a", token)
    env = await store.environments.get(A, "env_a")
    assert env is not None and env.status == "active"


async def test_interactions_steps_and_events_are_invisible_to_other_tenants(store: Store) -> None:
    item = await store.interactions.create(
        A, InteractionCreate(request={"input": "hi"}, environment_id="env_a", steps=[{"type": "user_input"}])
    )
    await store.steps.append_event(A, item.id, {"event_type": "interaction.created"})

    assert await store.interactions.get(B, item.id) is None
    assert (await store.interactions.list(B)).items == []
    assert (await store.interactions.list(B, environment_id="env_a")).items == []
    with pytest.raises(NotFoundError):
        await store.interactions.update(B, item.id, InteractionUpdate(status="cancelled"))
    with pytest.raises(NotFoundError):
        await store.interactions.delete(B, item.id)
    with pytest.raises(NotFoundError):
        await store.steps.append_step(B, item.id, {"type": "model_output"})
    with pytest.raises(NotFoundError):
        await store.steps.append_event(B, item.id, {"event_type": "error"})
    assert await store.steps.list_steps(B, item.id) == []
    assert await store.steps.events_after(B, item.id) == []

    assert (await store.interactions.get(A, item.id)).status == "in_progress"  # type: ignore[union-attr]
    assert len(await store.steps.list_steps(A, item.id)) == 1
    assert len(await store.steps.events_after(A, item.id)) == 1


async def test_keys_and_idempotency_are_per_tenant(store: Store) -> None:
    record, _ = await store.keys.create_key(A, "ci")
    assert await store.keys.list_keys(B) == []
    with pytest.raises(NotFoundError):
        await store.keys.revoke(B, record.id)
    assert (await store.keys.list_keys(A))[0].revoked_at is None

    await store.idempotency.remember(A, "k1", "h", "agent", "a1")
    assert await store.idempotency.lookup(B, "k1") is None
    mine = await store.idempotency.remember(B, "k1", "other", "agent", "b1")
    assert mine.resource_id == "b1", "the same key from another tenant is a different key"


async def test_the_cross_tenant_read_by_id_refuses_an_id_two_tenants_share(store: Store) -> None:
    """The egress proxy and the warm pool know an environment by id alone; a shared id gives nothing."""
    await store.environments.create(A, "env_a", EnvironmentSpec(network="disabled"))
    found = await store.environments.get_across_tenants("env_a")
    assert found is not None and found.tenant == A and found.spec.network == "disabled"
    assert await store.environments.get_across_tenants("env_missing") is None
    await store.environments.create(B, "env_a", EnvironmentSpec())
    assert await store.environments.get_across_tenants("env_a") is None
