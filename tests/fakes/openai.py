"""A fake OpenAI chat-completions server (and so a fake vLLM / Ollama) for the openai SDK.

Speaks `POST /v1/chat/completions` (JSON, or SSE chunks ending in `data: [DONE]` when
`stream: true`, with a usage chunk when `stream_options.include_usage` is set),
`GET /v1/models/{model}` and `GET /v1/models` (the ids in `served`). Tool-call arguments stream
in several fragments, as OpenAI sends them, and thoughts stream as `reasoning_content` deltas, as
vLLM sends them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.server import FakeVendor, Hang, Status, Turn, split_text, sse

__all__ = ["FakeOpenAI"]

_SERVED = ("gpt-5", "qwen3:latest")
_ERROR_TYPES = {401: "invalid_request_error", 429: "rate_limit_exceeded", 500: "server_error"}


class FakeOpenAI(FakeVendor):
    """Fake OpenAI; the base URL for the SDK is `fake.url + "/v1"`."""

    def __init__(self) -> None:
        super().__init__()
        self._calls = 0
        self.served = list(_SERVED)
        """Model ids `GET /v1/models` lists (the lookup by id finds any model)."""

    def reset(self) -> None:
        """Also serve the default models again."""
        super().reset()
        self.served = list(_SERVED)

    @staticmethod
    def tool_results(body: dict[str, Any]) -> list[tuple[str | None, str]]:
        """(call id, content) of every `tool` message of a request body."""
        return [
            (m.get("tool_call_id"), m.get("content")) for m in body.get("messages", []) if m["role"] == "tool"
        ]

    @staticmethod
    def images(body: dict[str, Any]) -> list[bytes]:
        """Every data-URL image of a request body, decoded."""
        found = []
        for m in body.get("messages", []):
            if isinstance(m.get("content"), list):
                for c in m["content"]:
                    if c.get("type") == "image_url":
                        found.append(base64.b64decode(c["image_url"]["url"].split(",", 1)[1]))
        return found

    def routes(self) -> list[Route]:
        """Chat completions and model lookup."""
        return [
            Route("/v1/chat/completions", self._chat, methods=["POST"]),
            Route("/v1/models", self._list_models, methods=["GET"]),
            Route("/v1/models/{model:path}", self._model, methods=["GET"]),
        ]

    async def _list_models(self, request: Request) -> Response:
        await self.record(request)
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.served]
        return JSONResponse({"object": "list", "data": data})

    async def _model(self, request: Request) -> Response:
        await self.record(request)
        if self.lookup_error is not None:
            return self._error(self.lookup_error)
        model = request.path_params["model"]
        return JSONResponse({"id": model, "object": "model", "created": 0, "owned_by": "fake"})

    async def _chat(self, request: Request) -> Response:
        rec = await self.record(request)
        body = rec.body or {}
        reply = self.next_reply(body)
        if isinstance(reply, Hang):
            return await self.hang(reply)
        if isinstance(reply, Status):
            return self._error(reply)
        model = body.get("model", "fake")
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(self._stream(reply, model, usage), media_type="text/event-stream")
        return JSONResponse(self._completion(reply, model))

    @staticmethod
    def _error(reply: Status) -> Response:
        error = {
            "message": reply.message,
            "type": _ERROR_TYPES.get(reply.status, "api_error"),
            "param": None,
            "code": None,
        }
        return JSONResponse({"error": error}, status_code=reply.status, headers=reply.headers)

    def _call_ids(self, turn: Turn) -> list[str]:
        self._calls += 1
        return [c.id or f"call_{self._calls}_{i}" for i, c in enumerate(turn.tool_calls)]

    @staticmethod
    def _usage(turn: Turn) -> dict[str, Any]:
        completion = turn.output_tokens + turn.thought_tokens
        return {
            "prompt_tokens": turn.input_tokens,
            "completion_tokens": completion,
            "total_tokens": turn.input_tokens + completion,
            "completion_tokens_details": {"reasoning_tokens": turn.thought_tokens},
        }

    def _completion(self, turn: Turn, model: str) -> dict[str, Any]:
        ids = self._call_ids(turn)
        message: dict[str, Any] = {"role": "assistant", "content": turn.text}
        if turn.thought:
            message["reasoning_content"] = turn.thought
        if turn.tool_calls:
            message["tool_calls"] = [
                {
                    "id": ids[i],
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                }
                for i, c in enumerate(turn.tool_calls)
            ]
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if turn.tool_calls else "stop",
                }
            ],
            "usage": self._usage(turn),
        }

    async def _stream(self, turn: Turn, model: str, include_usage: bool) -> Any:
        ids = self._call_ids(turn)

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return sse(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": model,
                    "choices": [choice],
                }
            )

        frames = [chunk({"role": "assistant", "content": ""})]
        if turn.thought:
            frames += [chunk({"reasoning_content": p}) for p in split_text(turn.thought, 2)]
        if turn.text:
            frames += [chunk({"content": p}) for p in split_text(turn.text, turn.chunks)]
        for i, call in enumerate(turn.tool_calls):
            head = {
                "index": i,
                "id": ids[i],
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            frames.append(chunk({"tool_calls": [head]}))
            for piece in split_text(json.dumps(call.arguments), 3):
                frames.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}))
        frames.append(chunk({}, "tool_calls" if turn.tool_calls else "stop"))
        if include_usage:
            frames.append(
                sse(
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [],
                        "usage": self._usage(turn),
                    }
                )
            )
        frames.append(b"data: [DONE]\n\n")
        for frame in frames:
            yield frame
            await asyncio.sleep(0.002)
