"""What the egress proxy allows: the environment's allowlist, then the address rules (`addresses`).

A request names a host and a port. The host must match an allowlist entry (exact, `*.` wildcard
for subdomains, or `*` for every name) and the port must be one the entry allows (its own
`:port` suffix, a Warren extension, else 80 and 443). IP-literal hosts are refused unless the
operator's address allowance covers them. Names are resolved here, never in the sandbox, and every
address is checked: private, loopback, link-local (169.254.0.0/16, cloud metadata), shared/CGNAT
(100.64.0.0/10, incl. 100.100.100.200), multicast, unspecified, reserved and the host's own
addresses (also in IPv6 forms that carry them) are refused unless the operator allowed that address
and port (`Settings.egress_allow_addresses`). An entry that injects headers (a `credential` or a
`transform`) must name one exact host: the proxy injects nothing for a wildcard. The
proxy then connects to a checked address, so a name cannot re-resolve elsewhere in between.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from orchestrator.address_allowance import AddressAllowance
from orchestrator.egress.addresses import IPAddress, IPNetwork, forbidden_reason, host_addresses
from orchestrator.egress.logsafe import printable
from orchestrator.store.environment_spec import allowlist_entries

__all__ = [
    "DEFAULT_PORTS",
    "Decision",
    "EgressPolicy",
    "IPAddress",
    "IPNetwork",
    "Reason",
    "Resolver",
    "Rule",
    "forbidden_reason",
    "host_addresses",
    "is_exact_host",
    "parse_host",
    "split_domain",
]

log = logging.getLogger("orchestrator.egress")

DEFAULT_PORTS: tuple[int, ...] = (80, 443)
"""Ports an entry allows when its domain names none."""

Reason = Literal[
    "allowed",
    "no-egress",
    "bad-request",
    "not-listed",
    "port-not-allowed",
    "ip-literal",
    "forbidden-address",
    "unresolvable",
    "credential-refused",
]
"""Why the proxy decided as it did; logged and sent in the `X-Warren-Egress` header."""

_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$"
)


@dataclass(frozen=True)
class Rule:
    """One allowlist entry, parsed."""

    pattern: str
    """A lower-case name, `*.suffix`, `*`, or an IP literal."""
    ports: tuple[int, ...] = DEFAULT_PORTS
    """The ports this entry allows."""
    headers: tuple[tuple[str, str], ...] = ()
    """The entry's `transform` headers, in order (a later one replaces an earlier one)."""
    credential: str | None = None
    """A stored credential to inject for this entry's requests (HTTPS ones are intercepted)."""
    matchers: tuple[tuple[str | None, str | None], ...] = ()
    """`(method, path prefix)` pairs (a None part matches anything): the credential and transform
    apply only to requests one of them matches; empty: to every request."""

    def applies(self, method: str, target: str) -> bool:
        """Whether the credential and transform apply to a request: it matches one of `matchers`, and
        a path prefix is matched only by a path with no `.`/`..` segment or encoded dot, so that
        `/v1/../admin` never counts as under `/v1/`."""
        if not self.matchers:
            return True
        path = target.split("?", 1)[0]
        plain = "%2e" not in path.lower() and not any(part in (".", "..") for part in path.split("/"))
        return any(
            (want is None or want == method) and (prefix is None or (plain and path.startswith(prefix)))
            for want, prefix in self.matchers
        )

    def matches(self, host: str) -> bool:
        """Whether `host` (normalised) is covered by this entry's name pattern."""
        if self.pattern == "*":
            return True
        if self.pattern.startswith("*."):
            return host.endswith(self.pattern[1:]) and len(host) > len(self.pattern) - 1
        return host == self.pattern

    @property
    def is_wildcard(self) -> bool:
        """Whether the entry covers more than one name (`*` or `*.suffix`)."""
        return self.pattern == "*" or self.pattern.startswith("*.")

    @property
    def specificity(self) -> int:
        """Exact names beat wildcards, longer wildcards beat shorter ones, `*` comes last."""
        if self.pattern == "*":
            return 0
        return len(self.pattern) + (1000 if not self.pattern.startswith("*.") else 0)

    @classmethod
    def parse(cls, entry: Mapping[str, Any]) -> Rule | None:
        """A rule from a wire AllowlistEntry; None (and a warning) for a domain that cannot match."""
        pattern, ports = split_domain(str(entry.get("domain") or ""))
        name = pattern[2:] if pattern.startswith("*.") else pattern
        if pattern != "*" and parse_host(name) is None:
            log.warning(
                "egress: allowlist domain %s can never match; ignored", printable(entry.get("domain"))
            )
            return None
        transform = entry.get("transform") or []
        groups = [transform] if isinstance(transform, Mapping) else list(transform)
        headers = tuple((str(k), str(v)) for group in groups for k, v in group.items())
        credential = entry.get("credential")
        matchers = tuple(
            (m.get("method"), m.get("path_prefix"))
            for m in entry.get("match") or []
            if isinstance(m, Mapping)
        )
        return cls(pattern, ports, headers, str(credential) if credential else None, matchers)


