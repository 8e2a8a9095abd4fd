"""`client.aio.interactions.connect` (the Live WebSocket) is refused as not supported (issue 15, defect 6).

It got a bare 403, which reads as an auth failure. The handshake now gets HTTP 501 with the wire
error body (`unimplemented`), so the SDK raises `APIWebSocketError` with `http_status == 501`.
"""

from __future__ import annotations

import asyncio
import json
import warnings

import pytest
from google import genai
from google.genai._interactions_errors import APIWebSocketError
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conformance.conftest import Server

pytestmark = pytest.mark.conformance


def test_the_sdk_reports_the_live_api_as_not_implemented(client: genai.Client) -> None:
    async def connect_live() -> None:
        async with client.aio.interactions.connect("int_anything", timeout=30):
            pass

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK marks Live as experimental
        with pytest.raises(APIWebSocketError) as caught:
            asyncio.run(connect_live())
    assert caught.value.http_status == 501, caught.value


def test_the_handshake_answer_is_the_wire_error_body(server: Server) -> None:
    async def handshake() -> InvalidStatus:
        url = server.url.replace("http://", "ws://") + "/v1beta/interactions/live"
        with pytest.raises(InvalidStatus) as caught:
            async with connect(url, additional_headers={"x-goog-api-key": server.key}, open_timeout=30):
                pass
        return caught.value

    refused = asyncio.run(handshake()).response
    assert refused.status_code == 501
    error = json.loads(refused.body or b"{}")["error"]
    assert error["code"] == "unimplemented"
    assert "Live API" in error["message"] and "not supported" in error["message"]
