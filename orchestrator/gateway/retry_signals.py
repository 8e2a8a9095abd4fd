"""What a vendor's answer says about retrying: is the status worth another try, and how long to wait.

Every provider translates its SDK's failure into a `ProviderError` with these two facts, so the
one `Retrier` decides the same way for every vendor. 408, 429 and 5xx are retryable (Anthropic's
529 included); `retry-after-ms` wins over `Retry-After`, which may be seconds or an HTTP date.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime

__all__ = ["is_retryable_status", "retry_after_s"]


def is_retryable_status(status: int | None) -> bool:
    """True for statuses worth another try: 408, 429 and every 5xx (Anthropic's 529 included)."""
    return status is not None and (status in (408, 429) or 500 <= status <= 599)


def retry_after_s(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """The wait a vendor asked for, in seconds: `retry-after-ms`, else `Retry-After` (seconds or date)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    ms = lowered.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)
