"""The gateway's errors: one root, each subclass also the builtin whose meaning it shares.

A `ProviderError` is what the runner turns into a failed step, so it carries everything a user
needs (provider, HTTP status, the vendor's own message) and nothing they must not see: providers
build it with `vendor_errors` (which scrubs every credential they hold) and raise it `from None`,
so the vendor SDK's exception (whose text may quote the request) is not chained into tracebacks.
"""

from __future__ import annotations

from orchestrator.errors import WarrenError

__all__ = [
    "GatewayError",
    "ModelNotFoundError",
    "ProviderError",
    "ProviderTimeoutError",
    "ScriptError",
    "StructuredOutputError",
    "UnknownProviderError",
]


class GatewayError(WarrenError):
    """Root of the model gateway's errors."""

    code = "model_error"
    """The `errors[].code` an interaction that ends on this error records."""


class UnknownProviderError(GatewayError, LookupError):
    """A model name named a provider Warren does not have, or had no `provider:` prefix."""


class ModelNotFoundError(UnknownProviderError):
    """A well-formed `provider:model` name whose provider Warren does not have (404, not 400)."""


class ScriptError(GatewayError, ValueError):
    """A `scripted:` script is missing, malformed, or has no turn for the request."""


class ProviderError(GatewayError, RuntimeError):
    """A model call failed for good (after any retries the policy allowed).

    Args:
        provider: the provider's name, e.g. `gemini`.
        status_code: the vendor's HTTP status, or `None` for connection errors and timeouts.
        message: the vendor's own message (already scrubbed of credentials).
        retryable: whether the retry policy may try again (429, 5xx, connection errors, timeouts).
        retry_after_s: the wait the vendor asked for (`Retry-After`, `retry-after-ms`), if any.
    """

    def __init__(
        self,
        provider: str,
        status_code: int | None,
        message: str,
        *,
        retryable: bool = False,
        retry_after_s: float | None = None,
        attempts: int = 1,
    ) -> None:
        self.provider = provider
        self.status_code = status_code
        self.message = message
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.attempts = attempts
        super().__init__(str(self))

    def __str__(self) -> str:
        status = f"HTTP {self.status_code}" if self.status_code is not None else "no HTTP status"
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.provider} model call failed{tries} ({status}): {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.provider!r}, status_code={self.status_code!r})"


class ProviderTimeoutError(ProviderError, TimeoutError):
    """A call hung past its per-call timeout or the total deadline."""


class StructuredOutputError(GatewayError, ValueError):
    """The model's final answer is not JSON, or does not match the request's response schema."""

    code = "invalid_structured_output"
