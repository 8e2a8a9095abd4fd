"""The Prometheus instruments, on Warren's own registry (`REGISTRY`, not prometheus_client's default).

Module-level on purpose: the points that count (the finisher, the retry loop, the channel, the
sandbox provisioner, the egress proxy, the webhook and trigger loops) stay one-line hunks instead
of gaining a constructor argument each. A process serves one app, so one registry is its truth;
tests read the difference between two scrapes, never absolute values. Gauges of live objects
(queue depth, pooled sandboxes) are bound to them by `compose` with `set_function`.

Labels are bounded (`labels.LabelCap`): never an interaction or environment id; agent, model and
tenant take at most `LABEL_LIMIT` distinct values each, later ones count as `other`.

The points count through the functions below, never an instrument directly, so `counting(False)`
(`WARREN_METRICS=off`) makes every point a no-op: an operator who scrapes nothing pays nothing,
and `bench.api` measures what counting costs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from orchestrator.observability.labels import LabelCap

__all__ = [
    "EGRESS_BYTES",
    "EGRESS_DECISIONS",
    "INTERACTIONS",
    "INTERACTION_SECONDS",
    "MODEL_CALLS",
    "MODEL_CALL_SECONDS",
    "MODEL_RETRIES",
    "MODEL_TOKENS",
    "PROVISION_SECONDS",
    "QUEUE_DEPTH",
    "REGISTRY",
    "SANDBOXES",
    "STEP_SECONDS",
    "TOOL_CALL_SECONDS",
    "TRIGGER_FIRINGS",
    "WEBHOOK_DELIVERIES",
    "agent_label",
    "counting",
    "egress_bytes",
    "egress_decided",
    "interaction_ended",
    "is_counting",
    "model_called",
    "model_label",
    "model_retried",
    "model_tokens",
    "provisioning",
    "sandboxes_seen",
    "stepping",
    "tenant_label",
    "tool_seconds",
    "trigger_fired",
    "webhook_attempted",
]

LABEL_LIMIT = 100
REGISTRY = CollectorRegistry(auto_describe=True)
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)

agent_label = LabelCap(LABEL_LIMIT)
model_label = LabelCap(LABEL_LIMIT)
tenant_label = LabelCap(LABEL_LIMIT)
_tool_label = LabelCap(64)
_reason_label = LabelCap(32)
_on = True

INTERACTIONS = Counter(
    "warren_interactions",
    "Interactions ended, by final status, agent, model and tenant.",
    ["status", "agent", "model", "tenant"],
    registry=REGISTRY,
)
INTERACTION_SECONDS = Histogram(
    "warren_interaction_duration_seconds",
    "Interaction latency, created to ended, by final status.",
    ["status"],
    buckets=_LATENCY,
    registry=REGISTRY,
)
STEP_SECONDS = Histogram(
    "warren_step_duration_seconds",
    "One agent step at the hub: results recorded, checks, then the model call.",
    buckets=_LATENCY,
    registry=REGISTRY,
)
MODEL_CALL_SECONDS = Histogram(
    "warren_model_call_duration_seconds",
    "Model call latency (retries included), by provider.",
    ["provider"],
    buckets=_LATENCY,
    registry=REGISTRY,
)
MODEL_CALLS = Counter(
    "warren_model_calls",
    "Model calls, by provider and outcome (ok or error).",
    ["provider", "outcome"],
    registry=REGISTRY,
)
MODEL_RETRIES = Counter(
    "warren_model_retries", "Model call retries, by provider.", ["provider"], registry=REGISTRY
)
MODEL_TOKENS = Counter(
    "warren_model_tokens",
    "Tokens, by provider and kind (input, output, thought).",
    ["provider", "kind"],
    registry=REGISTRY,
)
TOOL_CALL_SECONDS = Histogram(
    "warren_tool_call_duration_seconds",
    "Built-in tool call latency as the runner reports it, by tool.",
    ["tool"],
    buckets=_LATENCY,
    registry=REGISTRY,
)
SANDBOXES = Gauge(
    "warren_sandboxes", "Sandboxes by state (running, stopped, pooled).", ["state"], registry=REGISTRY
)
PROVISION_SECONDS = Histogram(
    "warren_sandbox_provision_seconds",
    "Time to a running sandbox, by kind (cold: made or started; warm: a pool slot).",
    ["kind"],
    buckets=_LATENCY,
    registry=REGISTRY,
)
EGRESS_DECISIONS = Counter(
    "warren_egress_decisions", "Egress proxy decisions, by outcome.", ["outcome"], registry=REGISTRY
)
EGRESS_BYTES = Counter(
    "warren_egress_bytes",
    "Bytes the egress proxy relayed for sandboxes, by tenant and direction (sent upstream, received).",
    ["tenant", "direction"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "warren_webhook_deliveries", "Webhook delivery attempts, by outcome.", ["outcome"], registry=REGISTRY
)
TRIGGER_FIRINGS = Counter(
    "warren_trigger_firings", "Trigger firings, by outcome.", ["outcome"], registry=REGISTRY
)
QUEUE_DEPTH = Gauge("warren_queue_depth", "Interactions waiting for a slot.", registry=REGISTRY)


def counting(on: bool) -> None:
    """Count at every point (the default) or at none (`WARREN_METRICS=off`); process-wide."""
    global _on
    _on = on


def is_counting() -> bool:
    """Whether the points count (`/metrics` answers 404 when they do not)."""
    return _on


def _ignore(_: int) -> None:
    """The byte counter of a process that does not count."""


def tool_seconds(tool: str, seconds: float) -> None:
    """Observe one tool call; the runner's figure is clamped (it comes from inside the sandbox)."""
    if _on:
        TOOL_CALL_SECONDS.labels(_tool_label(tool)).observe(min(max(seconds, 0.0), 86400.0))


