"""Bytes the egress proxy relays, per environment (for `warren_usage`) and in the metrics.

    meter = EgressMeter()
    tally = meter.tally(environment_id)          # held by whoever reads it (a turn's `SandboxWatch`)
    sent, received = meter.counters(environment_id, tenant)
    sent(len(chunk))                             # per relayed chunk: an integer add and a counter inc

Counted are the bytes the proxy exchanges with upstreams for a sandbox: the request head and body
it sends (injected headers included), the response it relays back, and both directions of a
CONNECT tunnel. A refusal moves nothing upstream and counts nothing.

A `Tally` lives as long as someone holds it: the proxy while it serves the environment's socket, an
open connection, a turn reading its figure. So an environment's tally survives a socket restart in
the middle of a turn (the same object is found again), and the tallies of environments that are
gone are not kept. Everything runs on the event loop: the add needs no lock.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from orchestrator.observability.metrics import egress_bytes

__all__ = ["EgressMeter", "Tally"]

Count = Callable[[int], None]


class Tally:
    """Bytes relayed for one environment since this object was made (only ever grows)."""

    __slots__ = ("__weakref__", "bytes")

    def __init__(self) -> None:
        self.bytes = 0


class EgressMeter:
    """Every environment's `Tally`, found by id while anyone holds it."""

    def __init__(self) -> None:
        self._tallies: weakref.WeakValueDictionary[str, Tally] = weakref.WeakValueDictionary()

    def tally(self, environment_id: str) -> Tally:
        """The environment's tally: the one someone still holds, or a new one at zero."""
        found = self._tallies.get(environment_id)
        if found is None:
            found = self._tallies[environment_id] = Tally()
        return found

    def counters(self, environment_id: str, tenant: str) -> tuple[Count, Count]:
        """Counting functions for one connection: bytes sent upstream, bytes received from it."""
        tally = self.tally(environment_id)
        return _counting(tally, egress_bytes(tenant, "sent")), _counting(
            tally, egress_bytes(tenant, "received")
        )


def _counting(tally: Tally, metric: Count) -> Count:
    def count(size: int) -> None:
        tally.bytes += size
        metric(size)

    return count
