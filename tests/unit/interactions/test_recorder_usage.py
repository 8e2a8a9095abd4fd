"""The recorder stores the running usage with the batch after each model turn, and only then.

That stored figure is what a process resuming the interaction after a restart counts on from.
"""

from __future__ import annotations

from typing import Any

from agents.model_types import Message, ModelRequest, TextPart, Usage
from orchestrator.gateway.scripted import ScriptedProvider
from orchestrator.interactions.live import LiveLogs
from orchestrator.interactions.recorder import Recorder


class Batches:
    """A persist callback that keeps what it was handed."""

    def __init__(self) -> None:
        self.usages: list[Usage | None] = []

    async def __call__(self, steps: list[Any], events: list[Any], usage: Usage | None) -> None:
        self.usages.append(usage)


def _turn(text: str) -> Any:
    request = ModelRequest(messages=[Message(role="user", parts=[TextPart(text=text)])])
    return ScriptedProvider("echo").stream(request)


async def test_a_model_turn_stores_the_running_usage_and_a_tool_result_does_not() -> None:
    batches = Batches()
    recorder = Recorder(LiveLogs().open("int_1"), batches, first_index=1)

    first = await recorder.model_turn(_turn("one two three"))
    await recorder.step({"type": "function_result", "call_id": "c1", "name": "f", "result": "ok"})
    second = await recorder.model_turn(_turn("four five"))
    await recorder.settle()

    assert first.usage.total_tokens > 0 and second.usage.total_tokens > 0
    running = first.usage.total_tokens + second.usage.total_tokens
    assert [u.total_tokens if u else None for u in batches.usages] == [
        first.usage.total_tokens,
        None,
        running,
    ]


async def test_a_resumed_recorder_counts_on_from_the_stored_usage() -> None:
    batches = Batches()
    recorder = Recorder(LiveLogs().open("int_1"), batches, first_index=3)
    recorder.usage = Usage(input_tokens=10, output_tokens=5, thought_tokens=0, total_tokens=15)

    turn = await recorder.model_turn(_turn("after the restart"))
    await recorder.settle()

    stored = batches.usages[-1]
    assert stored is not None
    assert stored.total_tokens == 15 + turn.usage.total_tokens
    assert stored.output_tokens == 5 + turn.usage.output_tokens
