"""The agent loop that runs inside each sandbox (started by `agents.startup`).

It pulls a turn of work from the orchestrator, then loops: ask the model (through the
orchestrator's gateway; no model key ever enters the sandbox), run each built-in tool call here,
report each result, until the model answers without tool calls, calls a client function, a budget
runs out or a cancel arrives. How a run ends is an exception carrying the outcome, reported in one
place (`Runner.run`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from agents.approval import approval_reason
from agents.budget import over_budget
from agents.channel import Channel, ChannelClosedError, ChannelRefusedError
from agents.hooks import ApprovalAsked, ToolHooks
from agents.model_types import ToolCallPart
from agents.protocol import (
    TOKEN_ENV,
    ApprovalRequest,
    CarriedCall,
    FinishReport,
    Outcome,
    Park,
    StepCall,
    StepContext,
    ToolResultReport,
    WorkItem,
)
from agents.sandbox_view import step_context
from agents.skills_mount import SkillsMount
from agents.tool_calls import Tools, denied_report, run_tool_call

__all__ = ["Runner"]

log = logging.getLogger("agents.runner")
_CANCEL_POLL_S = 0.25


class _Ending(Exception):
    """Ends the loop and carries how it ended."""

    def __init__(
        self, outcome: Outcome, error: str | None = None, approval: ApprovalRequest | None = None
    ) -> None:
        super().__init__(outcome, error)
        self.outcome, self.error, self.approval = outcome, error, approval


@dataclass
class _Progress:
    """How far one interaction's loop got: reported in the finish, so nothing done goes unrecorded."""

    turn: int = 0
    """Model calls made so far (the next step's number)."""
    pending: list[ToolResultReport] = field(default_factory=list)
    """Results of the last model call's tools, not yet sent."""


