"""`GET /{v}/environments/{id}/browser`: the agent's browser page, live, as server-sent events.

A Warren extension (issue 16, item 4). Each `frame` event's data is one JSON object,
`{"seq", "mime_type": "image/jpeg", "data", "url", "timestamp"}`, with the JPEG in base64; the
latest frame comes first, then each new one, and a comment line keeps an idle stream open. While a
stream is open the environment's runner streams its page (a CDP screencast, at most a few frames
a second); with none open it sends nothing. Frames are the sandbox's bytes: never decoded here,
only relayed with a fixed image type, and never stored.

Authentication is the same as every route, and an environment of another tenant is 404.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from orchestrator.api.deps import CallerDep, ServicesDep, VersionDep
from orchestrator.api.errors import InvalidArgument, NotFound, RateLimited
from orchestrator.channel.frames import BrowserFrame, FrameBoard

__all__ = ["router"]

router = APIRouter(prefix="/{api_version}/environments", tags=["environments"])

_KEEPALIVE = b": keep-alive\n\n"


def _event(frame: BrowserFrame) -> bytes:
    data = {
        "seq": frame.seq,
        "mime_type": "image/jpeg",
        "data": frame.jpeg_b64,
        "url": frame.url,
        "timestamp": frame.timestamp,
    }
    return f"event: frame\nid: {frame.seq}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _events(board: FrameBoard, environment_id: str) -> AsyncIterator[bytes]:
    async for frame in board.follow(environment_id):
        yield _KEEPALIVE if frame is None else _event(frame)


@router.get(
    "/{environment_id}/browser",
    responses={200: {"content": {"text/event-stream": {}}, "description": "The page's frames, live"}},
    operation_id="environments-watch_browser",
    openapi_extra={"x-warren-extension": True},
)
async def watch_browser(
    environment_id: str, _v: VersionDep, caller: CallerDep, services: ServicesDep
) -> StreamingResponse:
    """Stream the frames of the agent's browser page in this environment (Warren extension)."""
    if await services.store.environments.get(caller.tenant, environment_id) is None:
        raise NotFound(f"environment {environment_id!r} not found")
    board = services.frames
    if board is None:
        raise InvalidArgument(
            "this server runs without a sandbox backend (--no-sandboxes)", field="environment"
        )
    if board.full(environment_id):
        raise RateLimited(f"at most {board.max_watchers} watchers of one environment's browser")
    return StreamingResponse(
        _events(board, environment_id),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
