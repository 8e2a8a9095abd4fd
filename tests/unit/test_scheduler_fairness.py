"""Scheduler fairness and the per-tenant queue cap (issue 13, Low: "four tenants can take every global
slot; the queue is unbounded").

Before the fix every job waited on its tenant's semaphore, then on the global one in arrival order:
a tenant that queued 50 jobs held up to `max_running_per_tenant` places in the global line, so
another tenant's one job started only after all of those; and nothing bounded the queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from orchestrator.scheduler import QueueFullError, Scheduler

pytestmark = pytest.mark.timeout(30)


class Jobs:
    """Jobs that record when they start and run until the test releases them one by one."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self._gates: dict[str, asyncio.Event] = {}

    def job(self, name: str) -> Callable[[], Awaitable[None]]:
        gate = self._gates[name] = asyncio.Event()

        async def run() -> None:
            self.started.append(name)
            await gate.wait()

        return run

    def finish(self, name: str) -> None:
        self._gates[name].set()

    async def settle(self) -> None:
        """Let every task that can run take its turn (no timing involved)."""
        for _ in range(20):
            await asyncio.sleep(0)


async def test_a_flooding_tenant_does_not_hold_back_another_tenants_job() -> None:
    """Tenant A queues 50 jobs, B one: B takes the very next free slot, not the 51st."""
    scheduler = Scheduler(max_running=2, max_running_per_tenant=16)
    jobs = Jobs()
    for i in range(50):
        scheduler.submit("a", f"a{i}", jobs.job(f"a{i}"))
    await jobs.settle()
    assert jobs.started == ["a0", "a1"], "two global slots, both taken by A"
    scheduler.submit("b", "b0", jobs.job("b0"))
    await jobs.settle()
    assert jobs.started == ["a0", "a1"], "no free slot yet"
    jobs.finish("a0")
    await jobs.settle()
    assert jobs.started == ["a0", "a1", "b0"], "B's job got the first slot that freed"
    await scheduler.shutdown()


async def test_slots_go_round_robin_among_tenants_with_waiting_work() -> None:
    scheduler = Scheduler(max_running=1, max_running_per_tenant=16)
    jobs = Jobs()
    for tenant in "abc":
        for i in range(3):
            scheduler.submit(tenant, f"{tenant}{i}", jobs.job(f"{tenant}{i}"))
    await jobs.settle()
    for _ in range(8):
        jobs.finish(jobs.started[-1])
        await jobs.settle()
    assert jobs.started == ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]
    await scheduler.shutdown()


async def test_the_per_tenant_running_cap_still_holds() -> None:
    scheduler = Scheduler(max_running=4, max_running_per_tenant=1)
    jobs = Jobs()
    for i in range(3):
        scheduler.submit("a", f"a{i}", jobs.job(f"a{i}"))
    scheduler.submit("b", "b0", jobs.job("b0"))
    await jobs.settle()
    assert sorted(jobs.started) == ["a0", "b0"], "one of A's jobs at a time, though slots are free"
    jobs.finish("a0")
    await jobs.settle()
    assert jobs.started[-1] == "a1"
    await scheduler.shutdown()


async def test_cancel_while_waiting_frees_the_place_and_leaks_no_slot() -> None:
    scheduler = Scheduler(max_running=1, max_running_per_tenant=1, max_queued_per_tenant=2)
    jobs = Jobs()
    scheduler.submit("a", "a0", jobs.job("a0"))
    for name in ("a1", "a2"):
        with scheduler.admit("a") as admission:
            scheduler.submit("a", name, jobs.job(name), admission)
    with pytest.raises(QueueFullError):
        scheduler.admit("a")
    assert await scheduler.cancel("a1")
    assert scheduler.queued("a") == 1, "the cancelled job left the queue"
    with scheduler.admit("a") as admission:
        scheduler.submit("a", "a3", jobs.job("a3"), admission)
    jobs.finish("a0")
    await jobs.settle()
    assert jobs.started == ["a0", "a2"], "the cancelled job never started; the slot went on"
    jobs.finish("a2")
    await jobs.settle()
    assert jobs.started == ["a0", "a2", "a3"]
    jobs.finish("a3")
    await jobs.settle()
    assert not scheduler.running("a3") and scheduler.queued("a") == 0


async def test_queue_cap_counts_waiting_work_per_tenant_only() -> None:
    """Past `max_queued_per_tenant` waiting jobs `admit` refuses, naming the setting; other tenants and
    work resumed after a restart (submitted without an admission) are not held to it."""
    scheduler = Scheduler(max_running=1, max_running_per_tenant=1, max_queued_per_tenant=3)
    jobs = Jobs()
    scheduler.submit("a", "a0", jobs.job("a0"))  # runs
    await jobs.settle()
    for i in range(1, 4):
        with scheduler.admit("a") as admission:
            scheduler.submit("a", f"a{i}", jobs.job(f"a{i}"), admission)
    with pytest.raises(QueueFullError) as refused:
        scheduler.admit("a")
    assert "WARREN_MAX_QUEUED_PER_TENANT=3" in str(refused.value)
    with scheduler.admit("b") as admission:
        scheduler.submit("b", "b0", jobs.job("b0"), admission)
    scheduler.submit("a", "resumed", jobs.job("resumed"))  # recovery: already accepted work
    assert scheduler.queued("a") == 4
    with pytest.raises(QueueFullError):
        scheduler.admit("a")
    await scheduler.shutdown()


async def test_an_admission_not_submitted_gives_its_place_back() -> None:
    """A create that fails after `admit` (a bad reference, a store error) must not shrink the queue."""
    scheduler = Scheduler(max_running=1, max_running_per_tenant=1, max_queued_per_tenant=1)
    with pytest.raises(LookupError), scheduler.admit("a"):
        assert scheduler.queued("a") == 1
        raise LookupError("the create failed before submitting")
    assert scheduler.queued("a") == 0
    scheduler.admit("a").release()
    assert scheduler.queued("a") == 0
