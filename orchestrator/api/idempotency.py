"""`Idempotency-Key` on the create routes (DESIGN.md section 9, SECURITY-CHECKLIST "Duplicate job").

A route takes `IdempotencyDep` and wraps its create in `Idempotency.create`:

1. No header: the create just runs.
2. The tenant's key is new: it is reserved in `store.idempotency`, the create runs, and the key is
   completed with the new resource's id (or released if the create failed, so a retry may run).
3. The key made a resource with the same body: that resource is answered again, nothing is created.
4. The key was used with another body (or on another create route): 409 `conflict`.
5. The key's first request is still creating: 409 `conflict` (the SDK retries 409, which fits).

Keys are scoped per tenant by the store. The hash covers the route template and the validated body,
so `v1` and `v1beta` retries match. The store's `reserve` has exactly one winner across processes
(the others get `IdempotencyInProgressError`, answered 409); a per-process set of keys in flight
answers concurrent requests of this process without a database round trip.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Header, Request

from orchestrator.api.deps import CallerDep, services_of
from orchestrator.api.errors import Conflict, NotFound
from orchestrator.store import (
    IdempotencyConflictError,
    IdempotencyInProgressError,
    IdempotencyRecord,
    Store,
    hash_request,
)

__all__ = ["Idempotency", "IdempotencyDep"]

T = TypeVar("T")

_InFlight = set[tuple[str, str]]


class Idempotency:
    """The `Idempotency-Key` of one create request, bound to its tenant and route."""

    def __init__(self, store: Store, tenant: str, key: str | None, route: str, in_flight: _InFlight) -> None:
        """Bind the key (None when the request sent none) to the tenant and the route template."""
        self.store = store
        self.tenant = tenant
        self.key = key
        self.route = route
        self._in_flight = in_flight

    async def create(
        self,
        kind: str,
        body: Mapping[str, Any],
        create: Callable[[], Awaitable[T]],
        id_of: Callable[[T], str],
        replay: Callable[[str], Awaitable[T | None]],
    ) -> T:
        """Run `create` at most once per key and body; a retry gets `replay(first_id)`.

        Args:
            kind: the resource kind (`agent`, `environment`, `interaction`).
            body: the validated request body, as sent on the wire.
            create: makes the resource.
            id_of: the id of what `create` made.
            replay: the resource a finished earlier request made, or None when it is gone.

        Raises:
            Conflict: the key was used with another body or route, or its first request is running.
            NotFound: the resource the key made was deleted since.
        """
        if self.key is None:
            return await create()
        key, slot = self.key, (self.tenant, self.key)
        if slot in self._in_flight:
            raise _in_progress(key)
        self._in_flight.add(slot)
        try:
            request_hash = hash_request("POST", self.route, body)
            record = await self.store.idempotency.lookup(self.tenant, key)
            if record is None:
                try:
                    record = await self.store.idempotency.reserve(self.tenant, key, request_hash, kind)
                except IdempotencyConflictError as exc:
                    raise _different(key) from exc
                except IdempotencyInProgressError as exc:  # another process holds the claim
                    raise _in_progress(key) from exc
                if record.in_progress:
                    return await self._create_reserved(create, id_of)
            return await self._answer_again(record, request_hash, kind, replay)
        finally:
            self._in_flight.discard(slot)

    async def _create_reserved(self, create: Callable[[], Awaitable[T]], id_of: Callable[[T], str]) -> T:
        assert self.key is not None
        try:
            made = await create()
        except BaseException:
            with anyio.CancelScope(shield=True):  # release even when the request is being cancelled
                await self.store.idempotency.release(self.tenant, self.key)
            raise
        await self.store.idempotency.complete(self.tenant, self.key, id_of(made))
        return made

    async def _answer_again(
        self,
        record: IdempotencyRecord,
        request_hash: str,
        kind: str,
        replay: Callable[[str], Awaitable[T | None]],
    ) -> T:
        if record.request_hash != request_hash or record.resource_kind != kind:
            raise _different(record.key)
        if record.resource_id is None:
            raise _in_progress(record.key)
        made = await replay(record.resource_id)
        if made is None:
            raise NotFound(
                f"the {kind} {record.resource_id!r} made with Idempotency-Key {record.key!r} was deleted"
            )
        return made


def _different(key: str) -> Conflict:
    return Conflict(f"Idempotency-Key {key!r} was already used with a different request body; use a new key")


def _in_progress(key: str) -> Conflict:
    return Conflict(f"a request with Idempotency-Key {key!r} is still in progress; retry later")


def _in_flight(request: Request) -> _InFlight:
    state = request.app.state
    if not hasattr(state, "idempotency_in_flight"):
        state.idempotency_in_flight = set()
    in_flight: _InFlight = state.idempotency_in_flight
    return in_flight


async def _idempotency(
    request: Request,
    caller: CallerDep,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Retry-safe create: the same key and body answer the first resource again",
        ),
    ] = None,
) -> Idempotency:
    route = getattr(request.scope.get("route"), "path", None) or request.url.path  # url: built lazily
    return Idempotency(services_of(request).store, caller.tenant, key, route, _in_flight(request))


IdempotencyDep = Annotated[Idempotency, Depends(_idempotency)]
"""The request's `Idempotency-Key`, bound to the caller's tenant and the route."""
