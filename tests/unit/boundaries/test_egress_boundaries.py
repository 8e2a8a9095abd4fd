"""The egress policy at its exact edges (issue 21): the host's own addresses, wildcard suffixes,
every forbidden address class at its first and last address and the public neighbour just outside.

A mutation pass let "the host's own public address is no longer refused" through: the only own
address any test used was a documentation address, which `is_private` refuses anyway. Here the own
address is a global one, learned the way production learns it (`/proc/net/fib_trie`, `if_inet6`).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from orchestrator.address_allowance import AddressAllowance
from orchestrator.egress import addresses
from orchestrator.egress.addresses import embedded_ipv4, forbidden_reason, host_addresses
from orchestrator.egress.policy import EgressPolicy, IPAddress, Resolver, Rule, parse_host, split_domain

OWN = "93.184.216.34"
"""A global address that plays the host's own public address (refused only because it is ours)."""
OWN6 = "2606:4700::6810:85e5"
"""A global IPv6 address that plays one of the host's own."""
PUBLIC = "93.184.216.35"

FIB_TRIE = f"""Main:
  +-- 0.0.0.0/0 3 0 4
     +-- 93.184.216.0/24 2 0 2
        |-- 93.184.216.0
           /24 link UNICAST
        |-- {OWN}
           /32 host LOCAL
        |-- 93.184.216.255
           /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
"""
IF_INET6 = (
    "00000000000000000000000000000001 01 80 10 80       lo\n"
    "260647000000000000000000681085e5 02 40 00 80     eth0\n"
)


@pytest.fixture
def fake_proc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`/proc/net` of a host with a public interface, read by `host_addresses` instead of the real one."""
    (tmp_path / "fib_trie").write_text(FIB_TRIE)
    (tmp_path / "if_inet6").write_text(IF_INET6)
    real = {"/proc/net/fib_trie": tmp_path / "fib_trie", "/proc/net/if_inet6": tmp_path / "if_inet6"}
    monkeypatch.setattr(addresses, "Path", lambda raw: real[str(raw)])


def _ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


def _resolver(answers: dict[str, str], own: frozenset[IPAddress] | None = None) -> Resolver:
    async def lookup(name: str, port: int) -> list[IPAddress]:
        raise OSError(f"no DNS in unit tests ({name})")

    if own is None:
        return Resolver(hosts=answers, lookup=lookup)
    return Resolver(hosts=answers, lookup=lookup, own=own)


ANY = EgressPolicy.from_network({"allowlist": [{"domain": "*"}]})


# ---- the host's own addresses -----------------------------------------------------------------


def test_host_addresses_learns_every_local_address(fake_proc: None) -> None:
    """Local (`/32 host LOCAL`) IPv4 addresses and every interface's IPv6 address; not the subnet."""
    found = host_addresses()
    assert found == {_ip(OWN), _ip("127.0.0.1"), _ip("::1"), _ip(OWN6)}


