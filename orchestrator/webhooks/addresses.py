"""Where a delivery may go: the egress address rules, applied before any connection.

Deliveries leave from the orchestrator, so a webhook must not reach what the orchestrator can and
tenants cannot: loopback, private, link-local (cloud metadata) and this host's own addresses are
refused unless the operator allowed that address and port (`WARREN_EGRESS_ALLOW_ADDRESSES`). The
decision is `egress.policy.Resolver.decide`'s, with the URI's one host and port as the allowlist;
the connection is then made to the checked address (`Target.address`), never resolved again.
The checking (`literal_refusal` at create included) and pinning are `egress.pinned`'s, shared with
the model form's web tools and `mcp_server` tools.
"""

from __future__ import annotations

from orchestrator.egress.pinned import MAX_URI, Refusal, Target, check_uri, literal_refusal, resolve

__all__ = ["MAX_URI", "Refusal", "Target", "check_uri", "literal_refusal", "resolve"]
