"""Which addresses the egress proxy refuses by default, including IPv4 addresses hidden in IPv6 forms.

An IPv6 address can carry an IPv4 one: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
6to4 (`2002:aabb:ccdd::/48`) and NAT64 (`64:ff9b::a.b.c.d`). A gateway or relay on the path turns
them back into the IPv4 address, so `2002:7f00:1::` is `127.0.0.1` to a 6to4 relay. Each form is
decoded and judged by the IPv4 rules. NAT64's local-use prefix (`64:ff9b:1::/48`) places the IPv4
bits by a prefix length only the local operator knows, and Teredo (`2001::/32`) tunnels through a
relay: both are refused outright.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable
from pathlib import Path

__all__ = ["IPAddress", "IPNetwork", "embedded_ipv4", "forbidden_reason", "host_addresses"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries, with the name of its form; None when it carries none."""
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    low = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64:
        return "NAT64", low
    if address in _COMPATIBLE and int(address) > 1:  # `::` and `::1` are IPv6's own
        return "IPv4-compatible", low
    return None


def forbidden_reason(address: IPAddress, own: Iterable[IPAddress] = ()) -> str | None:
    """Why the proxy must not connect to `address` by default, or None when it is a public address."""
    own = frozenset(own)
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return "NAT64 local-use prefix"
        if address.teredo is not None:
            return "Teredo tunnel"
        found = embedded_ipv4(address)
        if found is not None:
            form, inner = found
            why = _reason(inner, own)
            if why:
                return f"{form} form of {inner}: {why}"
            if form == "IPv4-compatible":
                return "IPv4-compatible form (deprecated)"
            if form != "6to4":  # mapped and NAT64 reach exactly the IPv4 address just judged
                return None
    return _reason(address, own)


def _reason(address: IPAddress, own: frozenset[IPAddress]) -> str | None:
    checks = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local (cloud metadata)"),
        # fec0::/10, deprecated (RFC 3879) yet still routed inside some sites: `is_global` calls it global
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, "site-local"),
        (isinstance(address, ipaddress.IPv4Address) and address in _SHARED, "shared/CGNAT (metadata)"),
        (address.is_multicast, "multicast"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (address in own, "this host's own address"),
        (not address.is_global, "not a global address"),
    )
    return next((why for bad, why in checks if bad), None)


def host_addresses() -> frozenset[IPAddress]:
    """Addresses of this host's interfaces (Linux `/proc`), refused unless the operator allows them."""
    found: set[IPAddress] = set()
    trie = Path("/proc/net/fib_trie")
    if trie.exists():
        lines = trie.read_text().splitlines()
        for previous, current in itertools.pairwise(lines):
            if "/32 host LOCAL" in current:
                with_address = previous.strip().split()[-1]
                found.add(ipaddress.ip_address(with_address))
    inet6 = Path("/proc/net/if_inet6")
    if inet6.exists():
        for line in inet6.read_text().splitlines():
            raw = line.split()[0]
            found.add(ipaddress.ip_address(":".join(raw[i : i + 4] for i in range(0, 32, 4))))
    return frozenset(found)
