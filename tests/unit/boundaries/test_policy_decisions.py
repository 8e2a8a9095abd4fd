"""Every branch of the egress decision, checked as the whole record the proxy logs and answers with
(issue 21, mutation follow-up).

The older tests checked `allowed` and `reason` only, so a mutant that dropped the host, port, matched
rule or checked address from a `Decision` survived; yet the proxy connects to `decision.address`, the
audit line names host, port and reason, and credentials are injected from `decision.rule`. Here each
branch is compared field by field, the log line exactly, and the lookup the resolver makes is seen.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import pytest

from orchestrator.address_allowance import AddressAllowance
from orchestrator.egress import policy as policy_module
from orchestrator.egress.addresses import forbidden_reason
from orchestrator.egress.policy import (
    DEFAULT_PORTS,
    Decision,
    EgressPolicy,
    IPAddress,
    Resolver,
    Rule,
    is_exact_host,
    parse_host,
    split_domain,
)

PUBLIC = ipaddress.ip_address("93.184.216.35")
PUBLIC2 = ipaddress.ip_address("93.184.216.36")
OWN = frozenset[IPAddress]()


def _policy(*entries: dict[str, Any]) -> EgressPolicy:
    policy = EgressPolicy.from_network({"allowlist": list(entries)})
    assert policy is not None
    return policy


class Lookups:
    """A resolver's `lookup` that records what it was asked and answers what the test set."""

    def __init__(self, answer: list[IPAddress] | Exception) -> None:
        self.answer = answer
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, name: str, port: int) -> list[IPAddress]:
        self.asked.append((name, port))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


async def test_no_policy_is_no_egress() -> None:
    decision = await Resolver(lookup=Lookups([PUBLIC]), own=OWN).decide(None, "Api.Example.com", 443)
    assert decision == Decision(
        False, "no-egress", "Api.Example.com", 443, "this environment has no network egress"
    )


@pytest.mark.parametrize(("host", "port"), [("bad host", 443), ("example.com", 0), ("example.com", 65536)])
async def test_bad_host_or_port(host: str, port: int) -> None:
    decision = await Resolver(lookup=Lookups([PUBLIC]), own=OWN).decide(_policy({"domain": "*"}), host, port)
    assert decision == Decision(False, "bad-request", host, port, "not a valid host name or port")


@pytest.mark.parametrize("port", [1, 65535])
async def test_port_edges_are_valid(port: int) -> None:
    rule = Rule("*", (1, 65535))
    decision = await Resolver(lookup=Lookups([PUBLIC]), own=OWN).decide(EgressPolicy((rule,)), "a.test", port)
    assert decision == Decision(True, "allowed", "a.test", port, "", PUBLIC, rule)


async def test_not_listed_names_the_normalised_host() -> None:
    decision = await Resolver(lookup=Lookups([PUBLIC]), own=OWN).decide(
        _policy({"domain": "other.test"}), "API.Example.com.", 443
    )
    assert decision == Decision(
        False, "not-listed", "api.example.com", 443, "the host is not in the allowlist"
    )


async def test_port_not_allowed_lists_the_ports() -> None:
    policy = _policy({"domain": "api.test:8443"})
    decision = await Resolver(lookup=Lookups([PUBLIC]), own=OWN).decide(policy, "api.test", 443)
    assert decision == Decision(
        False, "port-not-allowed", "api.test", 443, "allowed ports: 8443", rule=policy.rules[0]
    )
    policy = EgressPolicy((Rule("api.test", (80, 8080)),))
    decision = await Resolver(lookup=Lookups([PUBLIC]), own=OWN).decide(policy, "api.test", 443)
    assert decision.detail == "allowed ports: 80, 8080"


async def test_ip_literal_is_refused_with_the_address_class() -> None:
    policy = _policy({"domain": "10.0.0.1"}, {"domain": str(PUBLIC)})
    lookup = Lookups([PUBLIC])
    resolver = Resolver(lookup=lookup, own=OWN)
    private = await resolver.decide(policy, "10.0.0.1", 443)
    assert private == Decision(
        False, "ip-literal", "10.0.0.1", 443, "IP-literal host (private)", rule=policy.rules[0]
    )
    public = await resolver.decide(policy, str(PUBLIC), 443)
    assert public == Decision(
        False, "ip-literal", str(PUBLIC), 443, "IP-literal host (an IP literal)", rule=policy.rules[1]
    )
    assert lookup.asked == [], "a literal is never looked up"


