"""`WarrenClient`: a small async client of Warren's API (the Managed Agents wire), for the CLI.

One `httpx.AsyncClient` per process. Errors become `ApiError` (the server answered 4xx/5xx) or
`ConnectionFailed` (it did not answer); the SSE follower resumes after a dropped connection with
`last_event_id`, so every event is seen exactly once.

    async with WarrenClient("http://127.0.0.1:8080", key) as client:
        agents = await client.list_agents()
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any

import httpx

from orchestrator.errors import WarrenError

__all__ = ["TERMINAL", "ApiError", "ClientError", "ConnectionFailed", "WarrenClient"]

Json = dict[str, Any]
TERMINAL = frozenset({"completed", "failed", "cancelled", "requires_action", "incomplete", "budget_exceeded"})
"""Interaction statuses after which nothing more happens."""
CHUNK_BYTES = 8 << 20
"""Upload chunk size (what google-genai uses)."""


class ClientError(WarrenError):
    """Root of the client's errors."""


class ApiError(ClientError):
    """The server answered with an error status; carries the wire error body's code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class ConnectionFailed(ClientError, ConnectionError):
    """The server could not be reached (or kept dropping the connection)."""


def _api_error(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
        error = body.get("error") or {}
        return ApiError(response.status_code, str(error.get("code") or "error"), str(error.get("message")))
    except (ValueError, AttributeError):
        return ApiError(response.status_code, "error", response.text[:200] or response.reason_phrase)


class WarrenClient:
    """Calls Warren's API with one API key.

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

    async def __aenter__(self) -> WarrenClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"cannot reach {self.base_url}: {exc or type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _api_error(response)
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Json:
        body: Json = (await self._call(method, path, **kwargs)).json()
        return body

    async def _pages(self, path: str, key: str) -> list[Json]:
        items: list[Json] = []
        token: str | None = None
        while True:
            page = await self._json("GET", path, params={"page_token": token} if token else None)
            items += page.get(key) or []
            token = page.get("next_page_token")
            if not token:
                return items

    # ---- agents --------------------------------------------------------------------------------

    async def create_agent(self, spec: Json) -> Json:
        """Create an agent from its wire definition."""
        return await self._json("POST", f"/{self.version}/agents", json=spec)

    async def get_agent(self, agent_id: str) -> Json:
        """One agent."""
        return await self._json("GET", f"/{self.version}/agents/{agent_id}")

    async def list_agents(self) -> list[Json]:
        """Every agent of the tenant (all pages)."""
        return await self._pages(f"/{self.version}/agents", "agents")

    async def delete_agent(self, agent_id: str) -> None:
        """Delete a custom agent."""
        await self._call("DELETE", f"/{self.version}/agents/{agent_id}")

    # ---- environments --------------------------------------------------------------------------

    async def create_environment(self, spec: Json) -> Json:
        """Create an environment (its sandbox starts on first use)."""
        return await self._json("POST", f"/{self.version}/environments", json=spec)

    async def get_environment(self, environment_id: str) -> Json:
        """One environment."""
        return await self._json("GET", f"/{self.version}/environments/{environment_id}")

    async def list_environments(self) -> list[Json]:
        """Every environment of the tenant (all pages)."""
        return await self._pages(f"/{self.version}/environments", "environments")

    async def delete_environment(self, environment_id: str) -> None:
        """Destroy an environment's sandbox and workspace."""
        await self._call("DELETE", f"/{self.version}/environments/{environment_id}")

    async def stop_environment(self, environment_id: str) -> Json:
        """Stop an environment's sandbox, keeping its workspace (Warren extension)."""
        return await self._json("POST", f"/{self.version}/environments/{environment_id}:stop")

    async def resume_environment(self, environment_id: str) -> Json:
        """Start a stopped environment's sandbox again, workspace intact (Warren extension)."""
        return await self._json("POST", f"/{self.version}/environments/{environment_id}:resume")

    # ---- files ---------------------------------------------------------------------------------

    async def list_files(self, environment_id: str, path: str = "", recursive: bool = False) -> list[Json]:
        """The entries of a workspace folder (or the one entry of a file), all pages."""
        url = f"/{self.version}/environments/{environment_id}/files/{path.strip('/')}"
        files: list[Json] = []
        params: dict[str, str] = {"recursive": "true" if recursive else "false"}
        while True:
            page = await self._json("GET", url, params=params)
            files += page.get("files") or []
            if not page.get("next_page_token"):
                return files
            params["page_token"] = page["next_page_token"]

    async def download(self, environment_id: str, path: str) -> bytes:
        """A workspace file's bytes."""
        url = f"/{self.version}/environments/{environment_id}/files/{path.strip('/')}"
        return (await self._call("GET", url, params={"alt": "media"})).content

    async def upload(
        self,
        environment_id: str,
        path: str,
        data: bytes,
        *,
        extract: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> list[Json]:
        """Upload bytes to a workspace path (resumable protocol, 8 MiB chunks).

        Args:
            extract: `data` is a tar (or tar.gz) to unpack at `path`.
            progress: called with the number of bytes sent after each chunk.
        """
        start = await self._call(
            "PUT",
            f"/upload/{self.version}/environments/{environment_id}/files/{path.strip('/')}",
            params={"overwrite": "true", "extract": "true" if extract else "false"},
            headers={
                "x-goog-upload-protocol": "resumable",
                "x-goog-upload-command": "start",
                "x-goog-upload-header-content-length": str(len(data)),
            },
        )
        session = start.headers["x-goog-upload-url"]
        offset = 0
        while True:
            chunk = data[offset : offset + CHUNK_BYTES]
            last = offset + len(chunk) >= len(data)
            response = await self._call(
                "POST",
                session,
                content=chunk,
                headers={
                    "x-goog-upload-command": "upload, finalize" if last else "upload",
                    "x-goog-upload-offset": str(offset),
                },
            )
            offset += len(chunk)
            if progress is not None:
                progress(offset)
            if last:
                files: list[Json] = response.json().get("files") or []
                return files

    # ---- interactions --------------------------------------------------------------------------

    async def create_interaction(self, body: Json) -> Json:
        """Create an interaction (pass `background: true` to get it back at once)."""
        return await self._json("POST", f"/{self.version}/interactions", json=body)

    async def get_interaction(self, interaction_id: str) -> Json:
        """The stored interaction with its steps."""
        return await self._json(
            "GET", f"/{self.version}/interactions/{interaction_id}", params={"stream": "false"}
        )

    async def cancel_interaction(self, interaction_id: str) -> Json:
        """Cancel a running interaction."""
        return await self._json("POST", f"/{self.version}/interactions/{interaction_id}/cancel")

    async def events(
        self,
        interaction_id: str,
        after: str | None = None,
        *,
        retry_for_s: float = 30.0,
        on_reconnect: Callable[[str | None], None] | None = None,
    ) -> AsyncIterator[Json]:
        """Follow an interaction's SSE events until its end, resuming after dropped connections.

        Each event is yielded once: a reconnect asks for the events after the last `event_id` seen.

        Args:
            after: start after this event id (`None`: from the first event).
            retry_for_s: give up when the server has not answered for this many **seconds**.
            on_reconnect: called with the last event id before each reconnect.

        Raises:
            ConnectionFailed: the server stayed unreachable for `retry_for_s`.
            ApiError: the server refused the stream (e.g. 404).
        """
        last = after
        failing_since: float | None = None
        delay = 0.2
        while True:
            try:
                async for event in self._stream_once(interaction_id, last):
                    failing_since, delay = None, 0.2
                    if event.get("event_id") is not None:
                        last = str(event["event_id"])
                    yield event
                    if event.get("event_type") == "interaction.completed":
                        return
                return  # `[DONE]` without a completed event: the stream is over
            except (httpx.TransportError, _Dropped) as exc:
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since > retry_for_s:
                    raise ConnectionFailed(f"lost the event stream of {interaction_id}: {exc}") from exc
            if on_reconnect is not None:
                on_reconnect(last)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _stream_once(self, interaction_id: str, after: str | None) -> AsyncIterator[Json]:
        params = {"stream": "true"}
        if after is not None:
            params["last_event_id"] = after
        url = f"/{self.version}/interactions/{interaction_id}"
        timeout = httpx.Timeout(self._http.timeout.connect, read=None)
        async with self._http.stream("GET", url, params=params, timeout=timeout) as response:
            if response.status_code >= 400:
                await response.aread()
                raise _api_error(response)
            data: list[str] = []
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    payload, data = "\n".join(data), []
                    if payload == "[DONE]":
                        return
                    yield json.loads(payload)
        raise _Dropped("the stream ended before [DONE]")

    # ---- shell ---------------------------------------------------------------------------------

    def shell_url(self, environment_id: str) -> str:
        """The WebSocket URL of an environment's shell (a Warren extension of the wire)."""
        scheme = "wss" if self.base_url.startswith("https") else "ws"
        host = self.base_url.split("://", 1)[1]
        return f"{scheme}://{host}/{self.version}/environments/{environment_id}/shell"


class _Dropped(Exception):
    """The server closed an event stream early."""
