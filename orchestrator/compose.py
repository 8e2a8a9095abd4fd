"""The composition root: every service built once, with its collaborators passed to its constructor.

`warren serve`, the embedded server of `warren run`, the demo, the benchmarks and the tests all get
their app from `build_app`. The services open inside the app's lifespan (the store needs the
server's event loop), through `running`, which also starts and stops the background work in order.
Nothing here is wired by assigning attributes after construction: the one cycle of needs (a
restarted warm-pool sandbox asks the channel for variables the runner side computes) is broken by
`runner_variables` being a pure function of the environment's row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from starlette.routing import Route

from agents.protocol import Budget
from orchestrator.address_allowance import AddressAllowance
from orchestrator.api.app import create_app
from orchestrator.api.deps import Services
from orchestrator.api.shared_ratelimit import build_limiter
from orchestrator.api.shell_slots import ShellSlots
from orchestrator.catalog import AgentAliases
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.server import ChannelServers
from orchestrator.config import Settings
from orchestrator.datadir import private_folder, private_sqlite_files
from orchestrator.egress import EgressPolicy, EgressProxy, Resolver
from orchestrator.environments.pool import WarmPool
from orchestrator.environments.preview import PreviewService
from orchestrator.environments.preview_links import PreviewLinks
from orchestrator.environments.reassign import Reassignments
from orchestrator.environments.service import EnvironmentService
from orchestrator.environments.site import SandboxSite, store_labels
from orchestrator.environments.sources import Sources
from orchestrator.environments.uploads import UploadSessions
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.gateway.retry import RetryPolicy
from orchestrator.interactions.agent_run import SandboxAgentRunner
from orchestrator.interactions.code_sandbox import EnvironmentCodeSandboxes
from orchestrator.interactions.replica import Replica
from orchestrator.interactions.runner_sandbox import RUNNER_COMMAND, RunnerSandboxes, runner_variables
from orchestrator.interactions.service import InteractionService
from orchestrator.interactions.takeover import Takeover
from orchestrator.interactions.usage import UsageMeter
from orchestrator.interactions.web_pages import EgressPageFetcher
from orchestrator.interactions.web_search import SearxSearch
from orchestrator.interactions.web_tools import WebTools
from orchestrator.lifecycle import Lifecycle
from orchestrator.mcp_server.http import MCP_PATH, McpEndpoint
from orchestrator.mcp_tools import McpClient
from orchestrator.observability import metrics, tracing
from orchestrator.observability.metrics import QUEUE_DEPTH, SANDBOXES
from orchestrator.quotas import check_token_quota, in_run_token_quota
from orchestrator.sandbox import DockerBackend
from orchestrator.sandbox.runtimes import choose_runtime
from orchestrator.scheduler import Scheduler, TierAging
from orchestrator.store import Store
from orchestrator.store.retention import run_retention
from orchestrator.store.sealing import Sealer, load_key
from orchestrator.triggers.service import TriggerService
from orchestrator.webhooks.compose import build_webhooks

__all__ = ["build_app", "build_services", "running"]

log = logging.getLogger("orchestrator.compose")


def build_app(settings: Settings | None = None) -> FastAPI:
    """The whole server: the API whose lifespan runs `running(settings)`. Importing touches nothing.

    It also serves MCP at `/mcp` (`orchestrator/mcp_server/http.py`), whose tools call this same app
    in-process with the caller's key; its session manager runs inside the lifespan, after the services.
    """
    settings = settings or Settings.from_env()
    mcp = McpEndpoint()

    @contextlib.asynccontextmanager
    async def serving() -> AsyncIterator[Services]:
        async with running(settings) as services, mcp.running(app):
            yield services

    app = create_app(settings, serving)
    app.router.routes.insert(0, Route(MCP_PATH, endpoint=mcp))  # before any catch-all route
    return app


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Services]:
    """Build the services, start their background work, and on exit stop it all in order."""
    tracing.start()  # only when the OTEL_* variables name an exporter endpoint
    metrics.counting(settings.metrics)
    services = await build_services(settings)
    retention = asyncio.create_task(
        run_retention(services.store.db, every_s=3600, older_than=timedelta(days=settings.retention_days))
    )
    services.interactions.usage.start()
    replica = services.interactions.replica
    interactions = services.interactions
    takeover = None if replica is None else Takeover(replica, interactions.recover, interactions.cancel_run)
    if takeover is not None:
        await takeover.register()  # before recovery, which claims as this replica
    lifecycle = Lifecycle(
        services.store,
        services.environments,
        idle_stop_s=settings.idle_stop_s,
        keep_memory=settings.idle_keep_memory,
        every_s=settings.lifecycle_interval_s,
        grace_s=settings.orphan_grace_s,
        recover=services.interactions.recover,
        replica=replica,
    )
    await lifecycle.start()  # fails the previous process's interactions, reaps its strays
    if takeover is not None:
        takeover.start()  # heartbeats, and dead replicas' interactions taken over
    pool = services.environments.pool if services.environments is not None else None
    if pool is not None:
        await pool.start()  # fills in the background
    assert services.triggers is not None
    firing = asyncio.create_task(services.triggers.run_forever(settings.trigger_tick_s))
    if services.webhook_deliverer is not None:
        services.webhook_deliverer.start()
    try:
        yield services
    finally:
        if takeover is not None:
            takeover.stop_taking()  # the heartbeat goes on while running interactions drain
        if pool is not None:
            await pool.close()  # its unused sandboxes go; assigned ones are their environments'
        await lifecycle.close()
        retention.cancel()
        firing.cancel()
        await asyncio.wait({retention, firing})  # both end before the store closes under them
        await services.triggers.close()
        if services.webhook_deliverer is not None:
            await services.webhook_deliverer.close()
        await services.interactions.shutdown(settings.shutdown_grace_s)
        await services.interactions.usage.close()
        if services.interactions.agent_runner is not None:
            await services.interactions.agent_runner.close()
        if takeover is not None:
            await takeover.close()  # the leases left go now: another replica resumes them at once
        await services.store.close()
        tracing.flush()


async def build_services(settings: Settings) -> Services:
    """Open the store and build every service the routes use."""
    store = await _open_store(settings)
    scheduler = Scheduler(
        settings.max_running,
        settings.max_running_per_tenant,
        settings.max_queued_per_tenant,
        aging=TierAging(step_s=settings.tier_aging_s, deferred_s=settings.deferred_aging_s),
    )
    QUEUE_DEPTH.set_function(scheduler.depth)  # read at each scrape
    policy = RetryPolicy(call_timeout_s=settings.model_call_timeout_s, deadline_s=settings.model_deadline_s)
    scripts = [settings.scripts_dir] if settings.scripts_dir is not None else []
    bare = (settings.default_provider, settings.model_aliases)
    gateway = ProviderRegistry(policy=policy, scripts_dirs=scripts, bare=bare)
    usage = UsageMeter(store)
    replica = None
    if store.db.dialect == "postgresql":  # on SQLite one process owns every interaction
        replica = Replica(store, settings.replica_beat_s, settings.replica_dead_after_s)
    environments, agent_runner = None, None
    if settings.sandboxes:
        environments, agent_runner = await _agent_sandboxes(settings, store, gateway, usage, replica)
    code = None if environments is None else _model_code(settings, environments)
    hooks = await build_webhooks(settings, store)
    interactions = InteractionService(
        store,
        gateway,
        scheduler,
        agent_runner=agent_runner,
        usage=usage,
        code=code,
        events=hooks.events,
        web=_model_web(settings),
        mcp=McpClient(_orchestrator_resolver(settings)),
        replica=replica,
    )

    async def token_quota(tenant: str) -> None:
        await check_token_quota(
            store, usage, tenant, settings.tenant_token_limit, settings.tenant_token_window_s
        )

    triggers = TriggerService(
        store,
        interactions,
        lambda: datetime.now(UTC),
        on_execution_end=[hooks.service.execution_ended],
        quota=token_quota,
        max_per_tenant=settings.trigger_max_per_tenant,
    )
    return Services(
        settings=settings,
        store=store,
        interactions=interactions,
        environments=environments,
        uploads=UploadSessions(
            settings.max_body_bytes, settings.max_open_uploads, idle_ttl_s=settings.upload_idle_s
        ),
        limiter=build_limiter(store, settings.rate_limit_per_s, settings.rate_limit_burst),
        shells=ShellSlots(settings.max_shells_per_environment, settings.max_shells_per_tenant),
        triggers=triggers,
        webhooks=hooks.service,
        webhook_deliverer=hooks.deliverer,
        agent_aliases=AgentAliases(settings.agent_aliases),
        previews=None if environments is None else await _previews(settings, store, environments),
        frames=None if agent_runner is None else agent_runner.hub.frames,
    )


async def _previews(settings: Settings, store: Store, environments: EnvironmentService) -> PreviewService:
    """Preview URLs, their links signed with a key derived from the installation's key."""
    configured = settings.secret_key.get_secret_value() if settings.secret_key is not None else None
    links = PreviewLinks(
        await asyncio.to_thread(load_key, settings.data_dir, configured), settings.preview_link_ttl_s
    )
    per_environment = settings.max_preview_connections_per_environment
    per_tenant = settings.max_preview_connections_per_tenant
    return PreviewService(store, environments, links, per_environment, per_tenant, settings.preview_idle_s)


