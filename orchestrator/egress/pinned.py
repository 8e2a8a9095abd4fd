"""A request the orchestrator itself sends: the destination decided first, then pinned to its address.

Webhook deliveries, the model form's `url_context` / `google_search` and `mcp_server` tools' MCP
connections leave from the orchestrator, so they must not reach what the orchestrator can and
tenants cannot; `literal_refusal` decides an IP-literal URI when it is given (at create). `resolve` asks
`Resolver.decide` (an allowlist, then every resolved address) before any connection; `pinned`
turns the checked `Target` into a URL whose host is that address, with the original name in `Host`
and, for https, in the TLS server name, so a name that resolves differently a moment later (DNS
rebinding) cannot redirect the request.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from orchestrator.egress.policy import EgressPolicy, Resolver, forbidden_reason, parse_host

__all__ = ["MAX_URI", "Refusal", "Target", "check_uri", "literal_refusal", "pinned", "resolve"]

MAX_URI = 2048
"""The longest URI the orchestrator sends a request to."""


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
    """Why a request may not go to a URI."""

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
    """Why a URI whose host is an IP literal is refused (None for names and allowed addresses): a
    check made when the URI is given, before the name-resolving `resolve` of every connection.

    Raises:
        ValueError: the URI is not one `check_uri` accepts.
    """
    host, port = check_uri(uri)
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if resolver.operator_allows(address, port):
        return None
    why = forbidden_reason(address, resolver.own)
    return None if why is None else f"{address} is {why}"


async def resolve(uri: str, resolver: Resolver, policy: EgressPolicy | None = None) -> Target | Refusal:
    """The checked address to send `uri` to, or why not (decided before any connection).

    `policy` is the allowlist the host must match; None allows the URI's own host and port only
    (a destination the tenant or operator named explicitly), so only the address rules apply.
    """
    try:
        host, port = check_uri(uri)
    except ValueError as exc:
        return Refusal(f"uri {exc}")
    if policy is None:
        policy = EgressPolicy.from_entries([{"domain": f"{_bracketed(host)}:{port}"}])
    decision = await resolver.decide(policy, host, port)
    if not decision.allowed or decision.address is None:
        return Refusal(f"{decision.reason}: {decision.detail}")
    return Target(uri, host, port, str(decision.address))


def pinned(target: Target) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL (host replaced by the checked address), the `Host` header and the httpx extensions."""
    parts = urlsplit(target.uri)
    address = _bracketed(target.address)
    url = urlunsplit((parts.scheme, f"{address}:{target.port}", parts.path or "/", parts.query, ""))
    host = _bracketed(target.host)
    default = 443 if parts.scheme == "https" else 80
    headers = {"host": host if target.port == default else f"{host}:{target.port}"}
    extensions: dict[str, Any] = {"sni_hostname": target.host} if parts.scheme == "https" else {}
    return url, headers, extensions


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
