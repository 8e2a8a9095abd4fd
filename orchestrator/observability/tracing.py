"""OpenTelemetry traces: on when the standard `OTEL_*` variables name an OTLP endpoint, else no-ops.

`start` installs the SDK's provider with a batching OTLP/HTTP exporter, which reads its own
`OTEL_EXPORTER_OTLP_*` settings; sampler, service name and resource come from `OTEL_*` as the SDK
defines them. Without an endpoint (or with `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`)
nothing is installed: `TRACER` is the API's proxy, whose spans are non-recording and cost a call.

An interaction's trace: the API request span (a child of the client's `traceparent`) holds the
`interaction` span, which holds `queue`, `environment`, each `model_call`, each `tool_call` and each
`egress` span. Work done on another task (a runner's step over the channel, an egress request) is
parented by the context `Turn` captured (`turn.trace`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context

__all__ = [
    "TRACER",
    "Context",
    "InteractionTrace",
    "attached",
    "current",
    "enabled",
    "flush",
    "start",
    "trace_id_hex",
    "wanted",
]

TRACER = trace.get_tracer("warren")
_state: dict[str, object] = {}
"""The provider `start` installed (one per process: OpenTelemetry's global cannot be replaced)."""


def wanted(env: Mapping[str, str]) -> bool:
    """Whether the `OTEL_*` variables ask for traces."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return bool(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def start(env: Mapping[str, str] | None = None) -> bool:
    """Install the SDK once when `env` (default: the process's) asks for traces; True when on."""
    if "provider" in _state:
        return True
    if not wanted(os.environ if env is None else env):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "warren")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _state["provider"] = provider
    return True


def enabled() -> bool:
    """Whether `start` installed the SDK in this process."""
    return "provider" in _state


def flush() -> None:
    """Export the spans still batched (at shutdown)."""
    provider = _state.get("provider")
    if provider is not None:
        provider.force_flush()  # type: ignore[attr-defined]


def current() -> Context:
    """The current trace context, to parent work that runs elsewhere later."""
    return otel_context.get_current()


@contextmanager
def attached(ctx: Context | None) -> Iterator[None]:
    """Run the block in `ctx` (a context captured earlier); a no-op for None."""
    if ctx is None:
        yield
        return
    token = otel_context.attach(ctx)
    try:
        yield
    finally:
        otel_context.detach(token)


def trace_id_hex(span: trace.Span) -> str | None:
    """The span's trace id as 32 hex digits, or None when it has none."""
    ctx = span.get_span_context()
    return trace.format_trace_id(ctx.trace_id) if ctx.is_valid else None


class InteractionTrace:
    """An interaction's `interaction` span and its `queue` span, from submit to the stored ending."""

    def __init__(self, interaction_id: str) -> None:
        self.span = TRACER.start_span("interaction", attributes={"warren.interaction_id": interaction_id})
        self.context = trace.set_span_in_context(self.span)
        self._queue: trace.Span | None = TRACER.start_span("queue", context=self.context)

    def dequeued(self) -> None:
        """The job got its slot (or left the queue): the `queue` span ends."""
        if self._queue is not None:
            self._queue.end()
            self._queue = None

    def end(self, status: str) -> None:
        """The ending is stored: the `interaction` span ends with the status."""
        self.dequeued()
        self.span.set_attribute("warren.status", status)
        self.span.end()
