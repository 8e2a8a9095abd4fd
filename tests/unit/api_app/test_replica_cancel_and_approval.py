"""A cancel or delete sent to a replica that does not run the interaction stops the run on the one
that does (issue 20), and an approval is answered once across replicas.

Two apps share one PostgreSQL database, as two `warren serve` processes would. A runs a slow
background interaction (three deltas 4 s apart); B is asked to cancel (or delete) it at
its first delta. The cancel is stored on the lease, A's next heartbeat reads it and cancels its
run: A's events end `cancelled` without the script's last delta, and both replicas read `cancelled`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agents.model_types import ToolCallPart
from orchestrator.channel.approval_step import approval_step
from orchestrator.store import InteractionCreate, Store
from tests.support.postgres import PostgresServer, postgres_server
from tests.unit.api_app.two_replicas import two_replicas

WORDS = [f"w{i:02d}" for i in range(30)]
SCRIPTS = {  # the scripted model streams a text in three deltas
    "slow": f'description: three deltas 4 s apart\ndelta_delay_s: 4\nturns:\n  - text: "{" ".join(WORDS)}"\n',
    "done": 'description: one short answer\nturns:\n  - text: "done"\n',
}
V = "/v1beta/interactions"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
async def replicas(postgres: PostgresServer, tmp_path: Path) -> AsyncIterator[tuple[Any, ...]]:
    async with two_replicas(postgres, tmp_path, SCRIPTS) as (a, b, url, apps):
        yield a, b, url, apps


async def _stop_through_b_while_a_runs(
    replicas: tuple[Any, ...], stop: Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]
) -> tuple[str, list[dict[str, Any]], httpx.Response]:
    """Create on A, follow A's live log (what A's SSE stream serves; the in-process transport
    buffers a response whole), and at the first delta `stop` it through B."""
    a, b, _, apps = replicas
    created = await a.post(V, json={"model": "scripted:slow", "input": "go", "background": True})
    assert created.status_code == 200, created.text
    interaction_id = created.json()["id"]
    live = apps[0].state.services.interactions.live(interaction_id)
    assert live is not None, "A runs it"
    events: list[dict[str, Any]] = []
    answer: httpx.Response | None = None
    async for event in live.follow():
        if event is None:
            continue
        events.append(event)
        if answer is None and event["event_type"] == "step.delta":
            answer = await stop(b, interaction_id)
    assert answer is not None
    return interaction_id, events, answer


def _text(events: list[dict[str, Any]]) -> str:
    return "".join(e["delta"].get("text", "") for e in events if e["event_type"] == "step.delta")


async def test_a_cancel_through_b_stops_the_run_on_a(replicas: tuple[Any, ...]) -> None:
    a, b, _, _ = replicas
    interaction_id, events, answer = await asyncio.wait_for(
        _stop_through_b_while_a_runs(replicas, lambda b, id: b.post(f"{V}/{id}/cancel")), 60
    )
    assert answer.status_code == 200, answer.text
    # B waits for A's ending (one heartbeat, usually); later reads show it in any case.
    assert answer.json()["status"] in ("cancelled", "in_progress"), answer.text
    assert events[-1]["event_type"] == "interaction.completed"
    assert events[-1]["interaction"]["status"] == "cancelled", "A's run ended as a local cancel ends it"
    assert WORDS[-1] not in _text(events), "A's run stopped: the script's last words never came"
    for replica in (a, b):
        got = (await replica.get(f"{V}/{interaction_id}")).json()
        assert got["status"] == "cancelled", got
    statuses = [e for e in events if e["event_type"] == "interaction.status_update"]
    assert [e["status"] for e in statuses] == ["in_progress", "cancelled"], "ended once"


async def test_a_delete_through_b_cancels_the_run_on_a_first(replicas: tuple[Any, ...]) -> None:
    a, b, _, _ = replicas
    interaction_id, events, answer = await asyncio.wait_for(
        _stop_through_b_while_a_runs(replicas, lambda b, id: b.delete(f"{V}/{id}")), 60
    )
    assert answer.status_code == 200, answer.text
    assert events[-1]["interaction"]["status"] == "cancelled"
    assert WORDS[-1] not in _text(events)
    for replica in (a, b):
        assert (await replica.get(f"{V}/{interaction_id}")).status_code == 404


async def _paused(url: str) -> str:
    """An agent interaction paused on an approval request, as a runner leaves one."""
    call = ToolCallPart(id="c1", name="bash", arguments={"command": "rm keep.txt"})
    steps = [{"type": "user_input", "content": [{"type": "text", "text": "go"}]}, approval_step(call, "rm")]
    row = InteractionCreate(
        request={"agent": "default"},
        agent="default",
        environment_id="env_1",
        status="requires_action",
        steps=steps,
    )
    async with await Store.open(url) as store:
        return (await store.interactions.create("tenant-a", row)).id


def _answer(paused: str) -> dict[str, Any]:
    result = {"type": "function_result", "call_id": "approval_c1", "name": "warren_approval"}
    return {
        "model": "scripted:done",
        "previous_interaction_id": paused,
        "input": [{**result, "result": {"approved": True}}],
    }


async def test_two_answers_to_one_approval_on_two_replicas_settle_it_once(replicas: tuple[Any, ...]) -> None:
    a, b, url, _ = replicas
    for _ in range(3):
        paused = await _paused(url)
        answers = await asyncio.gather(a.post(V, json=_answer(paused)), b.post(V, json=_answer(paused)))
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [200, 400], [answer.text for answer in answers]
        refused = next(answer for answer in answers if answer.status_code == 400)
        assert refused.json()["error"]["message"].startswith("previous_interaction_id: "), refused.text


async def test_an_answer_stored_between_the_check_and_the_create_is_refused(
    replicas: tuple[Any, ...],
) -> None:
    """The store's guarantee alone: another replica's answer committed after this create's read."""
    a, _, url, _ = replicas
    paused = await _paused(url)
    async with await Store.open(url) as store:  # its answer is in another environment: the read misses it
        other = InteractionCreate(request={}, agent="default", environment_id="env_2", settles=paused)
        first = (await store.interactions.create("tenant-a", other)).id
    refused = await a.post(V, json=_answer(paused))
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["message"].startswith("previous_interaction_id: "), refused.text
    assert first in refused.json()["error"]["message"]
    listed = (await a.get(V)).json()
    assert len(listed.get("interactions", [])) == 2, "nothing stored for the refused create"
