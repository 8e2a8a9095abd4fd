"""Settings for a warm-pool sandbox whose runner started again (stop, resume) and claimed its token.

A pool container was made before its environment existed, so its variables are not in the container:
its runner asks for them over the socket after every start. The answer goes only to the runner
holding the environment's current runner token, and only when the row names that pool container;
this works after a server restart and with the pool turned off (sandboxes an earlier process took).
"""

from __future__ import annotations

from collections.abc import Callable

from agents.protocol import Assignment
from orchestrator.sandbox import SandboxBackend
from orchestrator.sandbox.backend import LABEL_PREFIX
from orchestrator.store import Store
from orchestrator.store.environments import EnvironmentRecord

__all__ = ["POOL_LABEL", "Reassignments"]

POOL_LABEL = f"{LABEL_PREFIX}pool"
"""On every pool container: the environment id it was made for."""


class Reassignments:
    """Answers a restarted pool sandbox's `assignment` call (the channel's `AssignmentSource`).

    Args:
        store: the environment rows and their runner tokens.
        backend: lists pool containers by label.
        runner_variables: the variables the runner side gives every sandbox of an environment.
    """

    def __init__(
        self,
        store: Store,
        backend: SandboxBackend,
        runner_variables: Callable[[EnvironmentRecord], dict[str, str]],
    ) -> None:
        self.store = store
        self.backend = backend
        self.runner_variables = runner_variables

    async def __call__(self, environment_id: str, token: str) -> Assignment | None:
        """The environment's variables, or None unless `token` and the container check out."""
        record = await self.store.environments.get_across_tenants(environment_id)
        if record is None or not record.sandbox_id:
            return None
        if not await self.store.environments.check_runner_token(record.tenant, record.id, token):
            return None
        listed = await self.backend.list({POOL_LABEL: environment_id})
        if not any(info.id == record.sandbox_id for info in listed):
            return None
        env = record.spec.variables
        env.update(self.runner_variables(record))
        return Assignment(env=env)
