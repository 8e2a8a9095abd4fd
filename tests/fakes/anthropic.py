"""A fake Anthropic messages API for the anthropic SDK.

Speaks `POST /v1/messages` (JSON, or the SSE event stream `message_start`, `content_block_start`,
`content_block_delta` with `text_delta` / `thinking_delta` / `signature_delta` /
`input_json_delta`, `content_block_stop`, `message_delta`, `message_stop`, with a `ping`) and
`GET /v1/models/{id}`. Thinking blocks are signed, and a history that returns one with a wrong
signature is refused with 400, as the real API does.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.server import FakeVendor, Hang, Status, Turn, split_text, sse

__all__ = ["FakeAnthropic"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class FakeAnthropic(FakeVendor):
    """Fake Anthropic; the base URL for the SDK is `fake.url`."""

    def __init__(self) -> None:
        super().__init__()
        self.issued: dict[str, str] = {}
        self._calls = 0

    def reset(self) -> None:
        """Also forget issued thinking signatures."""
        super().reset()
        self.issued.clear()

    @staticmethod
    def _content(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            b for m in body.get("messages", []) if isinstance(m.get("content"), list) for b in m["content"]
        ]

    @classmethod
    def tool_results(cls, body: dict[str, Any]) -> list[tuple[str | None, str]]:
        """(tool_use_id, text) of every tool_result block of a request body."""
        return [
            (b.get("tool_use_id"), "".join(c.get("text", "") for c in b.get("content", [])))
            for b in cls._content(body)
            if b.get("type") == "tool_result"
        ]

    @classmethod
    def images(cls, body: dict[str, Any]) -> list[bytes]:
        """Every base64 image block of a request body (tool results included), decoded."""
        blocks = cls._content(body)
        blocks += [c for b in blocks if b.get("type") == "tool_result" for c in b.get("content", [])]
        return [base64.b64decode(b["source"]["data"]) for b in blocks if b.get("type") == "image"]

    def routes(self) -> list[Route]:
        """Messages and model lookup."""
        return [
            Route("/v1/messages", self._messages, methods=["POST"]),
            Route("/v1/models/{model:path}", self._model, methods=["GET"]),
        ]

    async def _model(self, request: Request) -> Response:
        await self.record(request)
        if self.lookup_error is not None:
            error = self.lookup_error
            return self._error(error.status, error.message, error.headers)
        model = request.path_params["model"]
        return JSONResponse(
            {"type": "model", "id": model, "display_name": model, "created_at": "2025-01-01T00:00:00Z"}
        )

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        body = {"type": "error", "error": {"type": _ERROR_TYPES.get(status, "api_error"), "message": message}}
        return JSONResponse(body, status_code=status, headers=headers)

    async def _messages(self, request: Request) -> Response:
        rec = await self.record(request)
        body = rec.body or {}
        reply = self.next_reply(body)
        if isinstance(reply, Hang):
            return await self.hang(reply)
        if isinstance(reply, Status):
            return self._error(reply.status, reply.message, reply.headers)
        for message in body.get("messages", []):
            for block in message.get("content", []) if isinstance(message.get("content"), list) else []:
                if block.get("type") == "thinking" and self.issued.get(block.get("thinking")) != block.get(
                    "signature"
                ):
                    return self._error(400, "messages: thinking block has an invalid signature")
        problem = self._request_rules(body)
        if problem:
            return self._error(400, problem)
        blocks = self._blocks(reply)
        model = body.get("model", "fake")
        if body.get("stream"):
            return StreamingResponse(self._stream(reply, blocks, model), media_type="text/event-stream")
        return JSONResponse(self._message(reply, blocks, model, final=True))

    @staticmethod
    def _request_rules(body: dict[str, Any]) -> str | None:
        """The Messages API's own refusals of settings Warren maps: a forced tool call while thinking,
        a thinking budget not below max_tokens, a forced tool that is not declared."""
        thinking, choice = body.get("thinking") or {}, body.get("tool_choice") or {}
        if thinking.get("type") == "enabled":
            if choice.get("type") in ("any", "tool"):
                return "Thinking may not be enabled when tool_choice forces tool use."
            if thinking.get("budget_tokens", 0) >= body.get("max_tokens", 0):
                return "max_tokens must be greater than thinking.budget_tokens"
        names = {t.get("name") for t in body.get("tools") or []}
        if choice.get("type") == "tool" and choice.get("name") not in names:
            return f"tool_choice names an undeclared tool {choice.get('name')!r}"
        return None

    def _blocks(self, turn: Turn) -> list[dict[str, Any]]:
        self._calls += 1
        blocks: list[dict[str, Any]] = []
        if turn.thought:
            signature = secrets.token_urlsafe(24) + "+/=="
            self.issued[turn.thought] = signature
            blocks.append({"type": "thinking", "thinking": turn.thought, "signature": signature})
        if turn.text:
            blocks.append({"type": "text", "text": turn.text})
        for i, call in enumerate(turn.tool_calls):
            tool_id = call.id or f"toolu_{self._calls}_{i}"
            blocks.append({"type": "tool_use", "id": tool_id, "name": call.name, "input": call.arguments})
        return blocks

    @staticmethod
    def _message(turn: Turn, blocks: list[dict[str, Any]], model: str, *, final: bool) -> dict[str, Any]:
        stop = "tool_use" if turn.tool_calls else "end_turn"
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": blocks if final else [],
            "stop_reason": stop if final else None,
            "stop_sequence": None,
            "usage": {"input_tokens": turn.input_tokens, "output_tokens": turn.output_tokens if final else 1},
        }

    async def _stream(self, turn: Turn, blocks: list[dict[str, Any]], model: str) -> Any:
        frames = [
            sse(
                {"type": "message_start", "message": self._message(turn, [], model, final=False)},
                "message_start",
            )
        ]
        frames.append(sse({"type": "ping"}, "ping"))
        for index, block in enumerate(blocks):
            kind = block["type"]
            start = {"type": "thinking", "thinking": "", "signature": ""} if kind == "thinking" else None
            if kind == "text":
                start = {"type": "text", "text": ""}
            if kind == "tool_use":
                start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            frames.append(
                sse(
                    {"type": "content_block_start", "index": index, "content_block": start},
                    "content_block_start",
                )
            )
            deltas: list[dict[str, Any]] = []
            if kind == "thinking":
                deltas = [{"type": "thinking_delta", "thinking": p} for p in split_text(block["thinking"], 2)]
                deltas.append({"type": "signature_delta", "signature": block["signature"]})
            elif kind == "text":
                deltas = [{"type": "text_delta", "text": p} for p in split_text(block["text"], turn.chunks)]
            else:
                raw = json.dumps(block["input"])
                deltas = [{"type": "input_json_delta", "partial_json": p} for p in split_text(raw, 3)]
            for delta in deltas:
                frames.append(
                    sse(
                        {"type": "content_block_delta", "index": index, "delta": delta}, "content_block_delta"
                    )
                )
            frames.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
        stop = "tool_use" if turn.tool_calls else "end_turn"
        frames.append(
            sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": turn.output_tokens},
                },
                "message_delta",
            )
        )
        frames.append(sse({"type": "message_stop"}, "message_stop"))
        for frame in frames:
            yield frame
            await asyncio.sleep(0.002)
