"""The FastAPI application: routes, error mapping, and the services built in its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI
from fastapi.routing import APIRoute

from agents.protocol import Budget
from orchestrator import __version__
from orchestrator.api.deps import Services
from orchestrator.api.errors import install_error_handlers
from orchestrator.api.middleware import BodyLimit
from orchestrator.api.ratelimit import RateLimiter
from orchestrator.api.routes import agents, credentials, environments, files, health, interactions, shell
from orchestrator.api.shell_slots import ShellSlots
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.server import ChannelServers
from orchestrator.config import Settings
from orchestrator.datadir import private_folder, private_sqlite_files
from orchestrator.egress import EgressProxy
from orchestrator.environments.service import EnvironmentService
from orchestrator.environments.uploads import UploadSessions
from orchestrator.gateway.provider import ProviderRegistry
from orchestrator.gateway.retry import RetryPolicy
from orchestrator.interactions.agent_run import SandboxAgentRunner
from orchestrator.interactions.service import InteractionService
from orchestrator.interactions.usage import UsageMeter
from orchestrator.lifecycle import Lifecycle
from orchestrator.quotas import in_run_token_quota
from orchestrator.scheduler import Scheduler
from orchestrator.store import Store
from orchestrator.store.retention import run_retention
from orchestrator.store.sealing import Sealer, load_key

__all__ = ["create_app"]

log = logging.getLogger("orchestrator.api")


def _operation_id(route: APIRoute) -> str:
    return route.operation_id or f"{route.tags[0] if route.tags else 'warren'}-{route.name}"


def _private_data(settings: Settings, url: str) -> Sealer:
    """The data folder 0700, the SQLite files 0600, and the sealer of the installation's key."""
    private_folder(settings.data_dir)
    private_sqlite_files(url)
    configured = settings.secret_key.get_secret_value() if settings.secret_key is not None else None
    return Sealer(load_key(settings.data_dir, configured))


async def build_services(settings: Settings) -> Services:
    """Open the store and wire the services (also used by the embedded server of `warren run`)."""
    url = settings.database_url or f"sqlite+aiosqlite:///{settings.data_dir / 'warren.db'}"
    sealer = await asyncio.to_thread(_private_data, settings, url)
    store = await Store.open(url, sealer=sealer)
    if sealed := await store.credentials.seal_unsealed():
        log.warning("sealed %d credential secrets stored in plain text by an older version", sealed)
    environments = None
    if settings.sandboxes:
        from orchestrator.sandbox import DockerBackend

        image = settings.sandbox_image
        if image is None:
            from orchestrator.sandbox.image import build_image

            image = (await asyncio.to_thread(build_image)).sandbox
        backend = DockerBackend(
            image=image,
            workspace_bytes=settings.workspace_bytes,
            workspace_dir=settings.workspace_dir,
            extra_labels=settings.sandbox_labels,
            threads=settings.docker_threads,
        )
        environments = EnvironmentService(store, backend, settings=settings)
    scheduler = Scheduler(
        settings.max_running, settings.max_running_per_tenant, settings.max_queued_per_tenant
    )
    policy = RetryPolicy(call_timeout_s=settings.model_call_timeout_s, deadline_s=settings.model_deadline_s)
    scripts = [settings.scripts_dir] if settings.scripts_dir is not None else []
    gateway = ProviderRegistry(policy=policy, scripts_dirs=scripts)
    agent_runner = None
    usage = UsageMeter(store)
    if environments is not None:
        quota = in_run_token_quota(store, usage, settings.tenant_token_limit, settings.tenant_token_window_s)
        hub = RunnerHub(gateway, runner_timeout_s=settings.runner_timeout_s, quota=quota)
        channels = ChannelServers(hub, settings.data_dir / "run")
        channels.egress = EgressProxy.from_settings(store, settings)
        budget = Budget(
            max_steps=settings.max_steps,
            max_wall_s=settings.max_wall_s,
            max_total_tokens=settings.max_total_tokens,
        )
        agent_runner = SandboxAgentRunner(store, environments, hub, channels, budget)
        environments.on_stop = channels.drop_polls
        from orchestrator.environments.pool import WarmPool, reassignment

        channels.assignments = functools.partial(reassignment, environments)  # restarted pool sandboxes
        if settings.pool_size > 0 and environments.skills.bundled_dir is not None:
            from orchestrator.interactions.agent_run import RUNNER_COMMAND

            environments.pool = WarmPool(
                environments,
                channels,
                settings.data_dir / "pool",
                settings.pool_size,
                RUNNER_COMMAND,
                reserve_ttl_s=settings.idle_stop_s or 600.0,
            )
    interactions = InteractionService(store, gateway, scheduler, agent_runner=agent_runner, usage=usage)
    return Services(
        settings=settings,
        store=store,
        interactions=interactions,
        environments=environments,
        uploads=UploadSessions(settings.max_body_bytes, settings.max_open_uploads),
        limiter=RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst),
        shells=ShellSlots(settings.max_shells_per_environment, settings.max_shells_per_tenant),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; services open in the lifespan, so importing this module touches nothing."""
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await build_services(settings)
        app.state.services = services
        retention = asyncio.create_task(
            run_retention(services.store.db, every_s=3600, older_than=timedelta(days=settings.retention_days))
        )
        services.interactions.usage.start()
        lifecycle = Lifecycle(
            services.store,
            services.environments,
            idle_stop_s=settings.idle_stop_s,
            every_s=settings.lifecycle_interval_s,
            grace_s=settings.orphan_grace_s,
            recover=services.interactions.recover,
        )
        await lifecycle.start()  # fails the previous process's interactions, reaps its strays
        pool = services.environments.pool if services.environments is not None else None
        if pool is not None:
            await pool.start()  # fills in the background
        try:
            yield
        finally:
            if pool is not None:
                await pool.close()  # its unused sandboxes go; assigned ones are their environments'
            await lifecycle.close()
            retention.cancel()
            await services.interactions.shutdown(settings.shutdown_grace_s)
            await services.interactions.usage.close()
            if services.interactions.agent_runner is not None:
                await services.interactions.agent_runner.close()
            await services.store.close()

    app = FastAPI(
        title="Warren",
        version=__version__,
        description="Self-hosted managed agents, wire-compatible with the Interactions / Managed Agents API.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        # The reference needs no key: off unless the operator asks (`WARREN_PUBLIC_DOCS`).
        openapi_url="/openapi.json" if settings.public_docs else None,
        docs_url="/docs" if settings.public_docs else None,
        redoc_url="/redoc" if settings.public_docs else None,
    )
    install_error_handlers(app)
    app.add_middleware(  # outermost: before auth
        BodyLimit, max_body_bytes=settings.max_body_bytes, max_multipart_parts=settings.max_multipart_parts
    )
    for module in (interactions, agents, environments, files, health, shell, credentials):
        app.include_router(module.router)
    return app
