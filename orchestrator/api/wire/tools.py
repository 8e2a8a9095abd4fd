"""Tools an agent or an interaction may use (spec section 7.3), discriminated by `type`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from .common import WireModel

__all__ = [
    "AllowedTools",
    "CodeExecution",
    "Function",
    "GoogleSearch",
    "MCPServer",
    "SearchType",
    "Tool",
    "ToolChoiceMode",
    "URLContext",
]

ToolChoiceMode = Literal["auto", "any", "none", "validated"]
"""How freely the model may call tools."""
SearchType = Literal["web_search", "image_search", "enterprise_web_search"]
"""The kinds of web search."""


class AllowedTools(WireModel):
    """A restriction of which tools the model may call, and how."""

    mode: ToolChoiceMode | None = None
    """How freely the model may call the listed tools."""
    tools: list[str] | None = None
    """Names of the tools the restriction applies to."""


class Function(WireModel):
    """A client-side function: the model calls it, the interaction pauses as `requires_action`."""

    type: Literal["function"] = "function"
    """Always `function`."""
    name: str
    """The function's name, as the model sees it (not `warren_approval`: Warren's approval requests)."""
    description: str | None = None
    """What the function does, for the model."""
    short_description: str | None = None
    """A one-line description, used when the tool is loaded lazily."""
    parameters: dict[str, Any] | None = None
    """The arguments, as a JSON Schema object."""
    defer_loading: bool | None = None
    """Declare the function lazily: the model sees only its short description until it asks for it."""

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "warren_approval":
            raise ValueError("`warren_approval` is reserved for Warren's approval requests")
        return value


class CodeExecution(WireModel):
    """Run code in the environment's sandbox (Warren's `run_code`)."""

    type: Literal["code_execution"] = "code_execution"
    """Always `code_execution`."""


class URLContext(WireModel):
    """Fetch the pages of URLs the model names."""

    type: Literal["url_context"] = "url_context"
    """Always `url_context`."""


class GoogleSearch(WireModel):
    """Search the web."""

    type: Literal["google_search"] = "google_search"
    """Always `google_search`."""
    search_types: list[SearchType] | None = None
    """Which kinds of search the model may run."""


class MCPServer(WireModel):
    """A remote MCP server whose tools the model may call."""

    type: Literal["mcp_server"] = "mcp_server"
    """Always `mcp_server`."""
    name: str
    """The server's name; steps report it as `server_name`."""
    url: str
    """The server's endpoint."""
    headers: dict[str, str] | None = None
    """HTTP headers sent with every request to the server."""
    allowed_tools: list[AllowedTools] | None = None
    """Which of the server's tools the model may call."""
    defer_loading: bool | None = None
    """Load the server's tool list lazily."""


Tool = Annotated[
    Function | CodeExecution | URLContext | GoogleSearch | MCPServer, Field(discriminator="type")
]
"""A tool, discriminated by `type`. Warren runs these five; other wire tool types are refused."""
