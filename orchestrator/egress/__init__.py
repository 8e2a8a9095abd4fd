"""Egress: the allowlisting HTTP(S) forward proxy that is a sandbox's only way out.

    policy = EgressPolicy.from_network(spec["network"])
    resolver = Resolver(allow=[AddressAllowance.parse("10.1.2.0/24:443")])
    decision = await resolver.decide(policy, "pypi.org", 443)
    proxy = EgressProxy.from_settings(store, settings); await proxy.serve(environment_id, folder)

Every sandbox runs with `network_mode=none`; a forwarder inside it (`agents/forwarder.py`) relays
127.0.0.1:3128 to the environment's own Unix socket, where `EgressProxy` decides each request.
Modules: `policy` (allowlist and decision), `addresses` (forbidden ranges), `framing` (strict
HTTP/1.1 with h11), `relay` (byte pipes with idle deadlines), `logsafe` (escaping logged values),
`proxy` (the sockets), `injection` (credential and transform headers), `answers` (the proxy's
own refusals), `ca` (the installation's Warren CA and its short-lived leaf certificates),
`intercept` (TLS termination for entries with a credential or transform), `exchange` (one request
sent upstream and its answer relayed), `swaps` (`environment_variable` placeholders), `oauth`
(access tokens of `oauth2` credentials), `trust` (the mount and variables that make every sandbox
trust the CA), `meter` (bytes relayed). The operator's
address:port exceptions are parsed by `orchestrator.address_allowance`, below `config`, which
checks them at start-up.
"""

from orchestrator.address_allowance import AddressAllowance
from orchestrator.egress.policy import Decision, EgressPolicy, Resolver, Rule, forbidden_reason
from orchestrator.egress.proxy import SOCKET_NAME, EgressLimits, EgressProxy

__all__ = [
    "SOCKET_NAME",
    "AddressAllowance",
    "Decision",
    "EgressLimits",
    "EgressPolicy",
    "EgressProxy",
    "Resolver",
    "Rule",
    "forbidden_reason",
]
