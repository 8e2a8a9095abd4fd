"""The port the interaction engine owns for agent-form interactions: `AgentRunner`.

The engine decides when an interaction runs, ends and resumes; running an agent turn in a sandbox
is someone else's job (`agent_run.SandboxAgentRunner`, over the runner channel). This protocol is
everything the engine asks of that side, so the engine never imports the channel or the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from orchestrator.interactions.recorder import Recorder
from orchestrator.store.interactions import InteractionRecord

__all__ = ["AgentRunner", "PreparedAgent"]


@dataclass(frozen=True)
class PreparedAgent:
    """What `prepare` decided at create time, handed back to `run` so the agent is resolved once."""

    environment_id: str
    """The environment the interaction runs in (chosen, or created, by `prepare`)."""
    chain: list[dict[str, Any]]
    """The agent and its `base_agent` chain, most specific first, as they were at create time."""


class AgentRunner(Protocol):
    """Runs an agent-form interaction in a sandbox (the runner channel implements it)."""

    async def prepare(
        self, tenant: str, request: dict[str, Any], previous_environment_id: str | None
    ) -> PreparedAgent:
        """At create time: resolve the agent and choose the environment (the previous interaction's,
        `previous_environment_id`, unless the request names one)."""
        ...

    async def close(self) -> None:
        """Release channels (server shutdown)."""
        ...

    async def run(
        self,
        tenant: str,
        record: InteractionRecord,
        recorder: Recorder,
        history: list[dict[str, Any]],
        prepared: PreparedAgent,
    ) -> tuple[str, list[dict[str, str]] | None]:
        """Drive the interaction to its end, as `prepared`; returns the final status and any errors."""
        ...

    async def resume(
        self, tenant: str, record: InteractionRecord, recorder: Recorder, history: list[dict[str, Any]]
    ) -> tuple[str, list[dict[str, str]] | None]:
        """Carry on, from its stored steps, an interaction a previous process started."""
        ...

    async def committed(self, interaction_id: str) -> None:
        """The interaction's ending is stored."""
        ...

    def expect(self, interaction_ids: list[str]) -> None:
        """At start-up, before any channel opens: these interactions will be resumed."""
        ...

    def detach(self) -> None:
        """Server shutdown: stop waiting for runners without cancelling their work."""
        ...
