"""Where a delivery may go: the egress address rules, applied before any connection.

Deliveries leave from the orchestrator, so a webhook must not reach what the orchestrator can and
tenants cannot: loopback, private, link-local (cloud metadata) and this host's own addresses are
refused unless the operator allowed that address and port (`WARREN_EGRESS_ALLOW_ADDRESSES`). The
decision is `egress.policy.Resolver.decide`'s, with the URI's one host and port as the allowlist;
the connection is then made to the checked address (`Target.address`), never resolved again.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from orchestrator.egress.policy import EgressPolicy, Resolver, forbidden_reason, parse_host

__all__ = ["MAX_URI", "Refusal", "Target", "check_uri", "literal_refusal", "resolve"]

MAX_URI = 2048
"""The longest URI a webhook may have."""


@dataclass(frozen=True)
class Target:
    """A URI's checked destination."""

    uri: str
    host: str
    port: int
    address: str
    """The address the policy checked: the connection goes here."""


@dataclass(frozen=True)
class Refusal:
    """Why a delivery may not go to a URI."""

    reason: str


def check_uri(uri: str) -> tuple[str, int]:
    """The URI's host and port.

    Raises:
        ValueError: not an absolute http(s) URI with a host, or with user info, or too long.
    """
    if len(uri) > MAX_URI or any(c.isspace() or ord(c) < 32 for c in uri):
        raise ValueError(f"must be an http(s) URI of at most {MAX_URI} characters without spaces")
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URI")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry user info")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValueError("has an invalid port") from None
    if parse_host(parts.hostname) is None:
        raise ValueError("has an invalid host")
    return parts.hostname, port


def literal_refusal(uri: str, resolver: Resolver) -> str | None:
    """Why a URI whose host is an IP literal is refused (None for names and allowed addresses)."""
    host, port = check_uri(uri)
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if resolver.operator_allows(address, port):
        return None
    why = forbidden_reason(address, resolver.own)
    return None if why is None else f"{address} is {why}"


async def resolve(uri: str, resolver: Resolver) -> Target | Refusal:
    """The checked address to deliver `uri` to, or why not (decided before any connection)."""
    try:
        host, port = check_uri(uri)
    except ValueError as exc:
        return Refusal(f"uri {exc}")
    policy = EgressPolicy.from_entries([{"domain": f"{_bracketed(host)}:{port}"}])
    decision = await resolver.decide(policy, host, port)
    if not decision.allowed or decision.address is None:
        return Refusal(f"{decision.reason}: {decision.detail}")
    return Target(uri, host, port, str(decision.address))


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
