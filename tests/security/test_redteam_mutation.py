"""Bugs the mutation pass found (issue 21): egress reached site-local IPv6.

`fec0::/10` is deprecated (RFC 3879) but some sites still route it internally, and Python's
`ipaddress` calls it global, so the proxy allowed a name that resolved into it. The decision is
checked here before any connection: no packet leaves the test.
"""

from __future__ import annotations

import ipaddress

import pytest

from orchestrator.egress.policy import EgressPolicy, IPAddress, Resolver

pytestmark = [pytest.mark.security]

ANY = EgressPolicy.from_network({"allowlist": [{"domain": "*"}]})


@pytest.mark.parametrize("address", ["fec0::1", "fec0::a9fe:a9fe", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"])
async def test_site_local_ipv6_is_refused_by_name_and_as_a_literal(address: str) -> None:
    async def lookup(name: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(address)]

    resolver = Resolver(lookup=lookup, own=frozenset())
    by_name = await resolver.decide(ANY, "intranet.example", 443)
    assert (by_name.allowed, by_name.reason, by_name.address) == (False, "forbidden-address", None)
    assert by_name.detail == f"resolves to {address}: site-local"
    literal = await resolver.decide(
        EgressPolicy.from_network({"allowlist": [{"domain": address}]}), address, 443
    )
    assert (literal.allowed, literal.reason) == (False, "ip-literal")
    assert literal.detail == "IP-literal host (site-local)"
