"""The agent loop that runs inside each sandbox: `python -m agents.runner`.

It pulls a turn of work from the orchestrator, then loops: ask the model (through the
orchestrator's gateway; no model key ever enters the sandbox), run each built-in tool call here,
report each result, until the model answers without tool calls, calls a client function, a budget
runs out or a cancel arrives.

The runner shares its uid with the code the model runs, so its credential is kept where that code
cannot reach: it is claimed over the socket at start (never in the environment), and the process
makes itself non-dumpable first, which closes `/proc/<pid>/mem` and `/proc/<pid>/environ` to
processes of the same uid.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agents.channel import Channel, ChannelClosedError, ChannelRefusedError, claim
from agents.model_types import ImagePart, ToolCallPart
from agents.protocol import (
    POOLED_ENV,
    SOCKET_PATH,
    TOKEN_ENV,
    Assignment,
    FinishReport,
    Outcome,
    SkillBrief,
    StepCall,
    StepContext,
    ToolResultReport,
    WorkItem,
)
from agents.skills import discover
from agents.tools.results import ToolResult
from agents.uds_http import ChannelTransportError, UnixHttp

__all__ = ["Runner", "Tools", "main"]

log = logging.getLogger("agents.runner")
_CANCEL_POLL_S = 0.25
_PR_SET_DUMPABLE = 4


class Tools(Protocol):
    """What the loop needs from the toolbox (`agents.tools.Toolbox` in production)."""

    async def call(self, name: str, arguments: dict[str, Any]) -> Any:
        """Run one tool; returns a result with `output`, `is_error`, `images`, `files`."""
        ...

    async def interrupt(self) -> None:
        """Stop whatever tool is running (cancel)."""
        ...

    async def close(self) -> None:
        """Release the kernel, shell and browser."""
        ...


class _Ending(Exception):
    """Ends the loop and carries how it ended."""

    def __init__(self, outcome: Outcome, error: str | None = None) -> None:
        super().__init__(outcome, error)
        self.outcome, self.error = outcome, error


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
        skills_root: Path = Path("/skills"),
    ) -> None:
        self.channel = channel
        self.tools = tools
        self.workspace = workspace
        self.skills_root = skills_root

    async def serve_forever(self) -> None:
        """Pull and run work until the orchestrator closes the channel."""
        try:
            while True:
                work = await self.channel.next_work()
                if work is None:
                    continue
                try:
                    await self.run(work)
                except ChannelRefusedError as exc:  # e.g. the interaction was deleted meanwhile
                    log.warning("interaction %s: channel refused a report: %s", work.interaction_id, exc)
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
            )
        )
        return ending.outcome

    def context(self, work: WorkItem) -> StepContext:
        """What only the sandbox sees: its skill index and workspace listing (the orchestrator
        renders them into the system prompt it builds)."""
        skills = discover(self.skills_root) if "load_skill" in work.builtin_tools else []
        return StepContext(
            skills=[SkillBrief(name=skill.name, description=skill.description) for skill in skills],
            workspace=_listing(self.workspace),
        )

    async def _watch_cancel(self, interaction_id: str, cancelled: asyncio.Event) -> None:
        while not cancelled.is_set():
            await asyncio.sleep(_CANCEL_POLL_S)
            if (await self.channel.control(interaction_id)).cancel:
                cancelled.set()
                await self.tools.interrupt()

    async def _loop(self, work: WorkItem, progress: _Progress, cancelled: asyncio.Event) -> None:
        """Step until the model answers without tool calls; an `_Ending` says how else it ended.

        The orchestrator enforces the budgets too; checking them here saves a step.
        """
        context = self.context(work)
        started, tokens, budget = time.monotonic(), 0, work.budget
        while True:
            if progress.turn >= budget.max_steps:
                raise _Ending("budget_exceeded", f"step budget of {budget.max_steps} model calls reached")
            if time.monotonic() - started > budget.max_wall_s:
                raise _Ending("budget_exceeded", f"wall-clock budget of {budget.max_wall_s:.0f}s reached")
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
            if budget.max_total_tokens is not None and tokens >= budget.max_total_tokens:
                raise _Ending("budget_exceeded", f"token budget of {budget.max_total_tokens} reached")

    async def _run_tool(
        self, work: WorkItem, call: ToolCallPart, progress: _Progress, cancelled: asyncio.Event
    ) -> None:
        """Run one built-in tool; its result joins `progress.pending` even when a cancel came meanwhile."""
        if cancelled.is_set():
            raise _Ending("cancelled")
        started = time.monotonic()
        if call.name in work.builtin_tools:
            result = await self.tools.call(call.name, call.arguments)
        else:
            result = ToolResult(output=f"Tool {call.name!r} is not available to this agent.", is_error=True)
        images = [ImagePart(mime_type=image.mime_type, data=image.data) for image in result.images]
        report = ToolResultReport(
            interaction_id=work.interaction_id,
            call_id=call.id,
            name=call.name,
            output=result.output,
            is_error=result.is_error,
            images=images,
            files=list(result.files),
            duration_s=time.monotonic() - started,
        )
        progress.pending.append(report)
        if cancelled.is_set():
            raise _Ending("cancelled")


def _listing(root: Path, limit: int = 200) -> list[str]:
    """Up to `limit` workspace paths, two levels deep, folders marked with `/`; hidden ones skipped."""
    lines: list[str] = []
    for path in sorted([*root.glob("*"), *root.glob("*/*")]):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        lines.append(str(relative) + ("/" if path.is_dir() else ""))
        if len(lines) >= limit:
            lines.append("...")
            break
    return lines


def _not_dumpable() -> None:
    """prctl(PR_SET_DUMPABLE, 0): `/proc/<pid>/{mem,environ}` become root's and ptrace is refused, so
    code of the same uid (what the model runs) cannot read the token from this process."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed: refusing to hold a credential")


