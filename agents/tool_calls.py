"""One built-in tool call, run in the sandbox and turned into the report the orchestrator stores.

Apart from the loop so the loop reads in one screen: this room owns what the loop needs from the
toolbox (`Tools`) and how a call the agent may not make is answered (an error result the model
reads, never an exception).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from agents.hooks import ToolHooks
from agents.model_types import ImagePart, ToolCallPart
from agents.protocol import ToolResultReport, WorkItem
from agents.tools.results import ToolResult

__all__ = ["Tools", "denied_report", "run_tool_call"]


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


async def run_tool_call(
    tools: Tools, work: WorkItem, call: ToolCallPart, hooks: ToolHooks | None = None
) -> ToolResultReport:
    """Run `call` if the agent may use that built-in (inside its `hooks`, which may refuse it), and
    report its result and duration."""
    started = time.monotonic()
    if call.name in work.builtin_tools:

        async def tool() -> ToolResult:
            result: ToolResult = await tools.call(call.name, call.arguments)
            return result

        result = await (hooks.run(call, tool) if hooks is not None else tool())
    else:
        result = ToolResult(output=f"Tool {call.name!r} is not available to this agent.", is_error=True)
    images = [ImagePart(mime_type=image.mime_type, data=image.data) for image in result.images]
    return ToolResultReport(
        interaction_id=work.interaction_id,
        call_id=call.id,
        name=call.name,
        output=result.output,
        is_error=result.is_error,
        images=images,
        files=list(result.files),
        duration_s=time.monotonic() - started,
    )


def denied_report(work: WorkItem, call: ToolCallPart, reason: str | None) -> ToolResultReport:
    """The result of a call a person refused to approve: it never ran, and the model reads why."""
    why = reason or "no reason given"
    return ToolResultReport(
        interaction_id=work.interaction_id,
        call_id=call.id,
        name=call.name,
        output=f"The tool did not run: the user denied approval for this call: {why}",
        is_error=True,
    )
