"""Continuations of one interaction wait for each other; others do not, and no lock outlives its use."""

from __future__ import annotations

import asyncio

from orchestrator.interactions.continuations import Continuations


async def test_continuations_of_one_interaction_take_turns_and_others_pass() -> None:
    continuations = Continuations()
    order: list[str] = []
    first_in = asyncio.Event()

    async def hold(name: str, tenant: str, previous: object) -> None:
        async with continuations.one_at_a_time(tenant, previous):
            order.append(f"{name} in")
            first_in.set()
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    first = asyncio.create_task(hold("a", "t", "int_1"))
    await first_in.wait()
    await asyncio.gather(
        hold("b", "t", "int_1"),  # waits for a
        hold("c", "t", "int_2"),  # another interaction: runs beside a
        hold("d", "other", "int_1"),  # another tenant's id space
        hold("e", "t", None),  # not a continuation
    )
    await first
    assert order.index("b in") > order.index("a out")
    assert order.index("c in") < order.index("a out")
    assert order.index("d in") < order.index("a out")
    assert order.index("e in") < order.index("a out")
    assert continuations._held == {}, "nothing kept once no one holds or waits"
