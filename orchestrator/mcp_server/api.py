"""`WarrenApi`: the few calls of Warren's public HTTP API the MCP tools make, with one API key.

The same routes the SDKs use (`/{v}/interactions`, `/{v}/environments/{id}/files/...`), over any
httpx transport: a real connection for `warren mcp`, the app itself in-process for `/mcp` on
`warren serve`. An error answer becomes `ApiRefusal` with the wire error's status, code and message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from orchestrator.errors import WarrenError

__all__ = ["API_VERSION", "ApiRefusal", "ApiUnreachable", "FileBytes", "Json", "WarrenApi"]

API_VERSION = "v1beta"
Json = dict[str, Any]


class ApiRefusal(WarrenError):
    """The API answered with an error status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class ApiUnreachable(WarrenError, ConnectionError):
    """No answer from the API."""


def _refusal(response: httpx.Response) -> ApiRefusal:
    try:
        error = response.json().get("error") or {}
        return ApiRefusal(response.status_code, str(error.get("code") or "error"), str(error.get("message")))
    except (ValueError, AttributeError):
        return ApiRefusal(response.status_code, "error", response.text[:200] or response.reason_phrase)


class FileBytes:
    """The first bytes of a workspace file and its whole size in **bytes**."""

    def __init__(self, data: bytes, size_bytes: int) -> None:
        self.data, self.size_bytes = data, size_bytes


class WarrenApi:
    """Calls Warren's API as the owner of `api_key` (sent as `x-goog-api-key`).

    Args:
        http: the client to send with; its `base_url` is the server (the caller closes it).
        api_key: the caller's Warren API key.
    """

    def __init__(self, http: httpx.AsyncClient, api_key: str) -> None:
        self._http = http
        self._headers = {"x-goog-api-key": api_key}

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, headers=self._headers, **kwargs)
        except httpx.TransportError as exc:
            raise ApiUnreachable(f"cannot reach Warren at {self._http.base_url}: {exc!r}") from exc
        if response.status_code >= 400:
            raise _refusal(response)
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Json:
        body: Json = (await self._send(method, path, **kwargs)).json()
        return body

    async def check_key(self) -> None:
        """Raise `ApiRefusal` (401, 429) unless the key may call the API now (one cheap read)."""
        await self._send("GET", f"/{API_VERSION}/agents/default")

    async def create_interaction(self, body: Json) -> Json:
        """`POST /{v}/interactions` (the caller sets `background`)."""
        return await self._json("POST", f"/{API_VERSION}/interactions", json=body)

    async def get_interaction(self, interaction_id: str) -> Json:
        """The stored interaction with its steps."""
        return await self._json("GET", f"/{API_VERSION}/interactions/{quote(interaction_id, safe='')}")

    async def cancel_interaction(self, interaction_id: str) -> Json:
        """Cancel a running interaction."""
        return await self._json(
            "POST", f"/{API_VERSION}/interactions/{quote(interaction_id, safe='')}/cancel"
        )

    def _files(self, environment_id: str, path: str) -> str:
        return f"/{API_VERSION}/environments/{quote(environment_id, safe='')}/files/{quote(path, safe='/')}"

    async def list_files(self, environment_id: str, path: str, *, recursive: bool, page_size: int) -> Json:
        """One page of a workspace folder's entries (or a file's own entry)."""
        params = {"recursive": str(recursive).lower(), "page_size": str(page_size)}
        return await self._json("GET", self._files(environment_id, path), params=params)

    async def read_file(self, environment_id: str, path: str, *, max_bytes: int) -> FileBytes:
        """The first `max_bytes` bytes of a workspace file (`alt=media`), read as a stream."""
        url = self._files(environment_id, path)
        try:
            async with self._http.stream(
                "GET", url, params={"alt": "media"}, headers=self._headers
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _refusal(response)
                size = int(response.headers.get("content-length") or 0)
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) >= max_bytes:
                        break
        except httpx.TransportError as exc:
            raise ApiUnreachable(f"cannot reach Warren at {self._http.base_url}: {exc!r}") from exc
        return FileBytes(bytes(data[:max_bytes]), max(size, len(data)))
