"""The ports the interaction engine owns for the model form's `url_context` and `google_search`.

The model form runs in the orchestrator, so its web reads leave from there: a `PageFetcher` fetches
only what the operator's URL allowlist and the egress address rules let through, a `WebSearcher`
asks the operator's search backend. The engine imports neither HTTP nor the egress policy;
`web_pages.EgressPageFetcher` and `web_search.SearxSearch` implement these, built in `compose.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["PageFetcher", "WebOutput", "WebSearcher"]


@dataclass(frozen=True)
class WebOutput:
    """What one call gave back: the wire result entries, and the text the model reads."""

    result: list[dict[str, Any]] = field(default_factory=list)
    """The result step's `result` (`{url, status}` per URL, or `{search_suggestions}` per query)."""
    text: str = ""
    """The pages' text or the search results, with each failure's reason, for the model."""
    is_error: bool = False
    """Nothing could be read (every URL failed, or the search backend did)."""


class PageFetcher(Protocol):
    """Fetches pages for the model (`url_context`)."""

    async def fetch(self, urls: Sequence[str]) -> WebOutput:
        """Fetch each URL (already bounded in number); never raises for a page's faults."""
        ...


class WebSearcher(Protocol):
    """Searches the web for the model (`google_search`)."""

    async def search(self, queries: Sequence[str]) -> WebOutput:
        """Run each query (already bounded in number); never raises for the backend's faults."""
        ...
