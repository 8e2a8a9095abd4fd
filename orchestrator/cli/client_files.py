"""Workspace file calls of the CLI's API client: list, download, and the resumable upload.

Uploads use the same resumable protocol as google-genai (start, then 8 MiB chunks, the last one
finalizing), so a large archive never sits in one request and progress can be shown per chunk.
"""

from __future__ import annotations

from collections.abc import Callable

from orchestrator.cli.client_transport import ApiTransport, Json

__all__ = ["CHUNK_BYTES", "FileCalls"]

CHUNK_BYTES = 8 << 20
"""Upload chunk size (what google-genai uses)."""


class FileCalls(ApiTransport):
    """The `/files` calls of one environment's workspace."""

    async def list_files(self, environment_id: str, path: str = "", recursive: bool = False) -> list[Json]:
        """The entries of a workspace folder (or the one entry of a file), all pages."""
        url = f"/{self.version}/environments/{environment_id}/files/{path.strip('/')}"
        files: list[Json] = []
        params: dict[str, str] = {"recursive": "true" if recursive else "false"}
        while True:
            page = await self.call_json("GET", url, params=params)
            files += page.get("files") or []
            if not page.get("next_page_token"):
                return files
            params["page_token"] = page["next_page_token"]

    async def download(self, environment_id: str, path: str) -> bytes:
        """A workspace file's bytes."""
        url = f"/{self.version}/environments/{environment_id}/files/{path.strip('/')}"
        return (await self.call("GET", url, params={"alt": "media"})).content

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
        start = await self.call(
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
            response = await self.call(
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
