"""One model call: its span, its latency, its outcome and its tokens (`observed`); its retries.

`observed` wraps the provider's stream where the engine and the hub call it, so every provider
(the scripted one too) is counted the same; the retry loop reports each retry. The span is started,
not made current: a context attached across the stream's `yield`s could be detached in another
task's context.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from opentelemetry.trace import Status, StatusCode

from agents.model_types import ResponseDone, StreamEvent
from orchestrator.observability import metrics
from orchestrator.observability.labels import LabelCap
from orchestrator.observability.tracing import TRACER, Context

__all__ = ["ModelCall", "model_retried", "observed", "tool_called"]

_provider_label = LabelCap(32)


class ModelCall:
    """Started when the call is; `end` once, whatever happened."""

    def __init__(self, provider: str) -> None:
        self.provider = _provider_label(provider)
        self._span = TRACER.start_span("model_call", attributes={"warren.provider": self.provider})
        self._began = time.perf_counter()
        self._ok = False

    def tokens(self, input_tokens: int, output_tokens: int, thought_tokens: int) -> None:
        """Count the call's tokens (once, from its final usage)."""
        for kind, count in (("input", input_tokens), ("output", output_tokens), ("thought", thought_tokens)):
            if count > 0:
                metrics.model_tokens(self.provider, kind, count)

    def succeeded(self) -> None:
        """The call gave its whole answer."""
        self._ok = True

    def end(self) -> None:
        """Observe latency and outcome; end the span."""
        metrics.model_called(self.provider, self._ok, time.perf_counter() - self._began)
        if not self._ok:
            self._span.set_status(Status(StatusCode.ERROR))
        self._span.end()


def model_retried(provider: str) -> None:
    """One more attempt after a retryable failure of `provider`."""
    metrics.model_retried(_provider_label(provider))


async def observed(provider: str, events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
    """`events` passed through, counted as one model call of `provider`."""
    call = ModelCall(provider)
    try:
        async for event in events:
            if isinstance(event, ResponseDone):
                used = event.response.usage
                call.tokens(used.input_tokens, used.output_tokens, used.thought_tokens)
            yield event
        call.succeeded()
    finally:
        call.end()


def tool_called(tool: str, seconds: float, failed: bool, parent: Context) -> None:
    """A built-in tool call the runner reported: its latency, and a span ending now that lasted it."""
    seconds = min(max(seconds, 0.0), 86400.0)  # the runner's figure: from inside the sandbox
    metrics.tool_seconds(tool, seconds)
    now = time.time_ns()
    span = TRACER.start_span(
        "tool_call",
        context=parent,
        start_time=now - int(seconds * 1e9),
        attributes={"warren.tool": tool[:64]},
    )
    if failed:
        span.set_status(Status(StatusCode.ERROR))
    span.end(end_time=now)