def interaction_ended(status: str, agent: str | None, model: str | None, tenant: str, seconds: float) -> None:
    """Count one interaction's ending and observe its latency."""
    if _on:
        INTERACTIONS.labels(status, agent_label(agent), model_label(model), tenant_label(tenant)).inc()
        INTERACTION_SECONDS.labels(status).observe(max(seconds, 0.0))


def model_called(provider: str, ok: bool, seconds: float) -> None:
    """Count one model call of `provider` (an already capped label) and observe its latency."""
    if _on:
        MODEL_CALLS.labels(provider, "ok" if ok else "error").inc()
        MODEL_CALL_SECONDS.labels(provider).observe(seconds)


def model_tokens(provider: str, kind: str, count: int) -> None:
    """Count one call's tokens of one kind (`input`, `output`, `thought`)."""
    if _on:
        MODEL_TOKENS.labels(provider, kind).inc(count)


def model_retried(provider: str) -> None:
    """Count one retry of `provider`."""
    if _on:
        MODEL_RETRIES.labels(provider).inc()


@contextlib.contextmanager
def stepping() -> Iterator[None]:
    """Observe one agent step at the hub: the time the block takes."""
    if not _on:
        yield
        return
    with STEP_SECONDS.time():
        yield


@contextlib.contextmanager
def provisioning(kind: str) -> Iterator[None]:
    """Observe one provision of `kind` (`cold`, `warm`): the time the block takes."""
    if not _on:
        yield
        return
    with PROVISION_SECONDS.labels(kind).time():
        yield


def sandboxes_seen(running: int, stopped: int) -> None:
    """Set the running and stopped sandbox gauges from the reconciler's count."""
    if _on:
        SANDBOXES.labels("running").set(running)
        SANDBOXES.labels("stopped").set(stopped)


def webhook_attempted(outcome: str) -> None:
    """Count one webhook delivery attempt: delivered, failed, refused, or pending (a retry)."""
    if _on:
        WEBHOOK_DELIVERIES.labels(outcome).inc()


def trigger_fired(outcome: str) -> None:
    """Count one trigger firing: started or failed."""
    if _on:
        TRIGGER_FIRINGS.labels(outcome).inc()


def egress_decided(outcome: str) -> None:
    """Count one egress decision: `allowed`, or the refusal's reason code."""
    if _on:
        EGRESS_DECISIONS.labels(_reason_label(outcome)).inc()


def egress_bytes(tenant: str, direction: str) -> Callable[[int], None]:
    """The counter of one tenant's egress bytes in one direction (`sent`, `received`): resolved once
    per proxied connection, then called with each relayed chunk's size."""
    if not _on:
        return _ignore
    return EGRESS_BYTES.labels(tenant_label(tenant), direction).inc
