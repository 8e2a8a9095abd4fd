"""One interaction's MCP tools: listed when its turn starts, offered to the model, run when called.

`McpToolset.open` lists every server's tools (all at once, each bounded by `McpClient`) and declares
each allowed tool to the model as `<server>__<tool>` (`spec.model_name`); a tool whose name the
providers could not take (letters, digits, `_`, `.`, `-`; 64 characters with the prefix) is left
out. `run` calls the tool and gives the wire `mcp_server_tool_result` step and the model's result;
a failed call (refused address, dead server, timeout) is an error result the model reads, never a
fault of the interaction. Only calls the model made reach `run`: the callers run the calls of the
model's own answer (`interactions.model_form`; for agents the hub, `channel.steps`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.model_types import ImagePart, ToolCallPart, ToolDeclaration, ToolResultPart
from orchestrator.mcp_tools.client import McpClient, McpError, McpOutput
from orchestrator.mcp_tools.spec import McpServerSpec, model_name

__all__ = ["McpToolset", "call_step_of", "result_step_of"]

log = logging.getLogger("orchestrator.mcp_tools")

Step = dict[str, Any]
_MODEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")


@dataclass
class McpToolset:
    """The MCP tools of one interaction, by the name the model calls them."""

    client: McpClient | None = None
    """None: no MCP tools (nothing to call)."""
    specs: dict[str, McpServerSpec] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Model-facing name -> (server name, tool name)."""
    declarations: list[ToolDeclaration] = field(default_factory=list)

    @classmethod
    async def open(cls, client: McpClient, specs: Sequence[McpServerSpec]) -> McpToolset:
        """List every server's tools.

        Raises:
            McpError: a server could not be listed; the message names it (never its headers).
        """
        toolset = cls(client, {spec.name: spec for spec in specs})
        listings = await asyncio.gather(*(client.list_tools(spec) for spec in specs), return_exceptions=True)
        for spec, listed in zip(specs, listings, strict=True):
            if isinstance(listed, McpError):
                raise McpError(f"mcp_server {spec.name!r}: could not list its tools: {listed}")
            if isinstance(listed, BaseException):
                raise listed
            for tool in listed:
                name = model_name(spec.name, tool.name)
                if not _MODEL_NAME.fullmatch(name) or name in toolset.names:
                    log.warning(
                        "mcp_server %s: tool name %r left out (not a name models take)",
                        spec.name,
                        tool.name[:80],
                    )
                    continue
                toolset.names[name] = (spec.name, tool.name)
                toolset.declarations.append(
                    ToolDeclaration(name=name, description=tool.description, parameters=tool.parameters)
                )
        return toolset

    def owns(self, name: str) -> bool:
        """Whether the model's tool `name` is one of these MCP tools."""
        return name in self.names

    async def run(self, call: ToolCallPart) -> tuple[Step, ToolResultPart]:
        """Call the tool; the wire result step and what the model reads (errors included)."""
        server, tool = self.names[call.name]
        assert self.client is not None  # a toolset with names was opened with a client
        try:
            output = await self.client.call(self.specs[server], tool, dict(call.arguments))
        except McpError as exc:
            output = McpOutput([{"type": "text", "text": f"the MCP tool call failed: {exc}"}], is_error=True)
        step = result_step_of(call.id, server, tool, output.content)
        return step, _model_result(call, output)


def call_step_of(call: ToolCallPart, server: str, tool: str) -> Step:
    """The wire step of the model's call of an MCP tool."""
    return {
        "type": "mcp_server_tool_call",
        "id": call.id,
        "name": tool,
        "server_name": server,
        "arguments": dict(call.arguments),
    }


def result_step_of(call_id: str, server: str, tool: str, content: list[dict[str, Any]]) -> Step:
    """The wire step of an MCP tool's result."""
    return {
        "type": "mcp_server_tool_result",
        "call_id": call_id,
        "name": tool,
        "server_name": server,
        "result": content,
    }


def _model_result(call: ToolCallPart, output: McpOutput) -> ToolResultPart:
    texts = [str(block.get("text", "")) for block in output.content if block.get("type") == "text"]
    images: list[ImagePart] = []
    for block in output.content:
        if block.get("type") == "image":
            try:
                images.append(
                    ImagePart(mime_type=str(block["mime_type"]), data=base64.b64decode(block["data"]))
                )
            except (binascii.Error, ValueError, KeyError):
                texts.append("[an image that could not be decoded]")
    return ToolResultPart(
        call_id=call.id, name=call.name, output="\n".join(texts), images=images, is_error=output.is_error
    )