async def test_operator_allowed_literal_connects_to_exactly_it() -> None:
    policy = _policy({"domain": "127.0.0.1:8080"})
    resolver = Resolver(
        lookup=Lookups([PUBLIC]), own=OWN, allow=[AddressAllowance.parse("127.0.0.1/32:8080")]
    )
    decision = await resolver.decide(policy, "127.0.0.1", 8080)
    loopback = ipaddress.ip_address("127.0.0.1")
    assert decision == Decision(
        True, "allowed", "127.0.0.1", 8080, "operator-allowed IP literal", loopback, policy.rules[0]
    )


async def test_lookup_failure_is_unresolvable_with_its_error() -> None:
    policy = _policy({"domain": "api.test"})
    lookup = Lookups(OSError("name or service not known"))
    decision = await Resolver(lookup=lookup, own=OWN).decide(policy, "API.test", 443)
    assert decision == Decision(
        False, "unresolvable", "api.test", 443, "name or service not known", rule=policy.rules[0]
    )
    assert lookup.asked == [("api.test", 443)], "the normalised name and the port are looked up"


async def test_no_answer_is_unresolvable() -> None:
    policy = _policy({"domain": "api.test"})
    decision = await Resolver(lookup=Lookups([]), own=OWN).decide(policy, "api.test", 443)
    assert decision == Decision(False, "unresolvable", "api.test", 443, "no address", rule=policy.rules[0])


async def test_forbidden_answer_names_the_address_and_why() -> None:
    policy = _policy({"domain": "api.test"})
    lookup = Lookups([PUBLIC, ipaddress.ip_address("10.1.2.3"), ipaddress.ip_address("127.0.0.1")])
    decision = await Resolver(lookup=lookup, own=OWN).decide(policy, "api.test", 443)
    assert decision == Decision(
        False, "forbidden-address", "api.test", 443, "resolves to 10.1.2.3: private", rule=policy.rules[0]
    )


async def test_allowed_name_connects_to_its_first_checked_answer() -> None:
    policy = _policy({"domain": "api.test"})
    decision = await Resolver(lookup=Lookups([PUBLIC2, PUBLIC]), own=OWN).decide(policy, "api.test", 443)
    assert decision == Decision(True, "allowed", "api.test", 443, "", PUBLIC2, policy.rules[0])


async def test_fixed_hosts_answer_before_the_lookup() -> None:
    lookup = Lookups([PUBLIC2])
    resolver = Resolver(hosts={"api.test": str(PUBLIC)}, lookup=lookup, own=OWN)
    decision = await resolver.decide(_policy({"domain": "*"}), "api.test", 443)
    assert decision.address == PUBLIC and lookup.asked == []
    decision = await resolver.decide(_policy({"domain": "*:8443"}), "b.test", 8443)
    assert decision.address == PUBLIC2 and lookup.asked == [("b.test", 8443)]


# ---- the audit line -----------------------------------------------------------------------------


def test_log_line_of_an_allowed_request() -> None:
    decision = Decision(True, "allowed", "api.test", 443, "", PUBLIC)
    assert (
        decision.line("env_1", "CONNECT")
        == f"egress env=env_1 allow reason=allowed CONNECT api.test:443 via {PUBLIC}"
    )


def test_log_line_of_a_refusal_escapes_and_cuts_what_the_sandbox_sent() -> None:
    decision = Decision(False, "not-listed", "evil\n.test", 80, "the host is not in the allowlist")
    line = decision.line("env\x1b2", "G" * 40)
    assert line == (
        f"egress env=env\\x1b2 refuse reason=not-listed {'G' * 32}... evil\\x0a.test:80 "
        "(the host is not in the allowlist)"
    )


# ---- domains, hosts and rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "pattern", "ports"),
    [
        ("API.example.com.", "api.example.com", DEFAULT_PORTS),
        (".example.com", ".example.com", DEFAULT_PORTS),
        ("example.com:8443", "example.com", (8443,)),
        ("[2606:4700::1]:8443", "2606:4700::1", (8443,)),
        ("[2606:4700::1]", "2606:4700::1", DEFAULT_PORTS),
        ("2606:4700::1", "2606:4700::1", DEFAULT_PORTS),
        ("2606:4700::8443", "2606:4700::8443", DEFAULT_PORTS),
    ],
)
def test_split_domain(domain: str, pattern: str, ports: tuple[int, ...]) -> None:
    assert split_domain(domain) == (pattern, ports)


