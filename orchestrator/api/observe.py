"""ASGI middleware: each request's id for the logs, and (tracing on) its trace id in the answer.

The request span itself is FastAPI's own (its native OpenTelemetry support, on once `tracing.start`
installs a provider): it honours a client's `traceparent` (W3C Trace Context, or what
`OTEL_PROPAGATORS` names), so the interaction a request creates joins the client's trace. This
middleware runs inside that span and adds its trace id to every answer as `X-Warren-Trace-Id`
(32 hex digits). With tracing off only the request id is set.
"""

from __future__ import annotations

import os

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestrator.observability import logs, tracing

__all__ = ["TRACE_HEADER", "Observe"]

TRACE_HEADER = "x-warren-trace-id"


class Observe:
    """Pure-ASGI middleware: the request id for the logs; the trace id header when tracing is on."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request under its id, answering with its trace id when it has one."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = logs.REQUEST_ID.set(os.urandom(16).hex())  # 32 hex digits, as uuid4().hex at less CPU
        try:
            trace_id = tracing.trace_id_hex(trace.get_current_span()) if tracing.enabled() else None
            if trace_id is None:
                await self.app(scope, receive, send)
                return
            header = (TRACE_HEADER.encode(), trace_id.encode())

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), header]
                await send(message)

            await self.app(scope, receive, send_with_id)
        finally:
            logs.REQUEST_ID.reset(token)
