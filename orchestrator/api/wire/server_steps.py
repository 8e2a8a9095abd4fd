"""Steps of server-side tools other than code execution: search, URL context, MCP, maps, retrieval."""

from __future__ import annotations

from typing import Any, Literal

from .annotations import ReviewSnippet
from .common import WireModel
from .results import ToolResult
from .tools import Function, SearchType

__all__ = [
    "FileSearchCallStep",
    "FileSearchResultStep",
    "GoogleMapsCallArguments",
    "GoogleMapsCallStep",
    "GoogleMapsResult",
    "GoogleMapsResultPlaces",
    "GoogleMapsResultStep",
    "GoogleSearchCallArguments",
    "GoogleSearchCallStep",
    "GoogleSearchResult",
    "GoogleSearchResultStep",
    "MCPServerToolCallStep",
    "MCPServerToolResultStep",
    "ProcessingCallStep",
    "ProcessingResultStep",
    "RetrievalCallArguments",
    "RetrievalCallStep",
    "RetrievalResultStep",
    "RetrievalType",
    "ToolSearchCallStep",
    "ToolSearchCallStepArguments",
    "ToolSearchResultStep",
    "URLContextCallArguments",
    "URLContextCallStep",
    "URLContextResult",
    "URLContextResultStep",
]

RetrievalType = Literal["vertex_ai_search", "rag_store", "exa_ai_search", "parallel_ai_search"]
"""The retrieval back ends the wire knows."""


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


class GoogleSearchCallArguments(WireModel):
    """What a web search looks for."""

    queries: list[str] | None = None
    """The search queries."""


class GoogleSearchResult(WireModel):
    """One web search result."""

    search_suggestions: str | None = None
    """Rendered search suggestions."""


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


class URLContextCallArguments(WireModel):
    """Which pages to fetch."""

    urls: list[str] | None = None
    """The URLs."""


class URLContextResult(WireModel):
    """How fetching one URL went."""

    url: str | None = None
    """The URL."""
    status: Literal["success", "error", "paywall", "unsafe"] | None = None
    """The outcome."""


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


class GoogleMapsCallArguments(WireModel):
    """What a maps search looks for."""

    queries: list[str] | None = None
    """The queries."""


class GoogleMapsResultPlaces(WireModel):
    """A place a maps search found."""

    name: str | None = None
    """The place's name."""
    place_id: str | None = None
    """The place's id."""
    url: str | None = None
    """A link to the place."""
    review_snippets: list[ReviewSnippet] | None = None
    """Reviews of the place."""


class GoogleMapsResult(WireModel):
    """One maps search result."""

    places: list[GoogleMapsResultPlaces] | None = None
    """The places found."""
    widget_context_token: str | None = None
    """A token for rendering a maps widget."""


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


class RetrievalCallArguments(WireModel):
    """What a retrieval looks for."""

    queries: list[str] | None = None
    """The queries."""


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


class ToolSearchCallStepArguments(WireModel):
    """Which deferred functions to load."""

    function_names: list[str] | None = None
    """The names."""


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
