"""The wire step that records a tool result a runner reported.

The channel is the only producer of these steps (the runner reports results, the hub stores them),
so the mapping lives here: `run_code` is a code execution on the wire, every other built-in a
function result with its text and images. `interactions.history` reads them back into messages.
"""

from __future__ import annotations

import base64
from typing import Any

from agents.protocol import ToolResultReport
from agents.tools.declarations import CODE_TOOL
from orchestrator.channel.ports import Step

__all__ = ["result_step"]


def result_step(report: ToolResultReport) -> Step:
    """The wire step for a server-executed tool's result."""
    if report.name == CODE_TOOL:
        step: Step = {"type": "code_execution_result", "call_id": report.call_id, "result": report.output}
    else:
        content: list[dict[str, Any]] = [{"type": "text", "text": report.output}]
        content += [
            {"type": "image", "mime_type": image.mime_type, "data": base64.b64encode(image.data).decode()}
            for image in report.images
        ]
        step = {"type": "function_result", "call_id": report.call_id, "name": report.name, "result": content}
    if report.is_error:
        step["is_error"] = True
    return step
