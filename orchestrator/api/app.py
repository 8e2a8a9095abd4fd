"""The FastAPI application: routes, error mapping and body caps, over services it is handed.

The app builds no service: `create_app` takes a factory of the running services (the composition
root's `orchestrator.compose.running`), entered in the app's lifespan so that the store opens on the
server's own event loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from orchestrator import __version__
from orchestrator.api.deps import Services
from orchestrator.api.errors import install_error_handlers
from orchestrator.api.middleware import BodyLimit
from orchestrator.api.observe import Observe
from orchestrator.api.routes import (
    agents,
    browser,
    console,
    credentials,
    environments,
    files,
    health,
    interaction_list,
    interactions,
    live,
    metrics,
    preview,
    shell,
    triggers,
    usage,
    webhooks,
)
from orchestrator.config import Settings

__all__ = ["ServicesFactory", "create_app"]

ServicesFactory = Callable[[], AbstractAsyncContextManager[Services]]
"""Opens the services when entered and closes them on exit (`orchestrator.compose.running`)."""


def _operation_id(route: APIRoute) -> str:
    return route.operation_id or f"{route.tags[0] if route.tags else 'warren'}-{route.name}"


def create_app(settings: Settings, services: ServicesFactory) -> FastAPI:
    """The API over the services `services()` opens in the lifespan; creating it touches nothing."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with services() as running:
            app.state.services = running
            yield

    app = FastAPI(
        title="Warren",
        version=__version__,
        description="Self-hosted managed agents, wire-compatible with the Interactions / Managed Agents API.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        # FastAPI's own request span (on once tracing starts) without its dependency and endpoint
        # spans: an interaction's span is the request's child, at two spans less per request.
        # Warren's metrics are Prometheus's (`/metrics`) and it exports no OpenTelemetry metrics or
        # logs: off, so FastAPI does not look for their providers on every request.
        telemetry={"operation_spans": False, "metrics": False, "logs": False},
        # The reference needs no key: off unless the operator asks (`WARREN_PUBLIC_DOCS`).
        openapi_url="/openapi.json" if settings.public_docs else None,
        docs_url="/docs" if settings.public_docs else None,
        redoc_url="/redoc" if settings.public_docs else None,
    )
    install_error_handlers(app)
    app.add_middleware(  # outermost: before auth
        BodyLimit, max_body_bytes=settings.max_body_bytes, max_multipart_parts=settings.max_multipart_parts
    )
    app.add_middleware(Observe)  # outermost of all: the request's id and span cover the whole answer
    routers = (
        interaction_list,
        interactions,
        agents,
        environments,
        browser,
        files,
        health,
        shell,
        credentials,
        triggers,
        webhooks,
        live,
        metrics,
        preview,
        usage,
        console,
    )
    for module in routers:
        app.include_router(module.router)
    return app
