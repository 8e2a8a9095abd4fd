"""The model form's `url_context` and `google_search` as tools the model calls, run on the server.

Each wire tool type is one declared tool of the same name (`url_context(urls)`,
`google_search(queries)`), whose arguments are the wire call step's `arguments`. The model's
arguments are checked here (a list of at most `MAX_URLS` / `MAX_QUERIES` bounded strings); a bad
call is an error result the model reads, never a fault of the interaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agents.model_types import ToolDeclaration
from orchestrator.interactions.web_ports import PageFetcher, WebOutput, WebSearcher

__all__ = ["MAX_QUERIES", "MAX_URLS", "WEB_TOOLS", "WebTools"]

WEB_TOOLS = ("url_context", "google_search")
"""The tool names, equal to their wire tool types (and `<name>_call` / `<name>_result` steps)."""
MAX_URLS = 20
"""URLs per `url_context` call (Google's documented limit)."""
MAX_QUERIES = 5
"""Queries per `google_search` call."""
_MAX_ITEM = 2048

_DECLARATIONS = {
    "url_context": ToolDeclaration(
        name="url_context",
        description="Fetch web pages and read their text. Only some sites can be reached; each URL's "
        "outcome says whether it was read.",
        parameters={
            "type": "object",
            "properties": {"urls": {"type": "array", "items": {"type": "string"}, "description": "URLs"}},
            "required": ["urls"],
        },
    ),
    "google_search": ToolDeclaration(
        name="google_search",
        description="Search the web; returns titles, URLs and snippets for each query.",
        parameters={
            "type": "object",
            "properties": {
                "queries": {"type": "array", "items": {"type": "string"}, "description": "search queries"}
            },
            "required": ["queries"],
        },
    ),
}


@dataclass(frozen=True)
class WebTools:
    """The configured web tools; a None one is refused at create (`refusals.ModelBuiltins`)."""

    pages: PageFetcher | None = None
    search: WebSearcher | None = None

    def enabled(self, tool_types: set[Any]) -> list[str]:
        """The web tool names a request's tool types ask for and this server has."""
        have = {"url_context": self.pages is not None, "google_search": self.search is not None}
        return [name for name in WEB_TOOLS if name in tool_types and have[name]]

    @staticmethod
    def declarations(names: list[str]) -> list[ToolDeclaration]:
        """The model-facing declarations of `names`."""
        return [_DECLARATIONS[name].model_copy(deep=True) for name in names]

    async def run(self, name: str, arguments: Mapping[str, Any]) -> WebOutput:
        """Run one call of `name` (one of `enabled`'s) with the model's `arguments`."""
        key, limit = ("urls", MAX_URLS) if name == "url_context" else ("queries", MAX_QUERIES)
        items = arguments.get(key)
        extra = sorted(set(arguments) - {key})
        if extra or not isinstance(items, list) or not items or len(items) > limit:
            return WebOutput(
                text=f"invalid {name} arguments: {key} must be a list of 1 to {limit} strings, "
                "and nothing else",
                is_error=True,
            )
        if not all(isinstance(item, str) and 0 < len(item) <= _MAX_ITEM for item in items):
            return WebOutput(
                text=f"invalid {name} arguments: each of {key} must be a string of 1 to "
                f"{_MAX_ITEM} characters",
                is_error=True,
            )
        if name == "url_context" and self.pages is not None:
            return await self.pages.fetch(items)
        assert self.search is not None
        return await self.search.search(items)