def test_host_addresses_without_proc_is_empty(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(addresses, "Path", lambda raw: tmp_path / "absent")
    assert host_addresses() == frozenset()


@pytest.mark.parametrize("own", [OWN, OWN6])
def test_own_public_address_is_refused(own: str) -> None:
    assert forbidden_reason(_ip(own)) is None, "a global address on its own is fine"
    assert forbidden_reason(_ip(own), {_ip(own)}) == "this host's own address"


async def test_resolver_learns_own_addresses_and_refuses_a_name_that_resolves_to_one(fake_proc: None) -> None:
    """The proxy's resolver is built without `own` (proxy.py): it must learn it from the host."""
    resolver = _resolver({"mine.test": OWN, "mine6.test": OWN6, "other.test": PUBLIC})
    assert (await resolver.decide(ANY, "other.test", 443)).allowed
    for name in ("mine.test", "mine6.test"):
        decision = await resolver.decide(ANY, name, 443)
        assert (decision.allowed, decision.reason) == (False, "forbidden-address"), decision
        assert "own address" in decision.detail


async def test_own_address_in_an_ipv6_form_is_refused(fake_proc: None) -> None:
    resolver = _resolver({"mapped.test": f"::ffff:{OWN}", "nat64.test": "64:ff9b::5db8:d822"})
    for name in ("mapped.test", "nat64.test"):
        decision = await resolver.decide(ANY, name, 443)
        assert decision.reason == "forbidden-address" and "own address" in decision.detail, decision


async def test_own_address_as_a_listed_ip_literal_is_refused() -> None:
    resolver = _resolver({}, own=frozenset({_ip(OWN)}))
    policy = EgressPolicy.from_network({"allowlist": [{"domain": OWN}, {"domain": PUBLIC}]})
    own = await resolver.decide(policy, OWN, 443)
    assert own.reason == "ip-literal" and "own address" in own.detail, own
    resolver.allow = [AddressAllowance.parse(f"{OWN}:443")]
    assert (await resolver.decide(policy, OWN, 443)).allowed, "only the operator can open it"
    assert not (await resolver.decide(policy, OWN, 80)).allowed, "and only on the port it named"


# ---- wildcard suffixes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "matches"),
    [
        ("a.example.test", True),
        ("a.b.example.test", True),
        ("example.test", False),  # decided: `*.` covers subdomains only, not the name itself
        (".example.test", False),  # the suffix alone, dot included
        ("evilexample.test", False),
        ("example.test.evil.test", False),
        ("a.example.testx", False),
        ("xexample.test", False),
    ],
)
def test_wildcard_covers_subdomains_only(host: str, matches: bool) -> None:
    assert Rule("*.example.test").matches(host) is matches


async def test_wildcard_decisions_through_the_resolver() -> None:
    policy = EgressPolicy.from_network({"allowlist": [{"domain": "*.example.test"}]})
    answers = {name: PUBLIC for name in ("a.example.test", "example.test", "evilexample.test")}
    resolver = _resolver(answers, own=frozenset())
    assert (await resolver.decide(policy, "a.example.test", 443)).allowed
    assert (await resolver.decide(policy, "example.test", 443)).reason == "not-listed"
    assert (await resolver.decide(policy, "evilexample.test", 443)).reason == "not-listed"


def test_exact_entry_matches_only_itself() -> None:
    rule = Rule("api.example.test")
    assert rule.matches("api.example.test")
    assert not rule.matches("x.api.example.test") and not rule.matches("api.example.tes")
    assert Rule("*").matches("anything.test")


def test_specificity_prefers_exact_then_longer_wildcards() -> None:
    policy = EgressPolicy(
        (Rule("*"), Rule("*.test", ports=(1,)), Rule("*.example.test", ports=(2,)), Rule("a.example.test"))
    )
    chosen = policy.rule_for("a.example.test", 443)
    assert chosen is not None and chosen.pattern == "a.example.test"
    chosen = policy.rule_for("b.example.test", 2)
    assert chosen is not None and chosen.pattern == "*.example.test"
    chosen = policy.rule_for("b.other.test", 1)
    assert chosen is not None and chosen.pattern == "*.test"


@pytest.mark.parametrize(
    ("port", "reason"),
    [(0, "bad-request"), (1, "port-not-allowed"), (65535, "allowed"), (65536, "bad-request")],
)
async def test_port_range_edges(port: int, reason: str) -> None:
    policy = EgressPolicy.from_network({"allowlist": [{"domain": "a.test:65535"}]})
    decision = await _resolver({"a.test": PUBLIC}, own=frozenset()).decide(policy, "a.test", port)
    assert decision.reason == reason, decision


