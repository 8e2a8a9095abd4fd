"""The hub's refusals, each mapped by the channel's routes to one status the runner understands.

`ChannelError` is 409 (the runner stops working on the turn), `ChannelBusy` 503 (it retries), and
`RunnerLost` ends the interaction that waited for a silent runner.
"""

from __future__ import annotations

__all__ = ["ChannelBusy", "ChannelError", "RunnerLost"]


class ChannelError(LookupError):
    """The runner named an interaction that is not running in its environment, or a step out of order."""


class ChannelBusy(RuntimeError):
    """The interaction is about to be resumed (start-up): the runner should retry shortly."""


class RunnerLost(RuntimeError):
    """The environment's runner went silent (its sandbox was removed or stopped, or it is stuck)."""
