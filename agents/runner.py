"""The agent loop that runs inside each sandbox: `python -m agents.runner`.

It pulls a turn of work from the orchestrator, then loops: ask the model (through the
orchestrator's gateway; no model key ever enters the sandbox), run each built-in tool call here,
report each result, until the model answers without tool calls, calls a client function, a budget
runs out or a cancel arrives.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any, Protocol

import httpx

from agents.channel import Channel, ChannelClosedError
from agents.model_types import ImagePart, Message, ModelRequest, ToolCallPart, ToolResultPart
from agents.protocol import (
    SOCKET_PATH,
    TOKEN_ENV,
    FinishReport,
    ModelCall,
    Outcome,
    ToolResultReport,
    WorkItem,
)
from agents.skills import discover
from agents.tools.declarations import builtin_declarations
from agents.tools.results import ToolResult

__all__ = ["Runner", "Tools", "main"]

log = logging.getLogger("agents.runner")
_CANCEL_POLL_S = 0.25


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
                except httpx.HTTPStatusError as exc:  # e.g. the interaction was deleted meanwhile
                    log.warning("interaction %s: channel refused a report: %s", work.interaction_id, exc)
        except ChannelClosedError as exc:
            log.info("channel closed: %s", exc)
        finally:
            await self.tools.close()

    async def run(self, work: WorkItem) -> Outcome:
        """Run one interaction's loop and report how it ended."""
        cancelled = asyncio.Event()
        watcher = asyncio.create_task(self._watch_cancel(work.interaction_id, cancelled))
        try:
            await self._loop(work, cancelled)
            ending = _Ending("completed")
        except _Ending as end:
            ending = end
        except Exception as exc:  # the loop must report any failure instead of dying silently
            log.exception("interaction %s failed", work.interaction_id)
            ending = _Ending("failed", f"runner error: {type(exc).__name__}: {exc}")
        finally:
            watcher.cancel()
        await self.channel.finish(
            FinishReport(interaction_id=work.interaction_id, outcome=ending.outcome, error=ending.error)
        )
        return ending.outcome

    def context(self, work: WorkItem) -> str:
        """The system prompt: the agent's instruction, the skill index and the workspace listing."""
        parts = [work.system or ""]
        skills = discover(self.skills_root) if "load_skill" in work.builtin_tools else []
        if skills:
            index = "\n".join(f"- {skill.name}: {skill.description}" for skill in skills)
            parts.append(f"## Skills (call load_skill with a name before following one)\n{index}")
        parts.append(f"## Workspace ({self.workspace})\n{_listing(self.workspace)}")
        return "\n\n".join(part for part in parts if part)

    async def _watch_cancel(self, interaction_id: str, cancelled: asyncio.Event) -> None:
        while not cancelled.is_set():
            await asyncio.sleep(_CANCEL_POLL_S)
            if (await self.channel.control(interaction_id)).cancel:
                cancelled.set()
                await self.tools.interrupt()

    async def _loop(self, work: WorkItem, cancelled: asyncio.Event) -> None:
        messages = list(work.messages)
        started, tokens = time.monotonic(), 0
        system = self.context(work)
        tools = [*builtin_declarations(work.builtin_tools), *work.tools]
        budget = work.budget
        for _ in range(budget.max_steps):
            if time.monotonic() - started > budget.max_wall_s:
                raise _Ending("budget_exceeded", f"wall-clock budget of {budget.max_wall_s:.0f}s reached")
            request = ModelRequest(system=system, messages=messages, tools=tools, config=work.config)
            answer = await self.channel.model(ModelCall(interaction_id=work.interaction_id, request=request))
            if answer.cancelled or cancelled.is_set():
                raise _Ending("cancelled")
            if answer.error or answer.response is None:
                raise _Ending("failed", answer.error or "the model returned no response")
            response = answer.response
            tokens += response.usage.total_tokens
            messages.append(Message(role="model", parts=list(response.parts)))
            calls = [part for part in response.parts if isinstance(part, ToolCallPart)]
            if not calls:
                return
            results = [
                await self._run_tool(work, c, cancelled) for c in calls if c.name not in work.client_tools
            ]
            if any(call.name in work.client_tools for call in calls):
                raise _Ending("requires_action")
            messages.append(Message(role="user", parts=list(results)))
            if budget.max_total_tokens is not None and tokens >= budget.max_total_tokens:
                raise _Ending("budget_exceeded", f"token budget of {budget.max_total_tokens} reached")
        raise _Ending("budget_exceeded", f"step budget of {budget.max_steps} model calls reached")

    async def _run_tool(self, work: WorkItem, call: ToolCallPart, cancelled: asyncio.Event) -> ToolResultPart:
        if cancelled.is_set():
            raise _Ending("cancelled")
        started = time.monotonic()
        if call.name in work.builtin_tools:
            result = await self.tools.call(call.name, call.arguments)
        else:
            result = ToolResult(output=f"Tool {call.name!r} is not available to this agent.", is_error=True)
        if cancelled.is_set():
            raise _Ending("cancelled")
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
        if (await self.channel.tool_result(report)).cancelled:
            raise _Ending("cancelled")
        return ToolResultPart(
            call_id=call.id, name=call.name, output=result.output, images=images, is_error=result.is_error
        )


def _listing(root: Path, limit: int = 200) -> str:
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
    return "\n".join(lines) or "(empty)"


def main() -> None:
    """Entry point inside the sandbox: connect over the socket and serve turns forever."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from agents.tools import Toolbox  # the toolbox pulls in Playwright and Jupyter: only in the sandbox

    socket_path = os.environ.get("WARREN_SOCKET", SOCKET_PATH)
    channel = Channel(httpx.AsyncHTTPTransport(uds=socket_path), os.environ[TOKEN_ENV])

    async def serve() -> None:
        from agents import forwarder

        egress = os.environ.get(forwarder.EGRESS_SOCKET_ENV)
        port = int(os.environ.get(forwarder.PORT_ENV, forwarder.DEFAULT_PORT))
        proxy = await forwarder.serve(egress, port) if egress else None  # allowlist: the only way out
        try:
            await Runner(channel, Toolbox()).serve_forever()
        finally:
            if proxy is not None:
                proxy.close()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
