"""What one runner channel may cost the orchestrator: connections, time, bytes and store lookups.

Everything on a channel socket comes from inside a sandbox, so it is hostile (issue 13, HIGH 3 and
HIGH 5): 2,000 half-sent request lines held the orchestrator's file descriptors until `/healthz`
failed, and a 400 MiB step took it from 110 MB to 1.24 GB. The figures here bound each channel, and
a process-wide budget bounds all of them together, so every sandbox at once still cannot eat the
descriptors the public API and the store need.
"""

from __future__ import annotations

import logging
import resource
import time
from dataclasses import dataclass, field

from agents.protocol import MAX_STEP_BYTES

__all__ = ["ChannelLimits", "ConnectionBudget", "Throttle", "channel_share", "raise_open_file_limit"]

log = logging.getLogger("orchestrator.channel")


@dataclass(frozen=True)
class ChannelLimits:
    """The bounds of one environment's channel socket."""

    max_connections: int = 32
    """Open connections one channel socket holds; more are answered 503 and closed at accept. A
    runner uses at most four at once (long poll, step, control poll, finish)."""
    head_timeout_s: float = 10.0
    """Seconds from a connection's start (or a request's first byte) to the end of its head."""
    body_timeout_s: float = 30.0
    """Seconds from the end of a head to the end of its body (16 MiB over a Unix socket takes
    milliseconds; this only ends a body that trickles or stalls)."""
    idle_timeout_s: int = 5
    """Seconds a keep-alive connection may sit idle between requests before it is closed."""
    max_head_bytes: int = 64 * 1024
    """Bytes of one request head (request line and headers); past it the connection is closed."""
    max_body_bytes: int = MAX_STEP_BYTES
    """Bytes of one request body, counted as it streams; past it, 413."""
    max_bodies: int = 2
    """Requests with a body (step, finish) one channel handles at once: a runner sends one at a time,
    so this bounds the bodies in memory per sandbox to `max_bodies * max_body_bytes`."""
    lookups_per_s: float = 1.0
    """Store or engine lookups (an unknown token, a restarted pool sandbox's secret) per second per
    channel once `lookup_burst` is spent; past it, 503 at once (the runner retries 5xx)."""
    lookup_burst: int = 5
    """Lookups a channel may make back to back."""
    frames_per_s: float = 10.0
    """Frames of the browser page (`POST /runner/v1/frames`) per second per channel, after a burst
    of as many; past it, 429 before the body is read (the runner sends at most 5 a second)."""


@dataclass
class ConnectionBudget:
    """Open channel connections across every channel socket of this process."""

    limit: int
    """The most channel connections open at once."""
    open: int = 0
    """Channel connections open now."""

    def take(self) -> bool:
        """Count one more connection; False (and nothing counted) when the budget is spent."""
        if self.open >= self.limit:
            return False
        self.open += 1
        return True

    def give(self) -> None:
        """A counted connection closed."""
        self.open -= 1


@dataclass
class Throttle:
    """A token bucket: `rate` actions per second after a burst of `burst`."""

    rate: float
    burst: int
    _tokens: float = field(init=False)
    _stamp: float = field(init=False, default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)

    def allow(self) -> bool:
        """Spend one token if there is one."""
        now = time.monotonic()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


def raise_open_file_limit() -> int:
    """Raise this process's soft `RLIMIT_NOFILE` to its hard limit; returns the soft limit now.

    The default soft limit (often 1,024) is far below what the kernel allows the process; every
    sandbox's sockets and every API client's connection draw on the same table.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == hard:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as exc:  # a container may forbid it: keep what we have
        log.warning("could not raise the open-file limit from %d to %d: %s", soft, hard, exc)
        return soft
    return hard


def channel_share() -> int:
    """The channel connections this process allows at once: a quarter of its open-file limit.

    The other three quarters stay for the public API's clients, the store, the Docker engine, the
    egress proxy and the listening sockets themselves, whatever every sandbox does.
    """
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(soft // 4, 64)