async def _assignment(socket_path: str, secret: str) -> Assignment:
    """A warm-pool runner's wait for its environment: the variables to apply before anything starts."""
    from agents.protocol import PREFIX

    http = UnixHttp(socket_path, {"authorization": f"Bearer {secret}"})
    delay = 0.05
    try:
        while True:
            try:
                response = await http.request("GET", f"{PREFIX}/assignment", params={"wait_s": "25"})
            except ChannelTransportError:  # the orchestrator (re)starting: its socket comes back
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            if response.status == 200:
                assignment = Assignment.model_validate_json(response.body)
                assignment.env.pop(TOKEN_ENV, None)  # a credential never goes into the environment
                _export(assignment.env, os.environ.get("BASH_ENV"))
                return assignment
            if response.status >= 500:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            elif response.status != 204:
                raise SystemExit(f"no assignment for this sandbox: {response.status} {response.text}")
    finally:
        await http.close()


def _export(env: dict[str, str], path: str | None) -> None:
    """Write `env` where the pool sandbox's shells read it (`BASH_ENV`; login shells via `~/.profile`).

    The container's own variables were fixed before its environment existed, so `docker exec bash`
    (files, `warren attach`) learns them here. No credential is ever among them.
    """
    if not path:
        return
    import re
    import shlex

    lines = [f"export {k}={shlex.quote(v)}" for k, v in env.items() if re.fullmatch(r"[A-Za-z_]\w*", k)]
    target = Path(path)
    target.write_text("\n".join(lines) + "\n")
    for startup in (target.parent / ".profile", target.parent / ".bashrc"):
        if not startup.exists():
            startup.write_text(f". {shlex.quote(path)}\n")


def main() -> None:
    """Entry point inside the sandbox: connect over the socket and serve turns forever."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    _not_dumpable()  # before any secret enters this process
    os.environ.pop(TOKEN_ENV, None)  # an older orchestrator's variable: no tool may inherit it
    from agents.tools import Toolbox  # the toolbox pulls in Playwright: only in the sandbox

    socket_path = os.environ.get("WARREN_SOCKET", SOCKET_PATH)

    async def serve() -> None:
        from agents import forwarder

        try:
            token = await claim(socket_path)
        except ChannelClosedError as exc:  # someone claimed it first: never serve on a shared credential
            raise SystemExit(f"runner: {exc}") from exc
        if os.environ.get(POOLED_ENV):  # a warm-pool sandbox: wait until it is given an environment
            assignment = await _assignment(socket_path, token)
            os.environ.update(assignment.env)
            token = assignment.token or token
        channel = Channel(socket_path, token)
        del token
        egress = os.environ.get(forwarder.EGRESS_SOCKET_ENV)
        port = int(os.environ.get(forwarder.PORT_ENV, forwarder.DEFAULT_PORT))
        proxy = await forwarder.serve(egress, port) if egress else None  # allowlist: the only way out
        try:
            toolbox = Toolbox()
            shell = asyncio.create_task(toolbox.prestart())  # overlaps the first model turn
            await Runner(channel, toolbox).serve_forever()
            await shell
        finally:
            if proxy is not None:
                proxy.close()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
