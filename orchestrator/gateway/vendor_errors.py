"""How a vendor SDK's failure becomes a `ProviderError` that is safe to show a tenant.

Every provider translates the same two kinds of failure: an HTTP status with the vendor's error
body, and a connection that failed before any status. Both go through here so each message is
scrubbed of the provider's credentials and carries the retry facts (`retry_signals`) the one
`Retrier` acts on; a provider only names its SDK's exception classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from orchestrator.gateway.errors import ProviderError
from orchestrator.gateway.retry_signals import is_retryable_status, retry_after_s

__all__ = ["connection_error", "redact", "status_error", "vendor_message"]


def status_error(
    provider: str,
    status: int | None,
    message: str,
    headers: Mapping[str, str] | None,
    secrets: Iterable[str | None],
) -> ProviderError:
    """A vendor's HTTP error answer, its message scrubbed, retryable when the status says so."""
    return ProviderError(
        provider,
        status,
        redact(message, secrets),
        retryable=is_retryable_status(status),
        retry_after_s=retry_after_s(headers),
    )


def connection_error(provider: str, exc: BaseException, secrets: Iterable[str | None]) -> ProviderError:
    """A call that got no HTTP answer at all; always worth another try."""
    detail = redact(str(exc) or type(exc).__name__, secrets)
    return ProviderError(provider, None, f"connection failed: {detail}", retryable=True)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret (and of its long prefixes a vendor may quote) with `***`."""
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        text = text.replace(secret, "***")
        # Vendors quote keys partly masked ("sk-abc...wxyz"); a long visible prefix still leaks.
        if len(secret) >= 16:
            text = text.replace(secret[:12], "***")
    return text


def vendor_message(body: object, fallback: str) -> str:
    """The human message inside a vendor's error body (`{"error": {"message": ...}}`), else `fallback`."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(message, str):
            return message
        if isinstance(inner, str):
            return inner
    return fallback
