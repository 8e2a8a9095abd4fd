"""What one channel socket checks, which its owner may change while it is served.

A warm-pool sandbox's socket is served before its environment exists: no token works yet, and its
runner waits for `pending`, the environment's assignment. Once assigned (or for an ordinary
environment from the start) the token check is the environment's; tokens it accepted are kept so
a known token costs no store lookup, and a claim or reassignment clears them at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from agents.protocol import Assignment

__all__ = ["AssignmentSource", "Binding", "TokenCheck", "refuse_every_token"]

TokenCheck = Callable[[str], Awaitable[bool]]
"""Whether a runner token is the environment's current one (a store lookup)."""
AssignmentSource = Callable[[str, str], Awaitable[Assignment | None]]
"""`(environment id, pool secret)` -> a fresh assignment for a restarted warm-pool sandbox, or None."""


async def refuse_every_token(token: str) -> bool:
    """The token check of a pool slot that has no environment yet."""
    return False


@dataclass
class Binding:
    """What one socket server checks: the token check, and a warm-pool sandbox's pending assignment."""

    check: TokenCheck
    accepted: set[str] = field(default_factory=set)
    """Tokens already checked against the store."""
    secret: str | None = None
    """The pool secret of the sandbox waiting for `pending`."""
    pending: asyncio.Future[Assignment] | None = None
    """Set while a warm-pool sandbox waits for its first assignment."""
    asked: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once a runner asked for its assignment (a pool slot is ready from then on)."""