def test_split_domain_ports() -> None:
    assert split_domain("A.Test:8080") == ("a.test", (8080,))
    assert split_domain("a.test") == ("a.test", (80, 443))
    assert split_domain("[::1]:443") == ("::1", (443,))
    assert split_domain("::1") == ("::1", (80, 443))


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f.0.0.1", "0x7f000001", "127.1", "a..test", "-a.test", ""]
)
def test_numeric_disguises_and_bad_names_are_not_hosts(host: str) -> None:
    assert parse_host(host) is None


# ---- every forbidden class, at its edges --------------------------------------------------------

FORBIDDEN = {
    "loopback first": ("127.0.0.0", "loopback"),
    "loopback": ("127.0.0.1", "loopback"),
    "loopback last": ("127.255.255.255", "loopback"),
    "loopback v6": ("::1", "loopback"),
    "private 10 first": ("10.0.0.0", "private"),
    "private 10 last": ("10.255.255.255", "private"),
    "private 172 first": ("172.16.0.0", "private"),
    "private 172 last": ("172.31.255.255", "private"),
    "private 192 first": ("192.168.0.0", "private"),
    "private 192 last": ("192.168.255.255", "private"),
    "unique local v6": ("fc00::1", "private"),
    "unique local v6 last": ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "private"),
    "link-local first": ("169.254.0.0", "link-local"),
    "metadata": ("169.254.169.254", "link-local"),
    "link-local last": ("169.254.255.255", "link-local"),
    "link-local v6": ("fe80::1", "link-local"),
    "link-local v6 last": ("febf:ffff::1", "link-local"),
    "site-local v6 first": ("fec0::", "site-local"),
    "site-local v6": ("fec0::1", "site-local"),
    "site-local v6 last": ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "site-local"),
    "CGNAT first": ("100.64.0.0", "CGNAT"),
    "metadata alibaba": ("100.100.100.200", "CGNAT"),
    "CGNAT last": ("100.127.255.255", "CGNAT"),
    "multicast first": ("224.0.0.0", "multicast"),
    "multicast last": ("239.255.255.255", "multicast"),
    "multicast v6": ("ff02::1", "multicast"),
    "unspecified": ("0.0.0.0", "unspecified"),
    "this network": ("0.255.255.255", "private"),
    "unspecified v6": ("::", "unspecified"),
    "class E": ("240.0.0.1", "private"),
    "reserved v6": ("fe7f:ffff::1", "reserved"),
    "broadcast": ("255.255.255.255", "private"),
    "mapped loopback": ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1: loopback"),
    "mapped metadata": ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254: link-local"),
    "mapped private": ("::ffff:10.0.0.1", "IPv4-mapped form of 10.0.0.1: private"),
    "mapped CGNAT": ("::ffff:100.100.100.200", "IPv4-mapped form of 100.100.100.200: shared/CGNAT"),
    "compatible loopback": ("::127.0.0.1", "IPv4-compatible form of 127.0.0.1: loopback"),
    "compatible public": ("::93.184.216.35", "IPv4-compatible form (deprecated)"),
    "6to4 loopback": ("2002:7f00:1::", "6to4 form of 127.0.0.1: loopback"),
    "6to4 metadata": ("2002:a9fe:a9fe::", "6to4 form of 169.254.169.254: link-local"),
    "6to4 private": ("2002:0a00:0001::1", "6to4 form"),
    "NAT64 metadata": ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254: link-local"),
    "NAT64 loopback": ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1: loopback"),
    "NAT64 local-use": ("64:ff9b:1::5db8:d823", "NAT64 local-use"),
    "Teredo": ("2001:0:4136:e378::1", "Teredo"),
    "documentation": ("192.0.2.1", "private"),
    "documentation v6": ("2001:db8::1", "private"),
    "benchmarking": ("198.18.0.1", "private"),
}

