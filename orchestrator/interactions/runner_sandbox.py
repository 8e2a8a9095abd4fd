"""The runner side of an environment's sandbox: what the environment service's `SandboxHook` port asks.

Every sandbox runs the runner as its main process with the channel socket mounted; its start arms
one claim of a fresh runner token on the hub (no credential is ever put in a sandbox's environment:
every process there, and `docker exec`, would inherit it). Variables that point tools at the egress
forwarder are set only when the environment has an allowlist. Every sandbox trusts the Warren CA
(`egress.trust`): the proxy's intercepted hosts present certificates from it.
"""

from __future__ import annotations

import asyncio

from agents.protocol import (
    EGRESS_SOCKET_ENV,
    EGRESS_SOCKET_NAME,
    FORWARDER_PORT,
    SOCKET_ENV,
    SOCKET_PATH,
)
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.server import ChannelServers
from orchestrator.egress.swaps import placeholder_variables
from orchestrator.egress.trust import sandbox_trust
from orchestrator.environments.ports import SandboxExtras
from orchestrator.skills import SkillStore, agent_skill_set
from orchestrator.store import Store
from orchestrator.store.environments import EnvironmentRecord

__all__ = ["RUNNER_COMMAND", "RunnerSandboxes", "runner_variables"]

PARK_WAIT_S = 3.0
"""How long a pause waits for the runner to let go of the channel before stopping the sandbox instead."""
RUNNER_COMMAND = ("python", "-P", "-S", "-m", "agents.boot")
"""Every agent sandbox's main process. `-S`: no `site` (`agents.boot` puts the environment's packages
on the path; ~60 ms of a fresh gVisor sandbox). `-P`: the working folder (`/workspace`, which the agent's code
writes and which outlives a restart) is not put first on the import path, so a `json.py` left there
is never imported into the process that claims the channel's credential (and no import looks there)."""
_SOCKET_DIR = SOCKET_PATH.rsplit("/", 1)[0]
_LOCAL = "localhost,127.0.0.1"


def runner_variables(record: EnvironmentRecord) -> dict[str, str]:
    """The variables every sandbox of `record` gets from the runner side (never a credential: a
    variable that names one holds its placeholder, which the egress proxy swaps where allowed)."""
    env = placeholder_variables(record.spec.env) | {SOCKET_ENV: SOCKET_PATH}
    if record.spec.egress_allowlist is not None:  # egress through the proxy: its variables
        proxy = f"http://127.0.0.1:{FORWARDER_PORT}"
        env |= {name: proxy for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
        env |= {"NO_PROXY": _LOCAL, "no_proxy": _LOCAL}
        env[EGRESS_SOCKET_ENV] = f"{_SOCKET_DIR}/{EGRESS_SOCKET_NAME}"
    return env


class RunnerSandboxes:
    """Implements `environments.ports.SandboxHook` for agent sandboxes.

    Args:
        store: environment rows and their runner tokens.
        hub: arms and disarms each start's one claim.
        channels: the per-environment socket folders and servers.
        skills: where the agent's skills are found.
    """

    def __init__(self, store: Store, hub: RunnerHub, channels: ChannelServers, skills: SkillStore) -> None:
        self.store = store
        self.hub = hub
        self.channels = channels
        self.skills = skills

    async def extras(self, record: EnvironmentRecord) -> SandboxExtras:
        """New sandboxes run the runner (channel socket; no credential), trust the Warren CA and
        show the agent's skills."""
        egress = self.channels.egress
        trust_mounts, trust_env = sandbox_trust(egress.ca if egress is not None else None)
        return SandboxExtras(
            mounts=(self.channels.mount(record.id), *trust_mounts),
            env=trust_env | runner_variables(record),
            command=RUNNER_COMMAND,
            skills=await agent_skill_set(self.store, self.skills, record.tenant, record.id),
        )

    async def starting(self, record: EnvironmentRecord) -> None:
        """The sandbox is about to start: its runner may claim a fresh token once (older ones die)."""

        async def issue() -> str:
            return await self.store.environments.issue_runner_token(record.tenant, record.id)

        self.hub.arm(record.id, issue)

    async def not_started(self, record: EnvironmentRecord) -> None:
        """The start failed: close the claim it opened."""
        self.hub.disarm(record.id)

    async def released(self, record: EnvironmentRecord) -> None:
        """Stop the deleted environment's channel and remove its socket folder."""
        await self.channels.close(record.id)

    def stopped(self, environment_id: str) -> None:
        """The sandbox stopped (or was paused): drop its runner's long polls, so they cannot take the
        next turn."""
        self.channels.drop_polls(environment_id)

    async def parking(self, environment_id: str) -> bool:
        """Order the runner off the channel and wait (up to `PARK_WAIT_S`) until it took the order
        and no connection to its socket is open: a connection left open would fail the checkpoint."""
        taken = self.hub.park(environment_id)
        started = asyncio.get_running_loop().time()
        try:
            await asyncio.wait_for(taken.wait(), PARK_WAIT_S)
        except TimeoutError:
            return False
        left = PARK_WAIT_S - (asyncio.get_running_loop().time() - started)
        return await self.channels.idle(environment_id, max(left, 0.0))
