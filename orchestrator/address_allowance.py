"""The operator's address allowance: an address or range together with the one port it opens.

`WARREN_EGRESS_ALLOW_ADDRESSES=127.0.0.1:8443,10.1.2.0/24:443,[fd00::/64]:80` opens exactly those
ports; `10.1.2.0/24:*` opens every port of the range, and only when written so. A bare range is an
error: it used to open every port, which let a sandbox reach any service of an allowed host.

The grammar lives below `config` (it imports nothing of Warren's), so the settings can refuse a bad
entry at start-up and the egress resolver (`egress/policy.py`) can apply the parsed entries.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

__all__ = ["AddressAllowance"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_BRACKETED = re.compile(r"\[(?P<net>[^\]]+)\]:(?P<port>\d{1,5}|\*)")
_PLAIN = re.compile(r"(?P<net>[0-9./]+):(?P<port>\d{1,5}|\*)")


@dataclass(frozen=True)
class AddressAllowance:
    """One allowed destination range and port (None: every port, written `:*`)."""

    network: IPNetwork
    """The allowed addresses."""
    port: int | None
    """The allowed port; None only when the operator wrote `:*`."""

    @classmethod
    def parse(cls, text: str) -> AddressAllowance:
        """Parse `address[/prefix]:port`, `address[/prefix]:*`, or `[ipv6[/prefix]]:port`.

        Raises:
            ValueError: the entry is not one of those forms; the message says what to write.
        """
        entry = text.strip()
        match = _BRACKETED.fullmatch(entry) or _PLAIN.fullmatch(entry)
        if match is None:
            raise ValueError(
                f"egress address {entry!r} needs a port: write 'address:port' (e.g. 127.0.0.1:8443, "
                "10.1.2.0/24:443, [fd00::1]:443), or 'address:*' to allow every port"
            )
        try:
            network = ipaddress.ip_network(match.group("net"), strict=False)
        except ValueError as exc:
            raise ValueError(f"egress address {entry!r} is not an address or CIDR range") from exc
        raw_port = match.group("port")
        port = None if raw_port == "*" else int(raw_port)
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"egress address {entry!r} has a port outside 1-65535")
        return cls(network, port)

    def covers(self, address: IPAddress, port: int) -> bool:
        """Whether this entry allows connecting to `address` on `port`."""
        in_range = address.version == self.network.version and address in self.network
        return in_range and (self.port is None or self.port == port)
