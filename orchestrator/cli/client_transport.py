"""The HTTP transport under the CLI's API client: one connection pool, and errors as `ClientError`s.

One `httpx.AsyncClient` per client (so per process). A 4xx/5xx answer becomes `ApiError` with the
wire error body's code and message; no answer at all becomes `ConnectionFailed`. The calls by noun
(`client.py`, `client_files.py`, `client_events.py`) build on `call`, `call_json` and `pages`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import httpx

from orchestrator.errors import WarrenError

__all__ = ["ApiError", "ApiTransport", "ClientError", "ConnectionFailed", "Json", "api_error"]

Json = dict[str, Any]


class ClientError(WarrenError):
    """Root of the client's errors."""


class ApiError(ClientError):
    """The server answered with an error status; carries the wire error body's code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class ConnectionFailed(ClientError, ConnectionError):
    """The server could not be reached (or kept dropping the connection)."""


def api_error(response: httpx.Response) -> ApiError:
    """The `ApiError` for an error answer, from its wire error body (or its text when it has none)."""
    try:
        body = response.json()
        error = body.get("error") or {}
        return ApiError(response.status_code, str(error.get("code") or "error"), str(error.get("message")))
    except (ValueError, AttributeError):
        return ApiError(response.status_code, "error", response.text[:200] or response.reason_phrase)


class ApiTransport:
    """Sends authenticated requests to one Warren server.

    Args:
        base_url: the server, e.g. `http://127.0.0.1:8080`.
        api_key: sent as `x-goog-api-key`.
        api_version: the path's version segment.
        timeout_s: per-request timeout in **seconds** (streams have no read timeout).
    """

    def __init__(self, base_url: str, api_key: str, api_version: str = "v1beta", timeout_s: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.version = api_version
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers={"x-goog-api-key": api_key}, timeout=timeout_s
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._http.aclose()

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; raises `ApiError` for an error status, `ConnectionFailed` for no answer."""
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"cannot reach {self.base_url}: {exc or type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise api_error(response)
        return response

    async def call_json(self, method: str, path: str, **kwargs: Any) -> Json:
        """One request whose answer is a JSON object."""
        body: Json = (await self.call(method, path, **kwargs)).json()
        return body

    async def pages(self, path: str, key: str) -> list[Json]:
        """Every item under `key` of a paged list, following `next_page_token` to the end."""
        items: list[Json] = []
        token: str | None = None
        while True:
            page = await self.call_json("GET", path, params={"page_token": token} if token else None)
            items += page.get(key) or []
            token = page.get("next_page_token")
            if not token:
                return items
