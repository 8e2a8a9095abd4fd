"""The per-turn ledger: which tool calls the model made, which results are stored, and storing them.

Results are stored only for built-in calls the model made in this turn (a forged call id or name
is refused, whole step, nothing stored), each call's result at most once (a retried step repeats
none), and a call whose result no runner reported before its loop restarted is recorded as of
unknown outcome, never run again. Everything recorded is handed to the store before the runner
hears back, so the stored steps are the ledger recovery needs.
"""

from __future__ import annotations

from collections.abc import Iterable

from agents.model_types import Message, ModelResponse, ToolCallPart, ToolResultPart
from agents.protocol import FinishReport, ToolResultReport
from orchestrator.channel.errors import ChannelError
from orchestrator.channel.result_steps import result_step
from orchestrator.channel.turn import Turn
from orchestrator.observability.calls import tool_called

__all__ = [
    "append_results",
    "check_issued",
    "issue",
    "issue_carried",
    "lost_carried",
    "record_results",
    "store",
    "unknown_outcomes",
    "waiting_call",
]

_UNKNOWN_OUTCOME = (
    "This call was interrupted: the server restarted while it ran, and its outcome is unknown. "
    "It was not run again; check its effect before repeating it."
)


def issue(turn: Turn, answer: ModelResponse) -> None:
    """Note the built-in tool calls of one of the model's answers: results may come for these."""
    client = set(turn.work.client_tools)
    for part in answer.parts:
        if isinstance(part, ToolCallPart) and part.name not in client:
            turn.issued[part.id] = part.name


def issue_carried(turn: Turn) -> None:
    """Note the calls carried over from the previous interaction's approval pause: results may come
    for these too (the runner settles them before its first step)."""
    for carried in turn.work.carried:
        turn.issued[carried.call.id] = carried.call.name


def waiting_call(turn: Turn, report: FinishReport) -> ToolCallPart:
    """The call a runner's `requires_action` ending stopped before to wait for approval: one the
    model made in this turn (or carried into it) with no result, stored or in the same report;
    anything else is refused, nothing recorded."""
    assert report.approval is not None
    if report.outcome != "requires_action":
        raise ChannelError("approval: only a `requires_action` ending waits for one")
    call_id = report.approval.call_id
    reported = turn.reported | {result.call_id for result in report.results}
    calls = [p for answer in turn.answers for p in answer.parts if isinstance(p, ToolCallPart)]
    calls += [carried.call for carried in turn.work.carried]
    for call in calls:
        if call.id == call_id and turn.issued.get(call_id) == call.name and call_id not in reported:
            return call
    raise ChannelError("approval.call_id: no call of this turn without a result has this id")


def check_issued(turn: Turn, results: Iterable[ToolResultReport]) -> None:
    """Refuse results for calls the model never made (or under another tool's name)."""
    for index, report in enumerate(results):
        if turn.issued.get(report.call_id) != report.name:
            raise ChannelError(
                f"results[{index}]: no tool call the model made in this turn has this call_id and name"
            )


def unknown_outcomes(turn: Turn, answer: int) -> list[ToolResultReport]:
    """Results for answer `answer`'s calls that no runner reported: a runner that restarted its loop.

    Such a call may have run (its result lost with the process that was told) or not; running it
    again could repeat a side effect, so it never is: the model learns the outcome is unknown.
    """
    if answer >= len(turn.answers):
        return []
    return [
        ToolResultReport(
            interaction_id="",
            call_id=part.id,
            name=part.name,
            output=_UNKNOWN_OUTCOME,
            is_error=True,
        )
        for part in turn.answers[answer].parts
        if isinstance(part, ToolCallPart) and part.id not in turn.reported
    ]


def lost_carried(turn: Turn) -> list[ToolResultReport]:
    """Carried calls no runner reported by a step: a runner that restarted its loop (they are not
    handed out again), so like `unknown_outcomes` they are never run twice."""
    return [
        ToolResultReport(
            interaction_id="", call_id=c.call.id, name=c.call.name, output=_UNKNOWN_OUTCOME, is_error=True
        )
        for c in turn.work.carried
        if c.call.id not in turn.reported
    ]


async def record_results(turn: Turn, results: Iterable[ToolResultReport]) -> None:
    """Record results not stored yet as steps and as the conversation's next user message."""
    parts: list[ToolResultPart] = []
    for report in results:
        if report.call_id in turn.reported:
            continue  # stored by an earlier attempt of this step
        turn.reported.add(report.call_id)
        tool_called(report.name, report.duration_s, report.is_error, turn.trace)
        await turn.recorder.step(result_step(report), flush=False)
        parts.append(
            ToolResultPart(
                call_id=report.call_id,
                name=report.name,
                output=report.output,
                images=report.images,
                is_error=report.is_error,
            )
        )
    if parts:  # stored with the next model turn, or by `store`
        append_results(turn, parts)


def append_results(turn: Turn, parts: list[ToolResultPart]) -> None:
    """Add results to the conversation: to the last message when it holds results of the same
    answer (the hub's own, run before the runner's), so one user message answers each model one."""
    last = turn.conversation[-1] if turn.conversation else None
    if last is not None and last.role == "user" and all(isinstance(p, ToolResultPart) for p in last.parts):
        turn.conversation[-1] = Message(role="user", parts=[*last.parts, *parts])
    else:
        turn.conversation.append(Message(role="user", parts=list(parts)))


async def store(turn: Turn) -> None:
    """Hand what is pending to the store and wait for the commit."""
    await turn.recorder.flush()
    await turn.recorder.settle()
