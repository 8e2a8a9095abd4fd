"""The Live WebSocket route refuses every upgrade as not supported (issue 15, defect 6).

With the ASGI denial-response extension (uvicorn has it) the answer is HTTP 501 with the wire error
body; without it, the socket is accepted and closed with 1008 and the reason. An unknown version is 404.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Message
from starlette.websockets import WebSocket

from orchestrator.api.routes.live import NOT_SUPPORTED, live_interactions


async def _refuse(version: str, extensions: dict[str, Any]) -> list[Message]:
    sent: list[Message] = []
    scope = {
        "type": "websocket",
        "path": f"/{version}/interactions/live",
        "headers": [],
        "extensions": extensions,
    }

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await live_interactions(WebSocket(scope, receive, send), version)
    return sent


async def test_the_handshake_is_answered_501_with_the_wire_error_body() -> None:
    start, body = await _refuse("v1beta", {"websocket.http.response": {}})

    assert start["type"] == "websocket.http.response.start" and start["status"] == 501
    assert json.loads(body["body"]) == {"error": {"code": "unimplemented", "message": NOT_SUPPORTED}}


async def test_an_unknown_version_is_404() -> None:
    start, body = await _refuse("v9", {"websocket.http.response": {}})

    assert start["status"] == 404 and json.loads(body["body"])["error"]["code"] == "not_found"


async def test_without_the_denial_extension_the_socket_closes_with_1008_and_the_reason() -> None:
    accept, close = await _refuse("v1beta", {})

    assert accept["type"] == "websocket.accept"
    assert (close["type"], close["code"]) == ("websocket.close", 1008)
    assert close["reason"].startswith("the Live API (interactions.connect) is not supported")
