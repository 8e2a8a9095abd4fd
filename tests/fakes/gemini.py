"""A fake Gemini API (`generativelanguage.googleapis.com`, v1beta) for the google-genai SDK.

Speaks `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse` and
`GET /v1beta/models/{model}`. Like Gemini 3 it signs its turns: the first function call of a turn
(or its last text part) carries a `thoughtSignature`, and a later request whose history holds
that part without the very same signature is rejected with 400, as the real service does.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.server import FakeVendor, Hang, Status, Turn, split_text, sse

__all__ = ["FakeGemini"]

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def _decode(sig: str) -> bytes:
    """Protobuf JSON accepts both base64 alphabets, so the fake does too."""
    return base64.urlsafe_b64decode(sig.replace("+", "-").replace("/", "_"))


class FakeGemini(FakeVendor):
    """Fake Gemini; `issued` maps each signed part's key to the signature bytes it issued."""

    def __init__(self) -> None:
        super().__init__()
        self.issued: dict[str, bytes] = {}
        self.signature_rejections = 0
        self._turns = 0

    def reset(self) -> None:
        """Also forget issued signatures."""
        super().reset()
        self.issued.clear()
        self.signature_rejections = 0

    @staticmethod
    def tool_results(body: dict[str, Any]) -> list[tuple[str | None, str]]:
        """(call id, result as JSON text) of every function response in a request body."""
        return [
            (p["functionResponse"].get("id"), json.dumps(p["functionResponse"].get("response")))
            for c in body.get("contents", [])
            for p in c.get("parts", [])
            if "functionResponse" in p
        ]

    @staticmethod
    def images(body: dict[str, Any]) -> list[bytes]:
        """Every inline image of a request body, decoded."""
        return [
            base64.b64decode(p["inlineData"]["data"].replace("-", "+").replace("_", "/"))
            for c in body.get("contents", [])
            for p in c.get("parts", [])
            if "inlineData" in p
        ]

    def routes(self) -> list[Route]:
        """Model calls and model lookup, under any API version."""
        return [
            Route("/{version}/models/{model_action:path}", self._models, methods=["POST", "GET"]),
        ]

    async def _models(self, request: Request) -> Response:
        rec = await self.record(request)
        name = request.path_params["model_action"]
        if request.method == "GET" and self.lookup_error is not None:
            return self._error(self.lookup_error)
        if request.method == "GET":
            return JSONResponse({"name": f"models/{name}", "displayName": name, "version": "fake"})
        model, _, action = name.partition(":")
        reply = self.next_reply(rec.body or {})
        if isinstance(reply, Hang):
            return await self.hang(reply)
        if isinstance(reply, Status):
            return self._error(reply)
        missing = self._check_signatures(rec.body or {})
        if missing:
            self.signature_rejections += 1
            return self._error(Status(400, missing))
        if action == "streamGenerateContent":
            return StreamingResponse(self._stream(reply, model), media_type="text/event-stream")
        return JSONResponse(self._response(self._parts(reply), reply, model, finish=True))

    def _error(self, status: Status) -> Response:
        body = {
            "error": {
                "code": status.status,
                "message": status.message,
                "status": _STATUS_NAMES.get(status.status, "UNKNOWN"),
            }
        }
        return JSONResponse(body, status_code=status.status, headers=status.headers)

    def _check_signatures(self, body: dict[str, Any]) -> str | None:
        for content in body.get("contents", []):
            if content.get("role") != "model":
                continue
            for part in content.get("parts", []):
                key = self._key(part)
                if key is None or key not in self.issued:
                    continue
                sig = part.get("thoughtSignature")
                if sig is None or _decode(sig) != self.issued[key]:
                    return f"Function call is missing a thought_signature in functionCall parts ({key})."
        return None

    @staticmethod
    def _key(part: dict[str, Any]) -> str | None:
        if "functionCall" in part:
            return "call:" + str(part["functionCall"].get("id") or part["functionCall"].get("name"))
        if "text" in part and not part.get("thought"):
            return "text:" + part["text"]
        return None

    def _sign(self, part: dict[str, Any]) -> None:
        # Bytes chosen so standard base64 holds '+' and '/': the SDK must not lose them.
        sig = b"\xfb\xff\xbf" + os.urandom(29)
        key = self._key(part)
        assert key is not None
        self.issued[key] = sig
        part["thoughtSignature"] = base64.b64encode(sig).decode()

    def _parts(self, turn: Turn) -> list[dict[str, Any]]:
        self._turns += 1
        parts: list[dict[str, Any]] = []
        if turn.thought:
            parts.append({"text": turn.thought, "thought": True})
        if turn.text:
            parts.append({"text": turn.text})
        for i, call in enumerate(turn.tool_calls):
            fc = {"id": call.id or f"fc_{self._turns}_{i}", "name": call.name, "args": call.arguments}
            parts.append({"functionCall": fc})
        signable = [p for p in parts if "functionCall" in p] or [p for p in parts if not p.get("thought")]
        if signable:
            self._sign(signable[0])
        return parts

    @staticmethod
    def _response(parts: list[dict[str, Any]], turn: Turn, model: str, *, finish: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        body: dict[str, Any] = {"candidates": [candidate], "modelVersion": model, "responseId": "fake-1"}
        if finish:
            candidate["finishReason"] = "STOP"
            body["usageMetadata"] = {
                "promptTokenCount": turn.input_tokens,
                "candidatesTokenCount": turn.output_tokens,
                "thoughtsTokenCount": turn.thought_tokens,
                "totalTokenCount": turn.input_tokens + turn.output_tokens + turn.thought_tokens,
            }
        return body

    async def _stream(self, turn: Turn, model: str) -> Any:
        parts = self._parts(turn)
        chunks: list[list[dict[str, Any]]] = []
        for part in parts:
            if "text" in part and not part.get("thought"):
                pieces = split_text(part["text"], turn.chunks)
                chunks.extend([{"text": piece}] for piece in pieces)
                if "thoughtSignature" in part:
                    # Gemini sends a text turn's signature on a trailing empty text part.
                    chunks.append([{"text": "", "thoughtSignature": part["thoughtSignature"]}])
            else:
                chunks.append([part])
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            yield sse(self._response(chunk, turn, model, finish=last)).replace(b"\n\n", b"\r\n\r\n")
            await asyncio.sleep(0.005)
