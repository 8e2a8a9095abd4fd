"""A turn's budget check (steps, wall clock, tokens), in one home for both sides of the channel.

The orchestrator runs it before every model call, since the sandbox is not trusted to; the runner runs
the same check to save a step it would be refused. Pure (stdlib and `agents.protocol`), so the
orchestrator may import it and it can be tested and mutated on its own.
"""

from __future__ import annotations

import time

from agents.protocol import Budget

__all__ = ["over_budget"]


def over_budget(budget: Budget, turn: int, started: float, tokens: int) -> str | None:
    """Why the next model call would break the turn's budget, or None.

    Args:
        budget: the turn's limits.
        turn: model calls already made in the turn (the next call is number `turn + 1`).
        started: when the turn started, on the `time.monotonic` clock.
        tokens: tokens the turn's model calls used so far.
    """
    if turn >= budget.max_steps:
        return f"step budget of {budget.max_steps} model calls reached"
    if time.monotonic() - started > budget.max_wall_s:
        return f"wall-clock budget of {budget.max_wall_s:.0f}s reached"
    if budget.max_total_tokens is not None and tokens >= budget.max_total_tokens:
        return f"token budget of {budget.max_total_tokens} reached ({tokens} used)"
    return None