@dataclass(frozen=True)
class EgressPolicy:
    """An environment's allowlist; `rules` empty means nothing is reachable."""

    rules: tuple[Rule, ...] = ()

    @classmethod
    def from_network(cls, network: Any) -> EgressPolicy | None:
        """The policy of a wire `network` value; None when the environment has no egress at all.

        `"disabled"`, `{"allowlist": "disabled"}` and an absent value all mean no egress: Warren
        never gives a sandbox unrestricted network, only an allowlist through this proxy.
        """
        entries = allowlist_entries(network)
        return None if entries is None else cls.from_entries(entries)

    @classmethod
    def from_entries(cls, entries: Iterable[Mapping[str, Any]]) -> EgressPolicy:
        """The policy of an allowlist's entries (`EnvironmentSpec.egress_allowlist`)."""
        rules = (Rule.parse(entry) for entry in entries)
        return cls(tuple(rule for rule in rules if rule is not None))

    def rule_for(self, host: str, port: int | None = None) -> Rule | None:
        """The most specific entry covering `host` (among those allowing `port`, when any does)."""
        found = [rule for rule in self.rules if rule.matches(host)]
        found = [rule for rule in found if port in rule.ports] or found
        return max(found, key=lambda rule: rule.specificity) if found else None


@dataclass(frozen=True)
class Decision:
    """The proxy's answer for one request, made before any connection leaves the proxy."""

    allowed: bool
    reason: Reason
    host: str
    port: int
    detail: str = ""
    """A human-readable explanation, for the log and the 403 body."""
    address: IPAddress | None = None
    """The checked address to connect to, when allowed."""
    rule: Rule | None = None
    """The allowlist entry that matched."""

    def line(self, environment_id: str, method: str) -> str:
        """The log line: environment, verdict, reason, destination."""
        verdict = "allow" if self.allowed else "refuse"
        to = f" via {self.address}" if self.address else ""
        env, method, host = printable(environment_id), printable(method, 32), printable(self.host)
        text = f"egress env={env} {verdict} reason={self.reason} {method} {host}:{self.port}{to}"
        return f"{text} ({printable(self.detail)})" if self.detail else text


def split_domain(domain: str) -> tuple[str, tuple[int, ...]]:
    """An allowlist domain's name pattern (lower case, no trailing dot or brackets) and its ports."""
    raw = domain.strip().lower().rstrip(".")
    pattern, ports = raw, tuple(DEFAULT_PORTS)
    if ":" in raw and isinstance(parse_host(raw), ipaddress.IPv6Address):
        return raw.strip("[]"), ports  # an IPv6 literal without a port: its last group is no port
    match = re.fullmatch(r"\[(.+)\]:(\d{1,5})", raw) or re.fullmatch(r"([^\[\]]+):(\d{1,5})", raw)
    if match:
        pattern, ports = match.group(1), (int(match.group(2)),)
    return pattern.strip("[]"), ports


