"""The egress decision without any network: allowlist matching, ports, IP literals, address rules."""

from __future__ import annotations

import ipaddress

import pytest

from orchestrator.address_allowance import AddressAllowance
from orchestrator.egress.policy import EgressPolicy, IPAddress, Resolver, forbidden_reason, parse_host

NETWORK = {
    "allowlist": [
        {"domain": "api.example.test"},
        {"domain": "*.pkg.example.test"},
        {"domain": "mirror.example.test:8080"},
        {"domain": "meta.example.test"},
        {"domain": "10.1.2.3"},
    ]
}


def _resolver(**hosts: str) -> Resolver:
    async def lookup(name: str, port: int) -> list[IPAddress]:
        raise OSError(f"no DNS in unit tests ({name})")

    fixed = {"api.example.test": "93.184.216.34", "a.pkg.example.test": "93.184.216.35"}
    fixed |= {"mirror.example.test": "93.184.216.36", "meta.example.test": "169.254.169.254"}
    return Resolver(hosts=fixed | hosts, lookup=lookup, own=frozenset({ipaddress.ip_address("198.51.100.7")}))


@pytest.mark.parametrize(
    ("network", "host", "port", "reason"),
    [
        (NETWORK, "api.example.test", 443, "allowed"),
        (NETWORK, "API.Example.Test.", 80, "allowed"),
        (NETWORK, "a.pkg.example.test", 443, "allowed"),
        (NETWORK, "pkg.example.test", 443, "not-listed"),  # `*.` covers subdomains only
        (NETWORK, "evil.test", 443, "not-listed"),
        (NETWORK, "api.example.test.evil.test", 443, "not-listed"),
        (NETWORK, "api.example.test", 22, "port-not-allowed"),
        (NETWORK, "mirror.example.test", 8080, "allowed"),
        (NETWORK, "mirror.example.test", 443, "port-not-allowed"),
        (NETWORK, "meta.example.test", 80, "forbidden-address"),  # listed, but resolves to metadata
        (NETWORK, "10.1.2.3", 80, "ip-literal"),  # listed, but no operator allowance
        (NETWORK, "169.254.169.254", 80, "not-listed"),
        (NETWORK, "2130706433", 80, "bad-request"),  # 127.0.0.1 in a numeric disguise
        (NETWORK, "0x7f.0.0.1", 80, "bad-request"),
        ("disabled", "api.example.test", 443, "no-egress"),
        ({"allowlist": "disabled"}, "api.example.test", 443, "no-egress"),
        (None, "api.example.test", 443, "no-egress"),
        ({"allowlist": [{"domain": "*"}]}, "anything.test", 443, "unresolvable"),
    ],
)
async def test_decisions(network: object, host: str, port: int, reason: str) -> None:
    decision = await _resolver().decide(EgressPolicy.from_network(network), host, port)
    assert decision.reason == reason, decision
    assert decision.allowed == (reason == "allowed")
    assert (decision.address is not None) == decision.allowed, "only an allowed decision names an address"


async def test_operator_allowance_opens_exactly_its_range() -> None:
    resolver = _resolver(**{"api.example.test": "127.0.0.1"})
    policy = EgressPolicy.from_network(NETWORK)
    assert (await resolver.decide(policy, "api.example.test", 80)).reason == "forbidden-address"
    resolver.allow = [AddressAllowance.parse("127.0.0.1:80"), AddressAllowance.parse("10.1.2.3:80")]
    assert (await resolver.decide(policy, "api.example.test", 80)).allowed
    assert (await resolver.decide(policy, "10.1.2.3", 80)).allowed, "an allowed, listed IP literal"
    assert (await resolver.decide(policy, "meta.example.test", 80)).reason == "forbidden-address"


async def test_one_forbidden_answer_refuses_the_name() -> None:
    async def lookup(name: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.1")]

    resolver = Resolver(lookup=lookup, own=frozenset())
    decision = await resolver.decide(
        EgressPolicy.from_network({"allowlist": [{"domain": "*"}]}), "x.test", 443
    )
    assert decision.reason == "forbidden-address" and "10.0.0.1" in decision.detail


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.100.100.200",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:169.254.169.254",
        "198.51.100.7",  # the host's own address (in this test)
    ],
)
def test_forbidden_addresses(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address), {ipaddress.ip_address("198.51.100.7")})


def test_public_addresses_pass() -> None:
    assert forbidden_reason(ipaddress.ip_address("93.184.216.34")) is None
    assert forbidden_reason(ipaddress.ip_address("2606:4700::1")) is None


def test_transform_and_credential_are_parsed() -> None:
    policy = EgressPolicy.from_network(
        {
            "allowlist": [
                {"domain": "a.test", "transform": {"X-A": "1"}, "credential": "c1"},
                {"domain": "b.test", "transform": [{"X-B": "1"}, {"X-C": "2"}]},
                {"domain": "not a domain"},
            ]
        }
    )
    assert policy is not None and len(policy.rules) == 2, "an entry that can never match is dropped"
    a, b = policy.rules
    assert (a.headers, a.credential) == ((("X-A", "1"),), "c1")
    assert b.headers == (("X-B", "1"), ("X-C", "2"))
    assert parse_host("[::1]") == ipaddress.ip_address("::1")
