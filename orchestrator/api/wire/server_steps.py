"""Steps of server-side tools other than code execution: search, URL context, MCP, maps, retrieval.

What each call asks and answers is in `server_payloads`, shared with the deltas.
"""

from __future__ import annotations

from typing import Any, Literal

from .common import WireModel
from .results import ToolResult
from .server_payloads import (
    GoogleMapsCallArguments,
    GoogleMapsResult,
    GoogleSearchCallArguments,
    GoogleSearchResult,
    RetrievalCallArguments,
    RetrievalType,
    ToolSearchCallStepArguments,
    URLContextCallArguments,
    URLContextResult,
)
from .tools import Function, SearchType

__all__ = [
    "FileSearchCallStep",
    "FileSearchResultStep",
    "GoogleMapsCallStep",
    "GoogleMapsResultStep",
    "GoogleSearchCallStep",
    "GoogleSearchResultStep",
    "MCPServerToolCallStep",
    "MCPServerToolResultStep",
    "ProcessingCallStep",
    "ProcessingResultStep",
    "RetrievalCallStep",
    "RetrievalResultStep",
    "ToolSearchCallStep",
    "ToolSearchResultStep",
    "URLContextCallStep",
    "URLContextResultStep",
]


class _CallStep(WireModel):
    id: str
    """The call's id; the result carries it as `call_id`."""
    signature: str | None = None
    """An opaque signature to send back with the history."""


class _ResultStep(WireModel):
    call_id: str
    """The `id` of the call this answers."""
    signature: str | None = None
    """An opaque signature to send back with the history."""


class GoogleSearchCallStep(_CallStep):
    """The model searches the web."""

    type: Literal["google_search_call"] = "google_search_call"
    """Always `google_search_call`."""
    arguments: GoogleSearchCallArguments
    """The queries."""
    search_type: SearchType | None = None
    """Which kind of search."""


class GoogleSearchResultStep(_ResultStep):
    """What a web search found."""

    type: Literal["google_search_result"] = "google_search_result"
    """Always `google_search_result`."""
    result: list[GoogleSearchResult]
    """The results."""
    is_error: bool | None = None
    """True when the search failed."""


class URLContextCallStep(_CallStep):
    """The model fetches pages."""

    type: Literal["url_context_call"] = "url_context_call"
    """Always `url_context_call`."""
    arguments: URLContextCallArguments
    """The URLs."""


class URLContextResultStep(_ResultStep):
    """The outcome of fetching pages."""

    type: Literal["url_context_result"] = "url_context_result"
    """Always `url_context_result`."""
    result: list[URLContextResult]
    """One entry per URL."""
    is_error: bool | None = None
    """True when fetching failed."""


class MCPServerToolCallStep(WireModel):
    """The model calls a tool of an MCP server."""

    type: Literal["mcp_server_tool_call"] = "mcp_server_tool_call"
    """Always `mcp_server_tool_call`."""
    id: str
    """The call's id; the result carries it as `call_id`."""
    name: str
    """The tool's name."""
    server_name: str
    """The MCP server's name."""
    arguments: dict[str, Any]
    """The arguments, a JSON object."""


class MCPServerToolResultStep(WireModel):
    """What an MCP tool returned."""

    type: Literal["mcp_server_tool_result"] = "mcp_server_tool_result"
    """Always `mcp_server_tool_result`."""
    call_id: str
    """The `id` of the call this answers."""
    result: ToolResult
    """The result: an object, a string or a list of content blocks."""
    name: str | None = None
    """The tool's name."""
    server_name: str | None = None
    """The MCP server's name."""


class FileSearchCallStep(_CallStep):
    """The model searches a file store."""

    type: Literal["file_search_call"] = "file_search_call"
    """Always `file_search_call`."""


class FileSearchResultStep(_ResultStep):
    """A file search finished."""

    type: Literal["file_search_result"] = "file_search_result"
    """Always `file_search_result`."""


class GoogleMapsCallStep(_CallStep):
    """The model searches maps."""

    type: Literal["google_maps_call"] = "google_maps_call"
    """Always `google_maps_call`."""
    arguments: GoogleMapsCallArguments | None = None
    """The queries."""


class GoogleMapsResultStep(_ResultStep):
    """What a maps search found."""

    type: Literal["google_maps_result"] = "google_maps_result"
    """Always `google_maps_result`."""
    result: list[GoogleMapsResult]
    """The results."""


class RetrievalCallStep(_CallStep):
    """The model retrieves from a corpus."""

    type: Literal["retrieval_call"] = "retrieval_call"
    """Always `retrieval_call`."""
    arguments: RetrievalCallArguments
    """The queries."""
    retrieval_type: RetrievalType | None = None
    """Which back end."""


class RetrievalResultStep(_ResultStep):
    """A retrieval finished."""

    type: Literal["retrieval_result"] = "retrieval_result"
    """Always `retrieval_result`."""
    is_error: bool | None = None
    """True when the retrieval failed."""


class ToolSearchCallStep(_CallStep):
    """The model asks for the full declarations of deferred functions."""

    type: Literal["tool_search_call"] = "tool_search_call"
    """Always `tool_search_call`."""
    arguments: ToolSearchCallStepArguments
    """The names."""


class ToolSearchResultStep(_ResultStep):
    """The loaded function declarations."""

    type: Literal["tool_search_result"] = "tool_search_result"
    """Always `tool_search_result`."""
    result: list[Function] | None = None
    """The declarations."""


class ProcessingCallStep(_CallStep):
    """The server started processing (e.g. media)."""

    type: Literal["processing_call"] = "processing_call"
    """Always `processing_call`."""


class ProcessingResultStep(_ResultStep):
    """The server finished processing."""

    type: Literal["processing_result"] = "processing_result"
    """Always `processing_result`."""
