"""`url_context` in the model form: pages fetched from the orchestrator through the egress policy.

Each URL (and each redirect hop, at most `max_redirects`) is decided by `egress.pinned.resolve`
against the operator's URL allowlist (`WARREN_MODEL_URL_ALLOWLIST`) and the address rules, before
any connection, and fetched pinned to the checked address. A refusal is the URL's `unsafe` status
with the policy's reason for the model. Bounded: `max_bytes` read (uncompressed: the request asks for
`identity`, and a compressed answer is refused), `timeout_s` per URL over all its hops, text only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from orchestrator.egress.pinned import Refusal, pinned, resolve
from orchestrator.egress.policy import EgressPolicy, Resolver
from orchestrator.interactions.html_text import html_text
from orchestrator.interactions.web_ports import WebOutput

__all__ = ["EgressPageFetcher", "FetchLimits"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml+xml")


@dataclass(frozen=True)
class FetchLimits:
    """How much one `url_context` fetch may take."""

    max_bytes: int = 1 << 20
    timeout_s: float = 15.0
    max_redirects: int = 5
    max_text: int = 100_000
    """Characters of one page's text handed to the model."""


class EgressPageFetcher:
    """`PageFetcher` over the egress policy of the operator's URL allowlist."""

    def __init__(self, resolver: Resolver, policy: EgressPolicy, limits: FetchLimits | None = None) -> None:
        self._resolver = resolver
        self._policy = policy
        self._limits = limits or FetchLimits()

    async def fetch(self, urls: Sequence[str]) -> WebOutput:
        """Fetch each URL in turn; the result has one `{url, status}` entry per URL."""
        async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
            pages = [(url, *await self._page(client, url)) for url in urls]
        text = "\n\n".join(f"## {url} ({status})\n{body}" for url, status, body in pages)
        return WebOutput(
            result=[{"url": url, "status": status} for url, status, _ in pages],
            text=text,
            is_error=all(status != "success" for _, status, _ in pages),
        )

    async def _page(self, client: httpx.AsyncClient, url: str) -> tuple[str, str]:
        try:
            async with asyncio.timeout(self._limits.timeout_s):
                return await self._follow(client, url)
        except TimeoutError:
            return "error", f"timed out after {self._limits.timeout_s:g} s"
        except httpx.HTTPError as exc:
            return "error", f"fetch failed ({type(exc).__name__})"

    async def _follow(self, client: httpx.AsyncClient, url: str) -> tuple[str, str]:
        for _ in range(self._limits.max_redirects + 1):
            target = await resolve(url, self._resolver, self._policy)
            if isinstance(target, Refusal):
                return "unsafe", f"refused by the egress policy before connecting: {target.reason}"
            address, host, extensions = pinned(target)
            headers = {**host, "accept-encoding": "identity", "user-agent": "warren-url-context"}
            async with client.stream("GET", address, headers=headers, extensions=extensions) as answer:
                if answer.status_code in _REDIRECTS and answer.headers.get("location"):
                    url = urljoin(url, answer.headers["location"])  # the next hop is decided again
                    continue
                return await self._read(answer)
        return "error", f"more than {self._limits.max_redirects} redirects"

    async def _read(self, answer: httpx.Response) -> tuple[str, str]:
        if answer.status_code == 402:
            return "paywall", "HTTP 402"
        if not 200 <= answer.status_code < 300:
            return "error", f"HTTP {answer.status_code}"
        kind = answer.headers.get("content-type", "text/plain").split(";")[0].strip().lower()
        if not kind.startswith(_TEXT_TYPES):
            return "error", f"not a text page ({kind[:100]})"
        if answer.headers.get("content-encoding", "identity").lower() != "identity":
            return "error", "the answer is compressed although identity was asked for"
        body, cut = bytearray(), False
        async for chunk in answer.aiter_raw():
            body += chunk
            if len(body) > self._limits.max_bytes:
                del body[self._limits.max_bytes :]
                cut = True
                break
        try:
            decoded = body.decode(answer.charset_encoding or "utf-8", "replace")
        except LookupError:  # a charset Python does not know
            decoded = body.decode("utf-8", "replace")
        limit = self._limits.max_text
        text = html_text(decoded, limit) if "html" in kind else decoded[:limit]
        return "success", text + (f"\n[cut at {self._limits.max_bytes} bytes]" if cut else "")
