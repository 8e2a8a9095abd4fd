"""`WarrenClient`: a small async client of Warren's API (the Managed Agents wire), for the CLI.

It groups the calls by noun: agents, environments and interactions here, workspace files in
`client_files`, the resuming event follower in `client_events`, all over one transport
(`client_transport`: one `httpx.AsyncClient`, errors as `ApiError` or `ConnectionFailed`).

    async with WarrenClient("http://127.0.0.1:8080", key) as client:
        agents = await client.list_agents()
"""

from __future__ import annotations

from orchestrator.cli.client_events import EventCalls
from orchestrator.cli.client_files import FileCalls
from orchestrator.cli.client_transport import Json

__all__ = ["TERMINAL", "WarrenClient"]

TERMINAL = frozenset({"completed", "failed", "cancelled", "requires_action", "incomplete", "budget_exceeded"})
"""Interaction statuses after which nothing more happens."""


class WarrenClient(FileCalls, EventCalls):
    """Calls Warren's API with one API key (arguments as `ApiTransport`)."""

    # ---- agents --------------------------------------------------------------------------------

    async def create_agent(self, spec: Json) -> Json:
        """Create an agent from its wire definition."""
        return await self.call_json("POST", f"/{self.version}/agents", json=spec)

    async def get_agent(self, agent_id: str) -> Json:
        """One agent."""
        return await self.call_json("GET", f"/{self.version}/agents/{agent_id}")

    async def list_agents(self) -> list[Json]:
        """Every agent of the tenant (all pages)."""
        return await self.pages(f"/{self.version}/agents", "agents")

    async def delete_agent(self, agent_id: str) -> None:
        """Delete a custom agent."""
        await self.call("DELETE", f"/{self.version}/agents/{agent_id}")

    # ---- environments --------------------------------------------------------------------------

    async def create_environment(self, spec: Json) -> Json:
        """Create an environment (its sandbox starts on first use)."""
        return await self.call_json("POST", f"/{self.version}/environments", json=spec)

    async def get_environment(self, environment_id: str) -> Json:
        """One environment."""
        return await self.call_json("GET", f"/{self.version}/environments/{environment_id}")

    async def list_environments(self) -> list[Json]:
        """Every environment of the tenant (all pages)."""
        return await self.pages(f"/{self.version}/environments", "environments")

    async def delete_environment(self, environment_id: str) -> None:
        """Destroy an environment's sandbox and workspace."""
        await self.call("DELETE", f"/{self.version}/environments/{environment_id}")

    async def stop_environment(self, environment_id: str) -> Json:
        """Stop an environment's sandbox, keeping its workspace (Warren extension)."""
        return await self.call_json("POST", f"/{self.version}/environments/{environment_id}:stop")

    async def resume_environment(self, environment_id: str) -> Json:
        """Start a stopped environment's sandbox again, workspace intact (Warren extension)."""
        return await self.call_json("POST", f"/{self.version}/environments/{environment_id}:resume")

    async def open_port(self, environment_id: str, port: int) -> Json:
        """Open a sandbox port at a preview URL; the answer has `url` and a signed `browser_url`."""
        path = f"/{self.version}/environments/{environment_id}/ports"
        return await self.call_json("POST", path, json={"port": port})

    async def close_port(self, environment_id: str, port: int) -> None:
        """Close a preview port (Warren extension)."""
        await self.call("DELETE", f"/{self.version}/environments/{environment_id}/ports/{port}")

    # ---- interactions --------------------------------------------------------------------------

    async def create_interaction(self, body: Json) -> Json:
        """Create an interaction (pass `background: true` to get it back at once)."""
        return await self.call_json("POST", f"/{self.version}/interactions", json=body)

    async def get_interaction(self, interaction_id: str) -> Json:
        """The stored interaction with its steps."""
        return await self.call_json(
            "GET", f"/{self.version}/interactions/{interaction_id}", params={"stream": "false"}
        )

    async def cancel_interaction(self, interaction_id: str) -> Json:
        """Cancel a running interaction."""
        return await self.call_json("POST", f"/{self.version}/interactions/{interaction_id}/cancel")

    # ---- shell ---------------------------------------------------------------------------------

    def shell_url(self, environment_id: str) -> str:
        """The WebSocket URL of an environment's shell (a Warren extension of the wire)."""
        scheme = "wss" if self.base_url.startswith("https") else "ws"
        host = self.base_url.split("://", 1)[1]
        return f"{scheme}://{host}/{self.version}/environments/{environment_id}/shell"
