"""The wire `Interaction` object for a stored interaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from agents.model_types import Usage
from orchestrator.mcp_tools import redacted_tools
from orchestrator.scheduler import applied_tier
from orchestrator.store.interactions import InteractionRecord

__all__ = ["ECHOED_FIELDS", "TERMINAL", "neutral_usage", "rfc3339", "snapshot", "wire_usage"]

TERMINAL = frozenset({"completed", "failed", "cancelled", "requires_action", "incomplete", "budget_exceeded"})
"""Statuses after which an interaction does nothing more."""
ECHOED_FIELDS = (
    "agent_config",
    "system_instruction",
    "tools",
    "generation_config",
    "response_format",
    "labels",
    "safety_settings",
    "webhook_config",
    "environment",
)


def rfc3339(moment: datetime) -> str:
    """`2026-05-20T10:00:00Z`-style timestamps (UTC, second precision)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def wire_usage(usage: Usage) -> dict[str, int]:
    """The wire Usage object for neutral token counts."""
    return {
        "total_input_tokens": usage.input_tokens,
        "total_output_tokens": usage.output_tokens,
        "total_thought_tokens": usage.thought_tokens,
        "total_tokens": usage.total_tokens,
    }


def neutral_usage(wire: Mapping[str, Any] | None) -> Usage:
    """The neutral token counts of a stored wire Usage object (`wire_usage` reversed)."""
    wire = wire or {}
    return Usage(
        input_tokens=int(wire.get("total_input_tokens") or 0),
        output_tokens=int(wire.get("total_output_tokens") or 0),
        thought_tokens=int(wire.get("total_thought_tokens") or 0),
        total_tokens=int(wire.get("total_tokens") or 0),
    )


def snapshot(
    record: InteractionRecord, steps: Iterable[dict[str, Any]] | None = None, include_input: bool = False
) -> dict[str, Any]:
    """The interaction as the API returns it (`steps=None` leaves them out, as in SSE headers)."""
    body: dict[str, Any] = {
        "id": record.id,
        "status": record.status,
        "created": rfc3339(record.created),
        "updated": rfc3339(record.updated),
    }
    for name in ("model", "agent", "environment_id", "previous_interaction_id"):
        value = getattr(record, name)
        if value is not None:
            body[name] = value
    for name in ECHOED_FIELDS:
        if record.request.get(name) is not None:
            body[name] = record.request[name]
    if "tools" in body:
        body["tools"] = redacted_tools(body["tools"])  # `mcp_server` headers are never echoed
    body["service_tier"] = applied_tier(record.request)  # what it was scheduled in, `standard` by default
    if record.usage:
        body["usage"] = record.usage
    if record.errors:
        body["errors"] = record.errors
    if record.warren_usage is not None:
        body["warren_usage"] = record.warren_usage
    if steps is not None:
        body["steps"] = list(steps)
    if include_input and record.request.get("input") is not None:
        body["input"] = record.request["input"]
    return body
