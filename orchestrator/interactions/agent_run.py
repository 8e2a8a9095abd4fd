"""Agent-form interactions: pick the environment, start its runner, hand it the turn.

At create time (`prepare`) the agent is resolved and the environment chosen or created, so the row
exists before any container does. At run time the environment's sandbox is started with the runner
as its main process and the channel socket mounted, and the turn goes through the `RunnerHub`.

No credential is put in a sandbox's environment (every process there, and `docker exec`, would
inherit it): each start arms one claim on the hub, and the runner claims a fresh token over the
socket as the sandbox's first process.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from agents.model_types import GenerationConfig, ModelRequest
from agents.protocol import Budget
from orchestrator.catalog import PRESETS, AgentAliases, merged, resolve_agent
from orchestrator.channel.errors import RunnerLost
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.server import ChannelServers
from orchestrator.channel.turn import Resumed, answers_of
from orchestrator.environments.service import EnvironmentService
from orchestrator.errors import InvalidArgument, NotFound
from orchestrator.gateway.errors import UnknownProviderError
from orchestrator.interactions.agent_tools import AgentTools, agent_tools
from orchestrator.interactions.approvals import carried_calls
from orchestrator.interactions.history import to_messages
from orchestrator.interactions.model_settings import agent_config, check_supported
from orchestrator.interactions.ports import PreparedAgent
from orchestrator.interactions.recorder import Recorder
from orchestrator.interactions.sandbox_watch import SandboxEnded, SandboxWatch, WallClockExceeded
from orchestrator.interactions.web_tools import WebTools
from orchestrator.interactions.work_item import model_of, work_item
from orchestrator.mcp_tools import McpClient, McpError
from orchestrator.store import Store
from orchestrator.store.environment_spec import EnvironmentSpec
from orchestrator.store.interactions import InteractionRecord

__all__ = ["SandboxAgentRunner"]

_RESULT_STEPS = ("function_result", "code_execution_result")
_ENV_FIELDS = ("mode", "network", "sources", "custom_config", "env")


class SandboxAgentRunner:
    """Runs agent interactions in their environments' sandboxes.

    Args:
        store: the database.
        environments: makes and starts the sandboxes (its hook is `RunnerSandboxes`).
        hub: hands turns to runners and records their steps.
        channels: the per-environment channel servers.
        budget: default budgets; an agent's or interaction's `agent_config` overrides them.
        aliases: agent names that stand for others (Google's presets, `WARREN_AGENT_ALIASES`).
        mcp: connects to `mcp_server` tools' servers (listed at each turn's start, run by the hub).
        web: the orchestrator's `url_context` (run by the hub), when the operator allows some URLs.
    """

    def __init__(
        self,
        store: Store,
        environments: EnvironmentService,
        hub: RunnerHub,
        channels: ChannelServers,
        budget: Budget | None = None,
        aliases: AgentAliases = PRESETS,
        hooks_fail_closed: bool = False,
        mcp: McpClient | None = None,
        web: WebTools | None = None,
    ):
        self.store = store
        self.mcp = mcp
        self.web = web
        self.budget = budget or Budget()
        self.hooks_fail_closed = hooks_fail_closed
        self.environments = environments
        self.hub = hub
        self.channels = channels
        self.aliases = aliases

    async def close(self) -> None:
        """Stop every channel server (shutdown)."""
        await self.channels.close_all()

    async def _channel(self, tenant: str, environment_id: str) -> None:
        async def check(token: str) -> bool:
            return await self.store.environments.check_runner_token(tenant, environment_id, token)

        await self.channels.ensure(environment_id, check)

    # ---- create time ---------------------------------------------------------------------------

    async def prepare(
        self, tenant: str, request: dict[str, Any], previous_environment_id: str | None
    ) -> PreparedAgent:
        """Resolve the agent, choose the environment, check the tenant's sandbox cap, and create the
        environment when the choice is a new one. `run` gets the result: nothing is resolved twice.

        The one place that decides an interaction's environment: the request's `environment` (an id,
        or an inline config), else the previous interaction's, else a new one from the agent's
        `base_environment`.

        Raises:
            InvalidArgument: a model setting the agent's model cannot honour (`model_settings`).
            NotFound: the agent, or a named environment, does not exist for this tenant.
            QuotaExceeded: the interaction would need a sandbox past the tenant's cap (429, nothing stored).
        """
        chain = await resolve_agent(self.store, tenant, request["agent"], aliases=self.aliases)
        self._check_settings(request, chain)  # before anything is made
        choice = await self._choose(tenant, request, chain, previous_environment_id)
        if isinstance(choice, str):
            await self.environments.check_sandbox_quota(tenant, choice)
            return PreparedAgent(choice, chain)
        await self.environments.check_sandbox_quota(tenant, None)
        record = await self.environments.create(tenant, EnvironmentSpec(**choice))
        return PreparedAgent(record.id, chain)

    def _check_settings(self, request: dict[str, Any], chain: list[dict[str, Any]]) -> None:
        """Refuse a requested model nothing serves, and model settings (safety settings, structured
        output) the agent's model cannot honour, before anything is stored."""
        config = agent_config(request)
        asked = bool((request.get("agent_config") or {}).get("model"))
        if config == GenerationConfig() and not asked:
            return  # the agent's own model was checked when the agent (or the server) was set up
        try:
            provider = self.hub.gateway.resolve(model_of(request, chain))
        except UnknownProviderError as exc:
            raise InvalidArgument(str(exc), field="agent_config.model") from exc
        check_supported(provider, ModelRequest(config=config), request)

    async def _choose(
        self, tenant: str, request: dict[str, Any], chain: list[dict[str, Any]], previous: str | None
    ) -> str | dict[str, Any]:
        """An existing environment's id, or the spec of a new one."""
        wanted = request.get("environment")
        if wanted is None and previous:
            return previous
        if wanted is None:
            wanted = merged(chain, "base_environment")
        if isinstance(wanted, str):
            return await self._existing(tenant, wanted, "environment")
        wanted = dict(wanted or {})
        if wanted.get("environment_id"):
            return await self._existing(tenant, wanted["environment_id"], "environment.environment_id")
        return {name: wanted[name] for name in _ENV_FIELDS if wanted.get(name) is not None}

    async def _existing(self, tenant: str, environment_id: str, field: str) -> str:
        environment_id = environment_id.removeprefix("environments/")
        if await self.store.environments.get(tenant, environment_id) is None:
            raise NotFound(f"no environment {environment_id!r}", field=field)
        return environment_id

    # ---- run time ------------------------------------------------------------------------------

    async def run(
        self,
        tenant: str,
        record: InteractionRecord,
        recorder: Recorder,
        history: list[dict[str, Any]],
        prepared: PreparedAgent,
    ) -> tuple[str, list[dict[str, str]] | None]:
        """Drive the interaction in its sandbox as `prepare` left it; returns the final status and errors."""
        try:
            tools = await agent_tools(self.mcp, self.web, record.request, prepared.chain)
        except McpError as exc:
            return "failed", [{"code": "mcp_server_error", "message": str(exc)}]
        return await self._drive(tenant, record, recorder, history, prepared.chain, None, tools)

    async def resume(
        self, tenant: str, record: InteractionRecord, recorder: Recorder, history: list[dict[str, Any]]
    ) -> tuple[str, list[dict[str, str]] | None]:
        """Carry on an interaction a previous server process started, from its stored steps.

        `history` ends with the interaction's own stored steps (`recorder.inputs` then the rest).
        The runner in the still-running sandbox retries its last request until this process
        answers; the answers it already had are replayed from the store, never re-made.
        """
        own = to_messages(history[len(history) - len(recorder.inputs) - len(recorder.steps) :])
        chain = await resolve_agent(self.store, tenant, str(record.agent), aliases=self.aliases)  # resumed
        try:
            tools = await agent_tools(self.mcp, self.web, record.request, chain)
        except McpError as exc:
            return "failed", [{"code": "mcp_server_error", "message": str(exc)}]
        resumed = Resumed(
            answers=answers_of(own, tools.owns),
            reported={s["call_id"] for s in recorder.steps if s.get("type") in _RESULT_STEPS},
        )
        return await self._drive(tenant, record, recorder, history, chain, resumed, tools)

    async def committed(self, interaction_id: str) -> None:
        """The interaction's ending is stored: the runner's finish call may return."""
        self.hub.committed(interaction_id)

    def expect(self, interaction_ids: list[str]) -> None:
        """At start-up: these interactions will be resumed; hold their runners until then."""
        self.hub.expect(interaction_ids)

    def detach(self) -> None:
        """Server shutdown: leave runners at work, so their interactions resume after a restart."""
        self.hub.detach()

    async def _drive(
        self,
        tenant: str,
        record: InteractionRecord,
        recorder: Recorder,
        history: list[dict[str, Any]],
        chain: list[dict[str, Any]],
        resumed: Resumed | None,
        tools: AgentTools,
    ) -> tuple[str, list[dict[str, str]] | None]:
        assert record.environment_id is not None
        recorder.mcp_names = dict(tools.mcp.names)
        await self._channel(tenant, record.environment_id)
        self.hub.announce(record.environment_id)  # a warm-pool sandbox's assignment carries the turn
        sandbox_id = await self.environments.sandbox(tenant, record.environment_id)  # a no-op if it runs
        egress = self.channels.egress  # its tally of the environment: the turn's egress bytes
        tally = None if egress is None else egress.meter.tally(record.environment_id)
        watch = SandboxWatch(self.environments.backend, sandbox_id, tally)
        watch.start()
        work = work_item(record, chain, self.budget)
        own = len(recorder.inputs) + len(recorder.steps)
        carried = carried_calls(history, own, work.builtin_tools)
        if resumed is not None:
            work.first_turn = len(resumed.answers)
            carried = [c for c in carried if c.call.id not in resumed.reported]
        work = work.model_copy(update={"hooks_fail_closed": self.hooks_fail_closed, "carried": carried})
        model, conversation = model_of(record.request, chain), to_messages(history)
        try:
            report = await watch.bounded(
                self.hub.run(
                    record.environment_id,
                    model,
                    work,
                    recorder,
                    conversation,
                    resumed,
                    tenant=tenant,
                    revive=partial(self._revive, tenant, record.environment_id, watch),
                    verdict=watch.verdict,
                    server_tools=tools if tools else None,
                ),
                work.budget.max_wall_s,
            )
        except RunnerLost as exc:
            return "failed", [{"code": "runner_lost", "message": str(exc)}]
        except SandboxEnded as exc:
            return "failed", [{"code": exc.code, "message": exc.message}]
        except WallClockExceeded as exc:
            return "failed", [{"code": "wall_clock_limit", "message": str(exc)}]
        finally:
            recorder.warren_usage = await watch.account(self.store, tenant, record.environment_id)
        if watch.reason is not None and report.outcome == "failed":
            return "failed", [{"code": watch.reason[0], "message": watch.reason[1]}]
        if report.outcome in ("failed", "budget_exceeded", "incomplete") and report.error:
            return report.outcome, [{"code": report.outcome, "message": report.error}]
        return report.outcome, None

    async def _revive(self, tenant: str, environment_id: str, watch: SandboxWatch) -> bool:
        """Start the environment's sandbox again if it stopped; whether it did. A sandbox that died of
        why a command dies (under gVisor the memory limit covers the whole sandbox) ends the turn with
        that code instead; the next turn starts it again."""
        if await self.environments.running(tenant, environment_id):
            return False
        if (reason := await watch.verdict()) is not None:
            raise SandboxEnded(*reason)
        await self.environments.sandbox(tenant, environment_id)
        return True
