"""Where a delivery may go: the egress address rules, applied before any connection.

Deliveries leave from the orchestrator, so a webhook must not reach what the orchestrator can and
tenants cannot: loopback, private, link-local (cloud metadata) and this host's own addresses are
refused unless the operator allowed that address and port (`WARREN_EGRESS_ALLOW_ADDRESSES`). The
decision is `egress.policy.Resolver.decide`'s, with the URI's one host and port as the allowlist;
the connection is then made to the checked address (`Target.address`), never resolved again.
The checking and pinning are `egress.pinned`'s, shared with the model form's web tools.
"""

from __future__ import annotations

import ipaddress

from orchestrator.egress.pinned import MAX_URI, Refusal, Target, check_uri, resolve
from orchestrator.egress.policy import Resolver, forbidden_reason

__all__ = ["MAX_URI", "Refusal", "Target", "check_uri", "literal_refusal", "resolve"]


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
