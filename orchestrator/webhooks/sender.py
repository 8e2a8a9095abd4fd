"""One HTTP POST of a delivery, to the address the policy checked (no second DNS lookup).

The URL's host is replaced by the checked address; the original name goes in `Host` and, for
https, in the TLS server name (SNI and certificate check), so a name that resolves differently
a moment later (DNS rebinding) cannot redirect the delivery. Redirects are not followed: a 3xx
is a failed attempt, since following it would reach an address nobody checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from orchestrator.egress.pinned import Target, pinned

__all__ = ["Outcome", "post"]

_MAX_ERROR = 300


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code, or an error before any answer."""

    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        """A 2xx answer: the receiver accepted the event."""
        return self.status is not None and 200 <= self.status < 300


async def post(client: httpx.AsyncClient, target: Target, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to `target`, pinned to its checked address."""
    url, host, extensions = pinned(target)
    send = {**headers, **host, "content-type": "application/json", "user-agent": "warren-webhooks"}
    try:
        answer = await client.post(url, content=body, headers=send, extensions=extensions)
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:_MAX_ERROR])
    if 200 <= answer.status_code < 300:
        return Outcome(answer.status_code, None)
    return Outcome(answer.status_code, f"HTTP {answer.status_code}")