def _model_code(settings: Settings, environments: EnvironmentService) -> EnvironmentCodeSandboxes:
    """The model form's `code_execution`: environments on the same site and cap, with no runner."""
    bare = EnvironmentService(
        environments.store,
        environments.site,
        environments.sources,
        max_sandboxes=settings.tenant_max_sandboxes,
    )
    return EnvironmentCodeSandboxes(bare)


def _model_web(settings: Settings) -> WebTools:
    """The model form's `url_context` (the operator's URL allowlist) and `google_search` (its backend),
    both leaving through the egress address rules; an unconfigured one is None (refused at create)."""
    resolver = _orchestrator_resolver(settings)
    domains = [{"domain": domain} for domain in settings.model_url_allowlist]
    pages = EgressPageFetcher(resolver, EgressPolicy.from_entries(domains)) if domains else None
    search = SearxSearch(settings.search_url, resolver) if settings.search_url else None
    return WebTools(pages, search)


def _orchestrator_resolver(settings: Settings) -> Resolver:
    """The egress address rules for connections the orchestrator itself makes (web tools, MCP)."""
    allow = [AddressAllowance.parse(item) for item in settings.egress_allow_addresses]
    return Resolver(allow=allow, hosts=dict(settings.egress_hosts))


async def _open_store(settings: Settings) -> Store:
    """The store, with the data folder private and credential secrets sealed by the installation's key."""
    url = settings.database_url or f"sqlite+aiosqlite:///{settings.data_dir / 'warren.db'}"
    sealer = await asyncio.to_thread(_private_data, settings, url)
    store = await Store.open(url, sealer=sealer)
    if sealed := await store.credentials.seal_unsealed():
        log.warning("sealed %d credential secrets stored in plain text by an older version", sealed)
    return store


