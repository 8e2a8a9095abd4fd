"""`google_search` in the model form: the operator's SearXNG-compatible search backend.

`WARREN_SEARCH_URL` names a JSON search endpoint (`GET <url>?q=...&format=json` answering
`{"results": [{"title", "url", "content"}, ...]}`, as SearXNG does with its json format enabled).
The request leaves from the orchestrator, so it passes the egress address rules like a webhook:
a backend on loopback or a private network needs its address and port in
`WARREN_EGRESS_ALLOW_ADDRESSES`. The tenant's model sees the results, never the backend's address
or why it failed (that is logged for the operator).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from orchestrator.egress.pinned import Refusal, pinned, resolve
from orchestrator.egress.policy import Resolver
from orchestrator.interactions.web_ports import WebOutput

__all__ = ["SearxSearch"]

log = logging.getLogger("orchestrator.interactions.web_search")

_MAX_BYTES = 1 << 20
_RESULTS = 8
_FIELD = 1000


class SearxSearch:
    """`WebSearcher` over a SearXNG-compatible JSON endpoint."""

    def __init__(self, url: str, resolver: Resolver, timeout_s: float = 15.0) -> None:
        self._url = url
        self._resolver = resolver
        self._timeout_s = timeout_s

    async def search(self, queries: Sequence[str]) -> WebOutput:
        """Run each query; one `{search_suggestions}` entry (the results as plain text) per query."""
        found: list[str] = []
        async with httpx.AsyncClient(
            follow_redirects=False, trust_env=False, timeout=self._timeout_s
        ) as client:
            for query in queries:
                try:
                    found.append(_render(query, await self._one(client, query)))
                except (httpx.HTTPError, ValueError, RecursionError) as exc:
                    log.warning("search backend failed: %s", f"{type(exc).__name__}: {exc}"[:300])
                    return WebOutput(text="the search backend is unavailable; try again later", is_error=True)
        return WebOutput(result=[{"search_suggestions": text} for text in found], text="\n\n".join(found))

    async def _one(self, client: httpx.AsyncClient, query: str) -> list[dict[str, str]]:
        joiner = "&" if "?" in self._url else "?"
        target = await resolve(
            f"{self._url}{joiner}{urlencode({'q': query, 'format': 'json'})}", self._resolver
        )
        if isinstance(target, Refusal):
            raise ValueError(f"refused by the address rules: {target.reason}")
        url, host, extensions = pinned(target)
        headers = {**host, "accept": "application/json", "accept-encoding": "identity"}
        async with client.stream("GET", url, headers=headers, extensions=extensions) as answer:
            if answer.status_code != 200:
                raise ValueError(f"HTTP {answer.status_code}")
            body = bytearray()
            async for chunk in answer.aiter_raw():
                body += chunk
                if len(body) > _MAX_BYTES:
                    raise ValueError(f"answer larger than {_MAX_BYTES} bytes")
        return _results(json.loads(body))


def _results(data: Any) -> list[dict[str, str]]:
    """The first results' title, url and content, each a bounded string (anything else is dropped)."""
    items = data.get("results") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError("no results list in the answer")
    out = []
    for item in items[:_RESULTS]:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            out.append({k: str(item.get(k) or "")[:_FIELD] for k in ("title", "url", "content")})
    return out


def _render(query: str, results: list[dict[str, str]]) -> str:
    lines = [f"Results for {query!r}:"]
    for number, item in enumerate(results, 1):
        lines.append(f"{number}. {item['title']}\n   {item['url']}\n   {item['content']}".rstrip())
    return "\n".join(lines) if results else f"No results for {query!r}."
