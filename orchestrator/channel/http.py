"""The channel's HTTP details: JSON answers, error bodies, bodies read within a cap, 422 texts.

Whatever arrives here comes from a sandbox (issue 13): a body is counted as it streams and refused
as soon as its declared or received size passes the cap, and a validation error names fields
without echoing the values the sandbox sent.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["BodyTooLarge", "Handler", "error", "problems", "read_body", "reply", "wait_seconds"]

_SHOWN_PROBLEMS = 5
"""Validation problems a 422 names: enough to fix a runner, few enough to stay small."""

Handler = Callable[[Request], Awaitable[Response]]


class BodyTooLarge(ValueError):
    """A request body went past the channel's cap."""


def reply(model: BaseModel, status: int = 200) -> Response:
    """A protocol model as the JSON answer."""
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


def error(status: int, detail: str, *, close: bool = False) -> Response:
    """A JSON error; `close` ends the connection, so the rest of an unread body is never parsed."""
    headers = {"connection": "close"} if close else None
    return Response(
        json.dumps({"detail": detail}), status_code=status, media_type="application/json", headers=headers
    )


async def read_body(request: Request, cap: int) -> bytes:
    """The body, refused (`BodyTooLarge`) as soon as its declared or received size passes `cap` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def problems(exc: ValidationError) -> str:
    """The first few problems by field path, without the values (the sandbox sent them)."""
    named = [
        f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
        for problem in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
    more = len(named) - _SHOWN_PROBLEMS
    return "; ".join(named[:_SHOWN_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")


def wait_seconds(request: Request) -> float | None:
    """A long poll's `wait_s`, clamped to 0..60 seconds (25 if absent); None if it is not a number."""
    try:
        return min(max(float(request.query_params.get("wait_s", 25.0)), 0.0), 60.0)
    except ValueError:
        return None
