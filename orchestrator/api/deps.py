"""Route dependencies: the services of this app and the caller's tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Request

from orchestrator.api.errors import InvalidArgument, NotFound, RateLimited, Unauthenticated
from orchestrator.api.ratelimit import Limiter
from orchestrator.api.shell_slots import ShellSlots
from orchestrator.catalog import AgentAliases
from orchestrator.channel.frames import FrameBoard
from orchestrator.config import Settings
from orchestrator.environments.preview import PreviewService
from orchestrator.environments.service import EnvironmentService
from orchestrator.environments.uploads import UploadSessions
from orchestrator.interactions.service import InteractionService
from orchestrator.observability.logs import TENANT
from orchestrator.store import Store
from orchestrator.triggers.service import TriggerService
from orchestrator.webhooks.deliverer import Deliverer
from orchestrator.webhooks.service import WebhookService

__all__ = [
    "Caller",
    "CallerDep",
    "Services",
    "ServicesDep",
    "VersionDep",
    "check_version",
    "identify_key",
    "services_of",
]

_VERSIONS = ("v1", "v1beta", "v1alpha", "v1beta1", "v1alpha1", "v2", "v2beta")


@dataclass
class Services:
    """What the routes need, built once in the app's lifespan."""

    settings: Settings
    store: Store
    interactions: InteractionService
    environments: EnvironmentService | None
    uploads: UploadSessions
    limiter: Limiter
    shells: ShellSlots
    triggers: TriggerService | None = None
    """Scheduled agent interactions (None only in apps built without them)."""
    webhooks: WebhookService | None = None
    """Webhooks (None only in apps built without them)."""
    webhook_deliverer: Deliverer | None = None
    """The outbox's delivery loop, started and stopped by `compose.running`."""
    agent_aliases: AgentAliases = field(default_factory=AgentAliases)
    """Agent names that stand for others: Google's presets and `WARREN_AGENT_ALIASES`."""
    previews: PreviewService | None = None
    """Preview URLs of sandbox ports (None without sandboxes)."""
    frames: FrameBoard | None = None
    """The latest frames of watched agents' browser pages (None without sandboxes)."""


@dataclass(frozen=True)
class Caller:
    """The authenticated caller."""

    tenant: str
    key_id: str


def services_of(request: Request) -> Services:
    """The app's services (a plain read: the dependencies below take it without a sub-dependency)."""
    services: Services = request.app.state.services
    return services


async def _services(request: Request) -> Services:
    # async on purpose (here and in `_version`): FastAPI runs a plain `def` dependency in a worker
    # thread, a round trip through the thread pool on every request.
    return services_of(request)


ServicesDep = Annotated[Services, Depends(_services)]


async def _authenticated(request: Request) -> Caller:
    # Reads the services itself: FastAPI solves a sub-dependency again wherever it is declared (its
    # cache only saves the call), and `CallerDep` sits under other dependencies (`IdempotencyDep`).
    return await _caller(request, services_of(request))


async def _caller(request: Request, services: Services) -> Caller:
    """Authenticate `x-goog-api-key` (what google-genai sends) or `Authorization: Bearer`."""
    key = request.headers.get("x-goog-api-key")
    if not key:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else None
    if not key:
        raise Unauthenticated("missing API key: send x-goog-api-key or Authorization: Bearer")
    return await identify_key(services, key)


async def identify_key(services: Services, key: str) -> Caller:
    """The caller an API key stands for, once the key's rate budget allows one more request.

    Raises:
        Unauthenticated: no such key, or a revoked one.
        RateLimited: the key's rate budget is spent.
    """
    record = await services.store.keys.identify(key)
    if record is None:
        raise Unauthenticated("invalid or revoked API key")
    if wait_s := await services.limiter.check(record.id):
        retry = services.limiter.retry_after(wait_s)
        raise RateLimited(f"rate limit of this API key exceeded; retry in {retry} s", retry_after_s=retry)
    TENANT.set(record.tenant)  # this request's log lines (and the work it starts) carry the tenant
    return Caller(tenant=record.tenant, key_id=record.id)


CallerDep = Annotated[Caller, Depends(_authenticated)]


def check_version(api_version: str) -> str:
    """The version segment when Warren accepts it (any of `_VERSIONS`), else a 404."""
    if api_version not in _VERSIONS:
        raise NotFound(f"unknown API version {api_version!r}; use one of {', '.join(_VERSIONS)}")
    return api_version


async def _version(api_version: Annotated[str, Path(description="API version segment, e.g. v1beta")]) -> str:
    return check_version(api_version)


VersionDep = Annotated[str, Depends(_version)]


def sandboxes(services: Services) -> EnvironmentService:
    """The environment service, or a clear error when this server runs without sandboxes."""
    if services.environments is None:
        raise InvalidArgument(
            "this server runs without a sandbox backend (--no-sandboxes)", field="environment"
        )
    return services.environments
