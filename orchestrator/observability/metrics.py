"""The Prometheus instruments, on Warren's own registry (`REGISTRY`, not prometheus_client's default).

Module-level on purpose: the points that count (the finisher, the retry loop, the channel, the
sandbox provisioner, the egress proxy, the webhook and trigger loops) stay one-line hunks instead
of gaining a constructor argument each. A process serves one app, so one registry is its truth;
tests read the difference between two scrapes, never absolute values. Gauges of live objects
(queue depth, pooled sandboxes) are bound to them by `compose` with `set_function`.

Labels are bounded (`labels.LabelCap`): never an interaction or environment id; agent, model and
tenant take at most `LABEL_LIMIT` distinct values each, later ones count as `other`.
"""

from __future__ import annotations

from collections.abc import Callable

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
    "egress_bytes",
    "egress_decided",
    "interaction_ended",
    "model_label",
    "tenant_label",
    "tool_seconds",
]

LABEL_LIMIT = 100
REGISTRY = CollectorRegistry(auto_describe=True)
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)

agent_label = LabelCap(LABEL_LIMIT)
model_label = LabelCap(LABEL_LIMIT)
tenant_label = LabelCap(LABEL_LIMIT)
_tool_label = LabelCap(64)
_reason_label = LabelCap(32)

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


def tool_seconds(tool: str, seconds: float) -> None:
    """Observe one tool call; the runner's figure is clamped (it comes from inside the sandbox)."""
    TOOL_CALL_SECONDS.labels(_tool_label(tool)).observe(min(max(seconds, 0.0), 86400.0))


def interaction_ended(status: str, agent: str | None, model: str | None, tenant: str, seconds: float) -> None:
    """Count one interaction's ending and observe its latency."""
    INTERACTIONS.labels(status, agent_label(agent), model_label(model), tenant_label(tenant)).inc()
    INTERACTION_SECONDS.labels(status).observe(max(seconds, 0.0))


def egress_decided(outcome: str) -> None:
    """Count one egress decision: `allowed`, or the refusal's reason code."""
    EGRESS_DECISIONS.labels(_reason_label(outcome)).inc()


def egress_bytes(tenant: str, direction: str) -> Callable[[int], None]:
    """The counter of one tenant's egress bytes in one direction (`sent`, `received`): resolved once
    per proxied connection, then called with each relayed chunk's size."""
    return EGRESS_BYTES.labels(tenant_label(tenant), direction).inc
