"""Deltas of server-side tool steps: each carries its step's payload without `id` or `call_id`."""

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
from .tools import Function

__all__ = [
    "FileSearchCallDelta",
    "FileSearchResult",
    "FileSearchResultDelta",
    "GoogleMapsCallDelta",
    "GoogleMapsResultDelta",
    "GoogleSearchCallDelta",
    "GoogleSearchResultDelta",
    "MCPServerToolCallDelta",
    "MCPServerToolResultDelta",
    "ProcessingCallDelta",
    "ProcessingResultDelta",
    "RetrievalCallDelta",
    "RetrievalResultDelta",
    "ToolSearchCallDelta",
    "ToolSearchResultDelta",
    "URLContextCallDelta",
    "URLContextResultDelta",
]


class _Signed(WireModel):
    signature: str | None = None
    """An opaque signature."""


class GoogleSearchCallDelta(_Signed):
    """The queries of a `google_search_call` step."""

    type: Literal["google_search_call"] = "google_search_call"
    """Always `google_search_call`."""
    arguments: GoogleSearchCallArguments
    """The queries."""


class GoogleSearchResultDelta(_Signed):
    """Results of a `google_search_result` step."""

    type: Literal["google_search_result"] = "google_search_result"
    """Always `google_search_result`."""
    result: list[GoogleSearchResult]
    """The results."""
    is_error: bool | None = None
    """True when the search failed."""


class URLContextCallDelta(_Signed):
    """The URLs of a `url_context_call` step."""

    type: Literal["url_context_call"] = "url_context_call"
    """Always `url_context_call`."""
    arguments: URLContextCallArguments
    """The URLs."""


class URLContextResultDelta(_Signed):
    """Outcomes of a `url_context_result` step."""

    type: Literal["url_context_result"] = "url_context_result"
    """Always `url_context_result`."""
    result: list[URLContextResult]
    """One entry per URL."""
    is_error: bool | None = None
    """True when fetching failed."""


class MCPServerToolCallDelta(WireModel):
    """The call of an `mcp_server_tool_call` step."""

    type: Literal["mcp_server_tool_call"] = "mcp_server_tool_call"
    """Always `mcp_server_tool_call`."""
    name: str
    """The tool's name."""
    server_name: str
    """The MCP server's name."""
    arguments: dict[str, Any]
    """The arguments, a JSON object."""


class MCPServerToolResultDelta(WireModel):
    """The result of an `mcp_server_tool_result` step."""

    type: Literal["mcp_server_tool_result"] = "mcp_server_tool_result"
    """Always `mcp_server_tool_result`."""
    result: ToolResult
    """The result."""
    name: str | None = None
    """The tool's name."""
    server_name: str | None = None
    """The MCP server's name."""


class FileSearchResult(WireModel):
    """One file search hit (the wire defines no fields yet)."""


class FileSearchCallDelta(_Signed):
    """A `file_search_call` step's payload."""

    type: Literal["file_search_call"] = "file_search_call"
    """Always `file_search_call`."""


class FileSearchResultDelta(_Signed):
    """Hits of a `file_search_result` step."""

    type: Literal["file_search_result"] = "file_search_result"
    """Always `file_search_result`."""
    result: list[FileSearchResult]
    """The hits."""


class GoogleMapsCallDelta(_Signed):
    """The queries of a `google_maps_call` step."""

    type: Literal["google_maps_call"] = "google_maps_call"
    """Always `google_maps_call`."""
    arguments: GoogleMapsCallArguments | None = None
    """The queries."""


class GoogleMapsResultDelta(_Signed):
    """Results of a `google_maps_result` step."""

    type: Literal["google_maps_result"] = "google_maps_result"
    """Always `google_maps_result`."""
    result: list[GoogleMapsResult] | None = None
    """The results."""


class RetrievalCallDelta(_Signed):
    """The queries of a `retrieval_call` step."""

    type: Literal["retrieval_call"] = "retrieval_call"
    """Always `retrieval_call`."""
    arguments: RetrievalCallArguments
    """The queries."""
    retrieval_type: RetrievalType | None = None
    """Which back end."""


class RetrievalResultDelta(_Signed):
    """A `retrieval_result` step's payload."""

    type: Literal["retrieval_result"] = "retrieval_result"
    """Always `retrieval_result`."""
    is_error: bool | None = None
    """True when the retrieval failed."""


class ToolSearchCallDelta(_Signed):
    """The names of a `tool_search_call` step."""

    type: Literal["tool_search_call"] = "tool_search_call"
    """Always `tool_search_call`."""
    arguments: ToolSearchCallStepArguments | None = None
    """The names."""


class ToolSearchResultDelta(_Signed):
    """Declarations of a `tool_search_result` step."""

    type: Literal["tool_search_result"] = "tool_search_result"
    """Always `tool_search_result`."""
    result: list[Function] | None = None
    """The declarations."""


class ProcessingCallDelta(_Signed):
    """A `processing_call` step's payload."""

    type: Literal["processing_call"] = "processing_call"
    """Always `processing_call`."""


class ProcessingResultDelta(_Signed):
    """A `processing_result` step's payload."""

    type: Literal["processing_result"] = "processing_result"
    """Always `processing_result`."""
