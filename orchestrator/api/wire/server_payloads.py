"""What server-side tool calls ask and answer: the arguments and results of search, URL context,
maps, retrieval and tool search, shared by their steps (`server_steps`) and their deltas
(`server_deltas`), so a streamed call and a stored one carry the same shapes.
"""

from __future__ import annotations

from typing import Literal

from .annotations import ReviewSnippet
from .common import WireModel

__all__ = [
    "GoogleMapsCallArguments",
    "GoogleMapsResult",
    "GoogleMapsResultPlaces",
    "GoogleSearchCallArguments",
    "GoogleSearchResult",
    "RetrievalCallArguments",
    "RetrievalType",
    "ToolSearchCallStepArguments",
    "URLContextCallArguments",
    "URLContextResult",
]

RetrievalType = Literal["vertex_ai_search", "rag_store", "exa_ai_search", "parallel_ai_search"]
"""The retrieval back ends the wire knows."""


class GoogleSearchCallArguments(WireModel):
    """What a web search looks for."""

    queries: list[str] | None = None
    """The search queries."""


class GoogleSearchResult(WireModel):
    """One web search result."""

    search_suggestions: str | None = None
    """Rendered search suggestions."""


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


class RetrievalCallArguments(WireModel):
    """What a retrieval looks for."""

    queries: list[str] | None = None
    """The queries."""


class ToolSearchCallStepArguments(WireModel):
    """Which deferred functions to load."""

    function_names: list[str] | None = None
    """The names."""
