"""Service tiers in the scheduler (issue 15): with every slot busy, `priority` work starts before
`standard`, `standard` before `flex`, `deferred` only when nothing else waits; aging keeps any tier
from starving; tenants stay fair within a tier. A fake clock drives the aging: no timing involved.
"""

from __future__ import annotations

import pytest

from orchestrator.scheduler import TIERS, Scheduler, TierAging, applied_tier
from tests.unit.test_scheduler_fairness import Jobs

pytestmark = pytest.mark.timeout(30)


class Clock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _drain_in_order(scheduler: Scheduler, jobs: Jobs, count: int) -> None:
    """Finish the running job `count` times, letting the next one start each time."""
    await jobs.settle()
    for _ in range(count):
        jobs.finish(jobs.started[-1])
        await jobs.settle()


async def test_a_saturated_queue_starts_tiers_best_first_and_every_tier_completes() -> None:
    scheduler = Scheduler(max_running=1, max_running_per_tenant=16, clock=Clock())
    jobs = Jobs()
    scheduler.submit("a", "blocker", jobs.job("blocker"))
    await jobs.settle()
    for tier in reversed(TIERS):  # deferred first, priority last
        scheduler.submit("a", tier, jobs.job(tier), tier=tier)
    await jobs.settle()
    assert jobs.started == ["blocker"], "one slot, taken"
    await _drain_in_order(scheduler, jobs, 4)
    assert jobs.started == ["blocker", "priority", "standard", "flex", "deferred"]
    jobs.finish("deferred")
    await jobs.settle()
    assert not any(scheduler.running(tier) for tier in TIERS), "flex and deferred ran to their end"


async def test_deferred_waits_while_any_other_tier_waits_even_newer_work() -> None:
    scheduler = Scheduler(max_running=1, max_running_per_tenant=16, clock=Clock())
    jobs = Jobs()
    scheduler.submit("a", "blocker", jobs.job("blocker"))
    scheduler.submit("b", "d0", jobs.job("d0"), tier="deferred")
    scheduler.submit("a", "f0", jobs.job("f0"), tier="flex")
    await _drain_in_order(scheduler, jobs, 1)
    scheduler.submit("c", "f1", jobs.job("f1"), tier="flex")  # arrives after d0, still goes first
    await _drain_in_order(scheduler, jobs, 2)
    assert jobs.started == ["blocker", "f0", "f1", "d0"]
    await scheduler.shutdown()


async def test_deferred_takes_a_slot_no_other_waiting_job_may_use() -> None:
    """A tenant at its own cap cannot use the free slot, so the capacity is idle: deferred runs."""
    scheduler = Scheduler(max_running=2, max_running_per_tenant=1, clock=Clock())
    jobs = Jobs()
    scheduler.submit("a", "a0", jobs.job("a0"))
    scheduler.submit("a", "a1", jobs.job("a1"), tier="priority")  # waits for A's own slot
    scheduler.submit("b", "d0", jobs.job("d0"), tier="deferred")
    await jobs.settle()
    assert jobs.started == ["a0", "d0"]
    await scheduler.shutdown()


async def test_aging_promotes_flex_then_deferred_so_nothing_starves() -> None:
    """Standard work keeps arriving, one job a minute; flex starts once it counts as standard, deferred
    once it has climbed to priority and is the oldest there (step 60 s, deferred 300 s)."""
    clock = Clock()
    scheduler = Scheduler(max_running=1, clock=clock, aging=TierAging(step_s=60, deferred_s=300))
    jobs = Jobs()
    scheduler.submit("a", "blocker", jobs.job("blocker"))
    scheduler.submit("a", "flex", jobs.job("flex"), tier="flex")
    scheduler.submit("a", "deferred", jobs.job("deferred"), tier="deferred")
    for step in range(8):
        clock.now += 59 if step == 0 else 60
        scheduler.submit("a", f"s{step}", jobs.job(f"s{step}"))  # standard work keeps arriving
        await _drain_in_order(scheduler, jobs, 1)
    assert jobs.started[:2] == ["blocker", "s0"], "at 59 s flex still counts as flex"
    assert jobs.started[2] == "flex", "at 119 s flex counts as standard, and came before s1"
    assert jobs.started[3:] == ["s1", "s2", "s3", "s4", "s5", "deferred"], (
        "each older standard job has aged to priority; deferred counts as flex at 300 s, as priority "
        "at 420 s, and at 479 s it is the oldest priority job: it came before s6"
    )
    await scheduler.shutdown()


async def test_tenants_take_turns_within_a_tier_and_tiers_still_come_first() -> None:
    scheduler = Scheduler(max_running=1, max_running_per_tenant=16, clock=Clock())
    jobs = Jobs()
    scheduler.submit("x", "blocker", jobs.job("blocker"))
    for tenant in "ab":
        for i in range(2):
            scheduler.submit(tenant, f"{tenant}-flex{i}", jobs.job(f"{tenant}-flex{i}"), tier="flex")
    for tenant in "ab":
        for i in range(2):
            scheduler.submit(tenant, f"{tenant}-prio{i}", jobs.job(f"{tenant}-prio{i}"), tier="priority")
    await _drain_in_order(scheduler, jobs, 8)
    assert jobs.started[1:] == [
        *["a-prio0", "b-prio0", "a-prio1", "b-prio1"],
        *["a-flex0", "b-flex0", "a-flex1", "b-flex1"],
    ]
    await scheduler.shutdown()


async def test_cancelling_a_queued_job_of_any_tier_frees_its_place() -> None:
    scheduler = Scheduler(max_running=1, max_running_per_tenant=1, max_queued_per_tenant=2, clock=Clock())
    jobs = Jobs()
    scheduler.submit("a", "a0", jobs.job("a0"))
    for name, tier in (("p", "priority"), ("d", "deferred")):
        with scheduler.admit("a") as admission:
            scheduler.submit("a", name, jobs.job(name), admission, tier=tier)
    assert await scheduler.cancel("p")
    assert scheduler.queued("a") == 1
    await _drain_in_order(scheduler, jobs, 1)
    assert jobs.started == ["a0", "d"], "the cancelled priority job never started"
    await scheduler.shutdown()


def test_the_applied_tier_is_the_requested_one_or_standard() -> None:
    assert applied_tier({}) == applied_tier({"service_tier": None}) == "standard"
    assert [applied_tier({"service_tier": tier}) for tier in TIERS] == list(TIERS)
    with pytest.raises(ValueError, match="unknown service tier 'gold'"):
        applied_tier({"service_tier": "gold"})


def test_aging_rules() -> None:
    aging = TierAging(step_s=60, deferred_s=300)
    standard, flex, deferred = (TIERS.index(name) for name in ("standard", "flex", "deferred"))
    assert [aging.rank(flex, waited) for waited in (0, 59.9, 60, 120, 10_000)] == [2, 2, 1, 0, 0]
    assert [aging.rank(standard, waited) for waited in (0, 60)] == [1, 0]
    assert [aging.rank(deferred, waited) for waited in (299, 300, 360, 420)] == [3, 2, 1, 0]
    with pytest.raises(ValueError):
        TierAging(step_s=0)