def is_exact_host(domain: str) -> bool:
    """Whether an allowlist domain names one host (a name or an IP literal), not a wildcard."""
    pattern, _ = split_domain(domain)
    return "*" not in pattern and parse_host(pattern) is not None


def parse_host(host: str) -> str | IPAddress | None:
    """A normalised host name, an IP address for a literal, or None when it is neither."""
    host = host.strip().lower().rstrip(".").strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host.isascii() or not _NAME.match(host) or host.replace(".", "").isdigit():
        return None  # also refuses odd numeric forms like `2130706433` or `0x7f.1`
    if re.fullmatch(r"[0-9a-fx.]+", host) and any(part.startswith("0x") for part in host.split(".")):
        return None
    return host


Lookup = Callable[[str, int], Awaitable[list[IPAddress]]]


async def _system_lookup(host: str, port: int) -> list[IPAddress]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


@dataclass
class Resolver:
    """Resolves names for the proxy and applies the address rules.

    Args:
        allow: addresses and ports the operator explicitly allowed (e.g. a test's listener on 127.0.0.1).
        hosts: fixed answers for names, checked like any other answer (tests, split-horizon setups).
        lookup: the resolver for other names (the system's, from the orchestrator's host).
    """

    allow: Sequence[AddressAllowance] = ()
    hosts: Mapping[str, str] = field(default_factory=dict)
    lookup: Lookup = _system_lookup
    own: frozenset[IPAddress] = field(default_factory=host_addresses)

    def operator_allows(self, address: IPAddress, port: int) -> bool:
        """Whether the operator's allowance covers `address` on `port`."""
        return any(entry.covers(address, port) for entry in self.allow)

    async def decide(self, policy: EgressPolicy | None, host: str, port: int) -> Decision:
        """Decide one destination: allowlist, port, then every resolved address."""
        parsed = parse_host(host)
        if policy is None:
            return Decision(False, "no-egress", host, port, "this environment has no network egress")
        if parsed is None or not 0 < port < 65536:
            return Decision(False, "bad-request", host, port, "not a valid host name or port")
        name = str(parsed)
        rule = policy.rule_for(name, port)
        if rule is None:
            return Decision(False, "not-listed", name, port, "the host is not in the allowlist")
        if port not in rule.ports:
            allowed = ", ".join(map(str, rule.ports))
            return Decision(False, "port-not-allowed", name, port, f"allowed ports: {allowed}", rule=rule)
        if not isinstance(parsed, str):
            if not self.operator_allows(parsed, port):
                why = forbidden_reason(parsed, self.own) or "an IP literal"
                return Decision(False, "ip-literal", name, port, f"IP-literal host ({why})", rule=rule)
            return Decision(True, "allowed", name, port, "operator-allowed IP literal", parsed, rule)
        try:
            addresses = await self._resolve(name, port)
        except (OSError, ValueError) as exc:
            return Decision(False, "unresolvable", name, port, str(exc), rule=rule)
        if not addresses:
            return Decision(False, "unresolvable", name, port, "no address", rule=rule)
        checked = [(a, forbidden_reason(a, self.own)) for a in addresses if not self.operator_allows(a, port)]
        refused = [(a, why) for a, why in checked if why]
        if refused:  # one bad answer taints the name: it may be a rebinding attempt
            address, why = refused[0]
            return Decision(
                False, "forbidden-address", name, port, f"resolves to {address}: {why}", rule=rule
            )
        return Decision(True, "allowed", name, port, "", addresses[0], rule)

    async def _resolve(self, name: str, port: int) -> list[IPAddress]:
        if name in self.hosts:
            return [ipaddress.ip_address(self.hosts[name])]
        return await self.lookup(name, port)
