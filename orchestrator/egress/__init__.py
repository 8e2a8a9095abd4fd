"""Egress: the allowlisting HTTP(S) forward proxy that is a sandbox's only way out.

    policy = EgressPolicy.from_network(spec["network"], default_ports=(80, 443))
    decision = await Resolver(settings).decide(policy, "CONNECT", "pypi.org", 443)
    proxy = EgressProxy(store, settings); await proxy.serve(environment_id, folder / "egress.sock")

Every sandbox runs with `network_mode=none`; a forwarder inside it (`agents/forwarder.py`) relays
127.0.0.1:3128 to the environment's own Unix socket, where `EgressProxy` decides each request.
"""

from orchestrator.egress.policy import Decision, EgressPolicy, Rule, forbidden_reason
from orchestrator.egress.proxy import SOCKET_NAME, EgressProxy

__all__ = ["SOCKET_NAME", "Decision", "EgressPolicy", "EgressProxy", "Rule", "forbidden_reason"]