@pytest.mark.parametrize(
    ("host", "parsed"),
    [
        ("[::1]", ipaddress.ip_address("::1")),
        ("Example.COM.", "example.com"),
        ("xx.test", "xx.test"),
        ("0x7f.1", None),
        ("ab.0x1", None),
        ("0xab", None),
        ("ab.cd", "ab.cd"),
        ("face.b00c", "face.b00c"),
    ],
)
def test_parse_host(host: str, parsed: object) -> None:
    assert parse_host(host) == parsed


@pytest.mark.parametrize(
    ("domain", "exact"),
    [("api.test", True), ("api.test:8443", True), ("10.0.0.1", True), ("*.api.test", False), ("*", False)],
)
def test_is_exact_host(domain: str, exact: bool) -> None:
    assert is_exact_host(domain) is exact
    assert not is_exact_host("bad host")


def test_rule_parse_edges() -> None:
    assert Rule.parse({}) is None, "no domain matches nothing"
    assert Rule.parse({"domain": "*.a.test"}) == Rule("*.a.test")
    assert Rule.parse({"domain": "*.bad host"}) is None
    assert Rule.parse({"domain": "a.test"}) == Rule("a.test", DEFAULT_PORTS, (), None)
    assert Rule.parse({"domain": "a.test", "credential": "cred_1"}) == Rule("a.test", credential="cred_1")


async def test_system_lookup_asks_for_stream_sockets_and_drops_scope_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[Any, ...]] = []

    async def getaddrinfo(host: str, port: int, *, type: int = 0) -> list[tuple[Any, ...]]:
        asked.append((host, port, type))
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fe80::1%eth0", port, 0, 2)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (str(PUBLIC), port)),
        ]

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    found = await policy_module._system_lookup("api.test", 8443)
    assert found == [ipaddress.ip_address("fe80::1"), PUBLIC]
    assert asked == [("api.test", 8443, socket.SOCK_STREAM)]


async def test_the_rule_that_allows_the_port_wins_over_a_more_specific_one() -> None:
    """Which rule matched decides which credential is injected: it must be one that allows the port."""
    policy = _policy(
        {"domain": "api.test:8443", "credential": "narrow"}, {"domain": "*.test", "credential": "wide"}
    )
    decision = await Resolver(lookup=Lookups([PUBLIC]), own=OWN).decide(policy, "api.test", 443)
    assert decision == Decision(True, "allowed", "api.test", 443, "", PUBLIC, policy.rules[1])
    narrow = await Resolver(lookup=Lookups([PUBLIC]), own=OWN).decide(policy, "api.test", 8443)
    assert narrow.rule == policy.rules[0]


def test_brackets_around_a_name_are_dropped() -> None:
    assert split_domain("[a.test]") == ("a.test", DEFAULT_PORTS)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("fe7f:ffff::1", "reserved"),
        ("fec0::1", "site-local"),
        ("64:ff9b:1::5db8:d823", "NAT64 local-use prefix"),
        ("2001:0:4136:e378::1", "Teredo tunnel"),
        ("::93.184.216.35", "IPv4-compatible form (deprecated)"),
        ("::2", "IPv4-compatible form of 0.0.0.2: private"),
    ],
)
def test_forbidden_reasons_are_exact(address: str, reason: str) -> None:
    """The reason goes into the 403 body and the audit line: each class names itself exactly."""
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    ("text", "network", "port"),
    [
        ("127.0.0.1/8:8080", "127.0.0.0/8", 8080),
        ("10.1.2.3/24:1", "10.1.2.0/24", 1),
        ("10.1.2.3:65535", "10.1.2.3/32", 65535),
        ("[fd00::1/64]:*", "fd00::/64", None),
    ],
)
def test_allowance_forms(text: str, network: str, port: int | None) -> None:
    """Host bits in a range are dropped (not refused); ports run 1-65535; `*` is every port."""
    assert AddressAllowance.parse(text) == AddressAllowance(ipaddress.ip_network(network), port)


@pytest.mark.parametrize("text", ["127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1", "nope:80"])
def test_allowance_refusals(text: str) -> None:
    with pytest.raises(ValueError, match="egress address"):
        AddressAllowance.parse(text)