def _private_data(settings: Settings, url: str) -> Sealer:
    """The data folder 0700, the SQLite files 0600, and the sealer of the installation's key."""
    private_folder(settings.data_dir)
    private_sqlite_files(url)
    configured = settings.secret_key.get_secret_value() if settings.secret_key is not None else None
    return Sealer(load_key(settings.data_dir, configured))


async def _docker_backend(settings: Settings) -> DockerBackend:
    """The local Docker engine, with the configured image (built now when none is named)."""
    image = settings.sandbox_image
    if image is None:
        from orchestrator.sandbox.image import build_image

        image = (await asyncio.to_thread(build_image)).sandbox
    return DockerBackend(
        image=image,
        workspace_bytes=settings.workspace_bytes,
        workspace_dir=settings.workspace_dir,
        extra_labels=settings.sandbox_labels,
        threads=settings.docker_threads,
    )


async def _agent_sandboxes(
    settings: Settings, store: Store, gateway: ProviderRegistry, usage: UsageMeter, replica: Replica | None
) -> tuple[EnvironmentService, SandboxAgentRunner]:
    """Environments with sandboxes, and the runner side that drives agents in them."""
    backend = await _docker_backend(settings)
    runtime = choose_runtime(settings.runtime, await backend.runtimes())
    site = SandboxSite(backend, store_labels(store.db.url), runtime=runtime)
    sources = Sources.from_settings(settings)
    quota = in_run_token_quota(store, usage, settings.tenant_token_limit, settings.tenant_token_window_s)
    hub = RunnerHub(gateway, runner_timeout_s=settings.runner_timeout_s, quota=quota)
    channels = ChannelServers(
        hub,
        settings.data_dir / "run",
        egress=EgressProxy.from_settings(store, settings, trace_of=hub.trace_of),
        assignments=Reassignments(store, backend, runner_variables),  # restarted pool sandboxes
    )
    pool = None
    if settings.pool_size > 0 and sources.skills.bundled_dir is not None:
        pool = WarmPool(
            store,
            site,
            sources.skills,
            channels,
            settings.data_dir / "pool",
            settings.pool_size,
            RUNNER_COMMAND,
            reserve_ttl_s=settings.idle_stop_s or 600.0,
            replica=replica,
        )
        SANDBOXES.labels("pooled").set_function(lambda: pool.ready if pool is not None else 0)
    environments = EnvironmentService(
        store,
        site,
        sources,
        max_sandboxes=settings.tenant_max_sandboxes,
        hook=RunnerSandboxes(store, hub, channels, sources.skills),
        pool=pool,
    )
    budget = Budget(
        max_steps=settings.max_steps,
        max_wall_s=settings.max_wall_s,
        max_total_tokens=settings.max_total_tokens,
    )
    aliases = AgentAliases(settings.agent_aliases)
    runner = SandboxAgentRunner(
        store,
        environments,
        hub,
        channels,
        budget,
        aliases,
        settings.hooks_fail_closed,
        mcp=McpClient(_orchestrator_resolver(settings)),
        web=_model_web(settings),
    )
    return environments, runner