PUBLIC_NEIGHBOURS = {
    "below 10/8": "9.255.255.255",
    "above 10/8": "11.0.0.0",
    "below 172.16/12": "172.15.255.255",
    "above 172.16/12": "172.32.0.0",
    "below 192.168/16": "192.167.255.255",
    "above 192.168/16": "192.169.0.0",
    "below 169.254/16": "169.253.255.255",
    "above 169.254/16": "169.255.0.0",
    "below 100.64/10": "100.63.255.255",
    "above 100.64/10": "100.128.0.0",
    "below 127/8": "126.255.255.255",
    "above 127/8": "128.0.0.0",
    "below 224/4": "223.255.255.255",
    "public v6": "2606:4700::1",
    "mapped public": "::ffff:93.184.216.35",
    "6to4 public": "2002:5db8:d823::",
    "NAT64 public": "64:ff9b::5db8:d823",
}


@pytest.mark.parametrize(("address", "why"), FORBIDDEN.values(), ids=FORBIDDEN.keys())
async def test_forbidden_class_is_refused_by_name_and_as_literal(address: str, why: str) -> None:
    """Refused, and for the reason of its own class (the reason is logged and sent in the 403)."""
    reason = forbidden_reason(_ip(address))
    assert reason is not None and why in reason, (address, reason)
    resolver = _resolver({"x.test": address}, own=frozenset())
    decision = await resolver.decide(ANY, "x.test", 443)
    assert (decision.allowed, decision.reason) == (False, "forbidden-address"), decision
    assert decision.address is None and why in decision.detail
    literal = await resolver.decide(
        EgressPolicy.from_network({"allowlist": [{"domain": address}]}), address, 443
    )
    assert not literal.allowed, literal


@pytest.mark.parametrize("address", PUBLIC_NEIGHBOURS.values(), ids=PUBLIC_NEIGHBOURS.keys())
async def test_public_neighbours_pass(address: str) -> None:
    assert forbidden_reason(_ip(address), {_ip(OWN)}) is None, address
    decision = await _resolver({"x.test": address}, own=frozenset({_ip(OWN)})).decide(ANY, "x.test", 443)
    assert decision.allowed and decision.address == _ip(address), decision


@pytest.mark.parametrize(
    ("address", "form", "inner"),
    [
        ("::ffff:10.0.0.1", "IPv4-mapped", "10.0.0.1"),
        ("2002:a9fe:a9fe::", "6to4", "169.254.169.254"),
        ("64:ff9b::a9fe:a9fe", "NAT64", "169.254.169.254"),
        ("::a9fe:a9fe", "IPv4-compatible", "169.254.169.254"),
    ],
)
def test_embedded_ipv4_is_decoded(address: str, form: str, inner: str) -> None:
    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert found == (form, ipaddress.IPv4Address(inner))
    assert forbidden_reason(_ip(address)) is not None


@pytest.mark.parametrize("address", ["::", "::1", "2606:4700::1", "fe80::1"])
def test_ipv6_own_forms_carry_no_ipv4(address: str) -> None:
    assert embedded_ipv4(ipaddress.IPv6Address(address)) is None


async def test_one_forbidden_answer_among_public_ones_taints_the_name() -> None:
    async def lookup(name: str, port: int) -> list[IPAddress]:
        return [_ip(PUBLIC), _ip("2606:4700::1"), _ip("::ffff:169.254.169.254")]

    decision = await Resolver(lookup=lookup, own=frozenset()).decide(ANY, "x.test", 443)
    assert decision.reason == "forbidden-address" and "169.254.169.254" in decision.detail


async def test_allowance_opens_exactly_its_address_and_port() -> None:
    resolver = _resolver({"meta.test": "169.254.169.254", "other.test": "169.254.169.253"}, own=frozenset())
    resolver.allow = [AddressAllowance.parse("169.254.169.254/32:80")]
    assert (await resolver.decide(ANY, "meta.test", 80)).allowed
    assert (await resolver.decide(ANY, "meta.test", 443)).reason == "forbidden-address"
    assert (await resolver.decide(ANY, "other.test", 80)).reason == "forbidden-address"
