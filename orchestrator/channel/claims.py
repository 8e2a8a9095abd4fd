"""The runner credential's claim: armed once per sandbox start, taken by the first ask.

The runner is the sandbox's first process, so it asks first; every later claim (code the model
runs, racing the runner) is refused, and code the model runs cannot become the runner.
"""

from __future__ import annotations

from orchestrator.channel.ports import Issuer

__all__ = ["Claims"]


class Claims:
    """One open claim per environment at most."""

    def __init__(self) -> None:
        self._armed: dict[str, Issuer] = {}

    def arm(self, environment_id: str, issue: Issuer) -> None:
        """The environment's sandbox is about to start: its runner may claim a credential, once."""
        self._armed[environment_id] = issue

    def disarm(self, environment_id: str) -> None:
        """The sandbox did not start after all: no claim is open."""
        self._armed.pop(environment_id, None)

    async def claim(self, environment_id: str) -> str | None:
        """The credential of the runner that asks first after `arm`; None for every later ask."""
        issue = self._armed.pop(environment_id, None)  # first claim wins: nothing awaited before
        return None if issue is None else await issue()
