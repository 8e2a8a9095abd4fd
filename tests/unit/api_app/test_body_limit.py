"""Oversized bodies get 413 `payload_too_large` without being read (SECURITY-CHECKLIST "Oversized bodies")."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from tests.unit.api_app.conftest import App

INTERACTIONS = "/v1beta/interactions"
CAP = 64 * 1024
CHUNK = 16 * 1024


class Chunks:
    """An endless request body that counts what was pulled from it."""

    def __init__(self, first: bytes = b'{"model": "scripted:echo", "input": "') -> None:
        self.first = first
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.sent += len(self.first)
        yield self.first
        while True:
            self.sent += CHUNK
            yield b"x" * CHUNK


async def _still_serves(api: App) -> None:
    done = await api.a.post(INTERACTIONS, json={"model": "scripted:echo", "input": "still there?"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"


def _assert_413(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert str(CAP) in error["message"]


async def test_a_declared_1_gb_body_is_refused_without_reading_it(api: App) -> None:
    body = Chunks()
    response = await api.a.post(
        INTERACTIONS,
        content=body,
        headers={"content-length": str(1 << 30), "content-type": "application/json"},
    )
    _assert_413(response)
    assert body.sent == 0, "not one byte of the declared body may be read"
    await _still_serves(api)


async def test_a_chunked_body_streaming_past_the_cap_is_cut_off(api: App) -> None:
    body = Chunks()
    response = await api.a.post(INTERACTIONS, content=body, headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers, "the body must go chunked"
    _assert_413(response)
    assert body.sent <= CAP + 2 * CHUNK, f"read {body.sent} bytes of an endless body; the cap is {CAP}"
    await _still_serves(api)


async def test_the_cap_holds_before_authentication(api: App) -> None:
    response = await api.a.post(
        INTERACTIONS, content=b"{}", headers={"content-length": str(1 << 30), "x-goog-api-key": "nope"}
    )
    _assert_413(response)


async def test_a_chunked_body_under_the_cap_goes_through(api: App) -> None:
    async def small() -> AsyncIterator[bytes]:
        yield b'{"model": "scripted:echo",'
        yield b' "input": "in two chunks"}'

    response = await api.a.post(INTERACTIONS, content=small(), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed"


async def test_an_upload_chunk_past_the_cap_is_refused(api: App) -> None:
    """Routes that read the body themselves (file uploads) are capped too, before any lookup."""
    response = await api.a.post(
        "/upload/v1beta/environments/env_x/files/a.txt?upload_id=u",
        content=Chunks(first=b""),
        headers={"x-goog-upload-command": "upload, finalize"},
    )
    _assert_413(response)


async def test_sse_streams_still_work_behind_the_cap(api: App) -> None:
    body = {"model": "scripted:echo", "input": "stream me", "stream": True}
    async with api.a.stream("POST", INTERACTIONS, json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join([chunk async for chunk in response.aiter_text()])
    assert "interaction.created" in text
    assert text.rstrip().endswith("data: [DONE]")