class Runner:
    """Runs turns of work one after another with one persistent toolbox."""

    def __init__(
        self,
        channel: Channel,
        tools: Tools,
        workspace: Path = Path("/workspace"),
        skills: SkillsMount | None = None,
    ) -> None:
        self.channel = channel
        self.tools = tools
        self.workspace = workspace
        self.skills = skills or SkillsMount(Path("/skills"))

    async def serve_forever(self, first: WorkItem | None = None) -> None:
        """Pull and run work until the orchestrator closes the channel; `first` (the turn a warm-pool
        assignment carried) runs before the first poll."""
        work: WorkItem | Park | None = first
        try:
            while True:
                if work is None:
                    work = await self.channel.next_work()
                if isinstance(work, Park):  # paused with its memory: carry on where it was
                    restored = await self.channel.park(work)
                    log.info("parked for a pause; %s", "restored" if restored else "no pause came")
                elif work is not None:
                    try:
                        await self.run(work)
                    except ChannelRefusedError as exc:  # e.g. the interaction was deleted meanwhile
                        log.warning("interaction %s: channel refused a report: %s", work.interaction_id, exc)
                work = None
        except ChannelClosedError as exc:
            log.info("channel closed: %s", exc)
        finally:
            await self.tools.close()

    async def run(self, work: WorkItem) -> Outcome:
        """Run one interaction's loop and report how it ended."""
        cancelled = asyncio.Event()
        watcher = asyncio.create_task(self._watch_cancel(work.interaction_id, cancelled))
        progress = _Progress(turn=work.first_turn)
        try:
            await self._loop(work, progress, cancelled)
            ending = _Ending("completed")
        except _Ending as end:
            ending = end
        except Exception as exc:  # the loop must report any failure instead of dying silently
            log.exception("interaction %s failed", work.interaction_id)
            ending = _Ending("failed", f"runner error: {type(exc).__name__}: {exc}")
        finally:
            watcher.cancel()
        await self.channel.finish(
            FinishReport(
                interaction_id=work.interaction_id,
                outcome=ending.outcome,
                error=ending.error,
                turn=progress.turn,
                results=progress.pending,
                approval=ending.approval,
            )
        )
        return ending.outcome

    def context(self, work: WorkItem) -> StepContext:
        """What only the sandbox sees: its skill index and workspace listing (the orchestrator
        renders them into the system prompt it builds)."""
        return step_context(work, self.workspace, self.skills)

    async def _watch_cancel(self, interaction_id: str, cancelled: asyncio.Event) -> None:
        while not cancelled.is_set():
            await asyncio.sleep(_CANCEL_POLL_S)
            if (await self.channel.control(interaction_id)).cancel:
                cancelled.set()
                await self.tools.interrupt()

    async def _loop(self, work: WorkItem, progress: _Progress, cancelled: asyncio.Event) -> None:
        """Step until the model answers without tool calls; an `_Ending` says how else it ended.

        The orchestrator enforces the budgets too (the same `over_budget`); checking here saves a step.
        """
        context = self.context(work)
        started, tokens, budget = time.monotonic(), 0, work.budget
        if progress.turn == 0:  # the previous interaction's approval pause: settle its calls first
            for carried in work.carried:
                await self._run_tool(work, carried.call, progress, cancelled, carried)
        while True:
            over = over_budget(budget, progress.turn, started, tokens)
            if over:
                raise _Ending("budget_exceeded", over)
            call = StepCall(
                interaction_id=work.interaction_id,
                turn=progress.turn,
                results=progress.pending,
                context=context if progress.turn == work.first_turn else None,
            )
            answer = await self.channel.step(call)
            if answer.need_context:  # the orchestrator restarted since turn 0
                answer = await self.channel.step(call.model_copy(update={"context": context}))
            progress.turn, progress.pending = progress.turn + 1, []  # stored by the orchestrator
            if answer.cancelled or cancelled.is_set():
                raise _Ending("cancelled")
            if answer.error or answer.response is None:
                raise _Ending(answer.ending or "failed", answer.error or "the model returned no response")
            response = answer.response
            tokens += response.usage.total_tokens
            calls = [part for part in response.parts if isinstance(part, ToolCallPart)]
            if not calls:
                if response.finish_reason == "max_tokens":
                    raise _Ending("incomplete", "the model stopped at its output token limit")
                return
            for tool_call in calls:
                if tool_call.name not in work.client_tools:
                    await self._run_tool(work, tool_call, progress, cancelled)
            if any(tool_call.name in work.client_tools for tool_call in calls):
                raise _Ending("requires_action")

    async def _run_tool(
        self,
        work: WorkItem,
        call: ToolCallPart,
        progress: _Progress,
        cancelled: asyncio.Event,
        carried: CarriedCall | None = None,
    ) -> None:
        """Run one built-in tool; its result joins `progress.pending` even when a cancel came meanwhile.

        A call that needs a person's approval (a rule, or a hook asking) and has none ends the loop
        as `requires_action` before it runs; `carried` is the client's answer for a call that asked.
        """
        if cancelled.is_set():
            raise _Ending("cancelled")
        decision = carried.decision if carried is not None else None
        if decision == "denied":
            progress.pending.append(denied_report(work, call, carried.reason if carried else None))
            return
        approved = decision == "approved"
        reason = (
            None
            if approved or call.name not in work.builtin_tools
            else approval_reason(work.approval_rules, call)
        )
        if reason is not None:
            raise _Ending("requires_action", approval=ApprovalRequest(call_id=call.id, reason=reason))
        hooks = ToolHooks(
            self.workspace, self.skills.hooks(), work.hooks_fail_closed, env=_hook_env(), approved=approved
        )
        try:
            progress.pending.append(await run_tool_call(self.tools, work, call, hooks))
        except ApprovalAsked as asked:
            raise _Ending(
                "requires_action", approval=ApprovalRequest(call_id=call.id, reason=str(asked))
            ) from None
        if cancelled.is_set():
            raise _Ending("cancelled")


def _hook_env() -> dict[str, str]:
    """A command hook's environment: the runner's, without its channel token."""
    return {name: value for name, value in os.environ.items() if name != TOKEN_ENV}
