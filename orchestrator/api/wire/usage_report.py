"""`GET /{v}/usage` (Warren extension): what the tenant used, per day, and its sandboxes against the cap."""

from __future__ import annotations

from .common import WireModel
from .scalars import Int64

__all__ = ["DayTokens", "SandboxCount", "TokenQuota", "UsageReport"]


class DayTokens(WireModel):
    """The tenant's model usage on one UTC day, over all its keys."""

    day: str
    """The UTC day, `YYYY-MM-DD`."""
    interactions: int
    """Interactions that ended that day."""
    input_tokens: Int64
    """Tokens sent to models."""
    output_tokens: Int64
    """Tokens models answered."""
    thought_tokens: Int64
    """Tokens models spent thinking."""
    total_tokens: Int64
    """All of them."""


class SandboxCount(WireModel):
    """The tenant's sandboxes now."""

    running: int
    """Sandboxes running or being made."""
    max: int
    """The most it may have at once (`WARREN_TENANT_MAX_SANDBOXES`); one more is a 429."""


class TokenQuota(WireModel):
    """The operator's token quota for the tenant, if any."""

    limit: Int64
    """Most tokens in `window_seconds`; 0: no quota."""
    window_seconds: float
    """The quota's rolling window."""


class UsageReport(WireModel):
    """Tokens per day for the last `days` days (days without use left out) and the sandbox count."""

    days: list[DayTokens]
    """Oldest first."""
    sandboxes: SandboxCount
    """Running sandboxes against the cap."""
    token_quota: TokenQuota
    """The token quota new interactions are checked against."""
