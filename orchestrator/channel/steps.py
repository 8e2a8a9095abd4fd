"""One runner step: record the last tool results, then make the next model call, or say why not.

Under the turn's lock, a step the hub answered before (its reply was lost) is replayed, an
out-of-order step is refused, and a first step without the runner's context asks for it. Otherwise
the results are recorded, then cancel, the turn's budget and the tenant's token quota are checked,
and only then does the gateway get the call, which the orchestrator composes (`channel.context`).
The model's answer, with the calls the runner may now run, is stored before the reply goes back.

Calls of the turn's server tools (`Turn.server_tools`: an agent's `mcp_server` tools) are run here,
their results recorded and given to the model: an answer that called only those is followed by
another model call (at most `MAX_SERVER_ROUNDS` in one step), and the runner is given the answer
without them, so it runs only its own tools and never sees what the hub's need.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from agents.budget import over_budget
from agents.model_types import Message, ModelRequest, ModelResponse, ToolCallPart
from agents.protocol import ModelCallResult, StepCall
from orchestrator.channel.context import compose
from orchestrator.channel.errors import ChannelError
from orchestrator.channel.ledger import (
    append_results,
    check_issued,
    issue,
    lost_carried,
    record_results,
    store,
    unknown_outcomes,
)
from orchestrator.channel.turn import Turn
from orchestrator.gateway.errors import GatewayError
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.observability import tracing
from orchestrator.observability.calls import observed
from orchestrator.observability.metrics import stepping

__all__ = ["MAX_SERVER_ROUNDS", "take_step"]

MAX_SERVER_ROUNDS = 16
"""Model calls one runner step may make while the model calls only the hub's own tools."""

OverQuota = Callable[[Turn], Awaitable[str | None]]
"""Why the turn's tenant may make no further model call (its token quota), or None."""


async def take_step(
    turn: Turn, call: StepCall, gateway: ProviderRegistry, over_quota: OverQuota
) -> ModelCallResult:
    """Record the last tool results, then make the next model call; stored before answering."""
    async with turn.lock:  # a retried request must wait for the first to settle
        if call.context is not None and turn.context is None:
            turn.context = compose(turn.work, call.context)
            if turn.server_tools is not None:
                tools = [*turn.context.tools, *turn.server_tools.declarations]
                turn.context = dataclasses.replace(turn.context, tools=tools)
        if call.turn < len(turn.answers):  # answered before the reply was lost: replay it
            return ModelCallResult(response=turn.answers[call.turn], cancelled=turn.cancel.is_set())
        if call.turn != len(turn.answers):
            raise ChannelError(f"step {call.turn} out of order: expected step {len(turn.answers)}")
        if turn.context is None:
            return ModelCallResult(need_context=True)
        check_issued(turn, call.results)
        await record_results(turn, call.results)
        if call.turn > 0:
            await record_results(turn, unknown_outcomes(turn, call.turn - 1))
        await record_results(turn, lost_carried(turn))
        if turn.cancel.is_set():
            await store(turn)
            return ModelCallResult(cancelled=True)
        died = await _why_died(turn, call)
        if died is not None:
            await store(turn)
            return ModelCallResult(error=died, ending="failed")
        over = over_budget(
            turn.work.budget, call.turn, turn.started, turn.recorder.usage.total_tokens
        ) or await over_quota(turn)
        if over is not None:
            await store(turn)
            return ModelCallResult(error=over, ending="budget_exceeded")
        return await _model_call(turn, gateway)


async def _why_died(turn: Turn, call: StepCall) -> str | None:
    """The sandbox's word on a failed tool call (out of memory, process limit, disk full), if any."""
    if turn.verdict is None or not any(result.is_error for result in call.results):
        return None
    reason = await turn.verdict()
    return None if reason is None else reason[1]


async def _model_call(turn: Turn, gateway: ProviderRegistry) -> ModelCallResult:
    context = turn.context  # the orchestrator's, whatever the runner asked for
    assert context is not None
    for _ in range(MAX_SERVER_ROUNDS):
        request = ModelRequest.model_construct(  # parts are validated already: skip a re-validation
            system=context.system,
            messages=list(turn.conversation),
            tools=context.tools,
            config=context.config,
        )
        try:
            with stepping(), tracing.attached(turn.trace):  # the interaction's trace, on this task
                provider = gateway.resolve(turn.model)
                response = await turn.recorder.model_turn(observed(provider.name, provider.stream(request)))
        except GatewayError as exc:
            await turn.recorder.step({"type": "model_output", "error": {"message": str(exc)}})
            await store(turn)
            return ModelCallResult(error=str(exc))
        turn.conversation.append(Message(role="model", parts=list(response.parts)))
        response, more = await _run_server_calls(turn, response)
        if not more or turn.cancel.is_set():
            break
    await turn.recorder.settle()  # the calls are stored before the runner may run them
    turn.answers.append(response)
    issue(turn, response)
    return ModelCallResult(response=response, cancelled=turn.cancel.is_set())


async def _run_server_calls(turn: Turn, response: ModelResponse) -> tuple[ModelResponse, bool]:
    """Run the answer's calls of the hub's own tools; the answer the runner gets, and whether the
    model must be asked again (it called only those)."""
    tools = turn.server_tools
    calls = [p for p in response.parts if isinstance(p, ToolCallPart)]
    mine = [c for c in calls if tools is not None and tools.owns(c.name)]
    if tools is None or not mine:
        return response, False
    results = []
    for call in mine:
        step, result = await tools.run(call)
        await turn.recorder.step(step, flush=False)
        results.append(result)
    append_results(turn, results)
    await turn.recorder.flush()
    kept = [p for p in response.parts if not (isinstance(p, ToolCallPart) and tools.owns(p.name))]
    return response.model_copy(update={"parts": kept}), len(mine) == len(calls)
