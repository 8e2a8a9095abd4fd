"""Serves the runner endpoints on one Unix socket per environment.

The socket's folder is bind-mounted into that environment's sandbox at `/run/warren`, so a runner
can reach only its own environment's channel, and the channel knows the environment by the socket
a request came in on. Requests also carry the environment's token.

A warm-pool sandbox's socket is served before its environment has a row (`serve_slot`): its runner
waits on `GET /runner/v1/assignment` until `assign` hands it the environment's settings.

Whatever arrives here comes from a sandbox (issue 13). `guard` bounds each connection at the
transport (count per socket and per process, time to send a head and a body, head size); here each
body is counted as it streams (413 past `ChannelLimits.max_body_bytes`), each channel handles at most
`max_bodies` at once, and a credential this process does not know yet costs a store or engine lookup
only within the channel's lookup throttle, so a flood of made-up ones costs neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from agents.protocol import PREFIX, Assignment, Claimed, FinishReport, StepCall
from orchestrator.channel.guard import ChannelConfig
from orchestrator.channel.hub import ChannelBusy, ChannelError, RunnerHub
from orchestrator.channel.limits import ChannelLimits, ConnectionBudget, Throttle, channel_share
from orchestrator.datadir import private_folder
from orchestrator.sandbox import Mount

if TYPE_CHECKING:
    from orchestrator.egress.proxy import EgressProxy

__all__ = ["ChannelServers"]

log = logging.getLogger("orchestrator.channel")
SOCKET_NAME = "orchestrator.sock"
MOUNT_TARGET = "/run/warren"
_SHOWN_PROBLEMS = 5
"""Validation problems a 422 names: enough to fix a runner, few enough to stay small."""


TokenCheck = Callable[[str], Awaitable[bool]]
Handler = Callable[[Request], Awaitable[Response]]
AssignmentSource = Callable[[str, str], Awaitable[Assignment | None]]
"""`(environment id, pool secret)` -> a fresh assignment for a restarted warm-pool sandbox, or None."""


async def _refuse(token: str) -> bool:
    return False


@dataclass
class _Binding:
    """What one socket server checks: the token check, and a warm-pool sandbox's pending assignment."""

    check: TokenCheck
    accepted: set[str] = field(default_factory=set)
    """Tokens already checked against the store."""
    secret: str | None = None
    """The pool secret of the sandbox waiting for `pending`."""
    pending: asyncio.Future[Assignment] | None = None
    """Set while a warm-pool sandbox waits for its first assignment."""
    asked: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once a runner asked for its assignment (a pool slot is ready from then on)."""


def runner_app(
    hub: RunnerHub,
    environment_id: str,
    check_token: TokenCheck,
    binding: _Binding | None = None,
    assignments: AssignmentSource | None = None,
    limits: ChannelLimits | None = None,
) -> Starlette:
    """The runner endpoints for one environment; `check_token` validates the bearer token.

    Plain Starlette routes that parse the body with the protocol's own models: the loop calls
    them once per step, so they skip FastAPI's dependency and validation layers. `binding` lets the
    owner change the token check later (a warm-pool sandbox's socket is served before its
    environment exists); `assignments` answers a restarted pool sandbox's `assignment` call.
    """
    bound = binding or _Binding(check_token)
    limits = limits or ChannelLimits()
    bodies = asyncio.Semaphore(limits.max_bodies)
    lookups = Throttle(limits.lookups_per_s, limits.lookup_burst)
    """Spent by each store or engine lookup a request causes (a credential not known here yet)."""

    async def authorized(request: Request) -> Response | None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return _error(401, "missing runner token")
        if given in bound.accepted:
            return None
        if not lookups.allow():
            return _error(503, "too many unknown runner tokens: retry later")
        if not await bound.check(given):
            return _error(401, "bad runner token")
        bound.accepted.add(given)
        return None

    def endpoint(handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            refused = await authorized(request)
            if refused is not None:
                return refused
            hub.heard(environment_id)
            try:
                return await handler(request)
            except ValidationError as exc:
                return _error(422, _problems(exc))
            except _TooLarge:
                return _error(413, f"body: larger than {limits.max_body_bytes} bytes", close=True)
            except ClientDisconnect:  # the runner went away mid-body: nobody reads an answer
                return _error(400, "body: the connection closed before the body ended", close=True)
            except ChannelBusy as exc:
                return _error(503, str(exc))
            except ChannelError as exc:
                return _error(409, str(exc))
            finally:
                hub.heard(environment_id)  # also at the end of a long poll

        return guarded

    async def work(request: Request) -> Response:
        try:
            wait_s = min(max(float(request.query_params.get("wait_s", 25.0)), 0.0), 60.0)
        except ValueError:
            return _error(422, "wait_s: must be a number of seconds")
        try:
            item = await hub.next_work(environment_id, wait_s)
        except asyncio.CancelledError:  # the channel is closing: the runner will poll again
            return Response(status_code=204)
        return Response(status_code=204) if item is None else _json(item)

    async def step(request: Request) -> Response:
        async with bodies:  # held through the model call, as long as the parsed step stays in memory
            call = StepCall.model_validate_json(await _body(request, limits.max_body_bytes))
            return _json(await hub.step(environment_id, call))

    async def finish(request: Request) -> Response:
        async with bodies:
            report = FinishReport.model_validate_json(await _body(request, limits.max_body_bytes))
            return _json(await hub.finish(environment_id, report))

    async def control(request: Request) -> Response:
        return _json(hub.control(environment_id, request.query_params.get("interaction_id", "")))

    async def claim(request: Request) -> Response:
        token = await hub.claim(environment_id)  # armed once per sandbox start: the first ask wins
        if token is None:
            return _error(403, "no runner credential to claim: it was claimed already")
        bound.accepted.clear()  # the new token replaces every older one at once
        bound.secret = token  # and is what a pool sandbox's `assignment` call must prove
        return _json(Claimed(token=token))

    async def assignment(request: Request) -> Response:
        scheme, _, secret = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret:
            return _error(401, "missing pool secret")
        try:
            wait_s = min(max(float(request.query_params.get("wait_s", 25.0)), 0.0), 60.0)
        except ValueError:
            return _error(422, "wait_s: must be a number of seconds")
        bound.asked.set()
        pending = bound.pending
        if pending is not None:  # a pool sandbox waiting for its first environment
            if bound.secret is None or not secrets.compare_digest(secret, bound.secret):
                return _error(401, "bad pool secret")
            try:
                given = await asyncio.wait_for(asyncio.shield(pending), wait_s)
            except (TimeoutError, asyncio.CancelledError):  # not yet, or the channel is closing
                return Response(status_code=204)
            bound.pending = None  # a later ask (the sandbox restarted) gets a fresh assignment
            return _json(given)
        if bound.secret is not None and not secrets.compare_digest(secret, bound.secret):
            return _error(401, "bad pool secret")  # known here: refused without a lookup
        if assignments is not None and not lookups.allow():
            return _error(503, "too many assignment requests: retry later")
        fresh = await assignments(environment_id, secret) if assignments is not None else None
        if fresh is None:
            return _error(410, "this sandbox has no environment to serve")
        bound.secret = secret  # proven: any other secret is refused from now on without a lookup
        bound.accepted.clear()  # a new token was issued: older ones stop working here too
        hub.release(environment_id)  # the runner restarted: its old long polls (dead connections)
        hub.reopen(environment_id)  # must not take the next turn; wake them empty-handed
        return _json(fresh)

    return Starlette(
        routes=[
            Route(f"{PREFIX}/assignment", assignment, methods=["GET"]),
            Route(f"{PREFIX}/work", endpoint(work), methods=["GET"]),
            Route(f"{PREFIX}/step", endpoint(step), methods=["POST"]),
            Route(f"{PREFIX}/finish", endpoint(finish), methods=["POST"]),
            Route(f"{PREFIX}/control", endpoint(control), methods=["GET"]),
            Route(f"{PREFIX}/claim", claim, methods=["POST"]),
        ]
    )


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


def _error(status: int, detail: str, *, close: bool = False) -> Response:
    """A JSON error; `close` ends the connection, so the rest of an unread body is never parsed."""
    headers = {"connection": "close"} if close else None
    return Response(
        json.dumps({"detail": detail}), status_code=status, media_type="application/json", headers=headers
    )


class _TooLarge(ValueError):
    """A request body went past the channel's cap."""


async def _body(request: Request, cap: int) -> bytes:
    """The body, refused (`_TooLarge`) as soon as its declared or received size passes `cap` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _problems(exc: ValidationError) -> str:
    """The first few problems by field path, without the values (the sandbox sent them)."""
    named = [
        f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
        for problem in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
    more = len(named) - _SHOWN_PROBLEMS
    return "; ".join(named[:_SHOWN_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")


class _ChannelServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the main server."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


@dataclass
class _Served:
    server: uvicorn.Server
    task: asyncio.Task[None]
    binding: _Binding


class ChannelServers:
    """One socket server per environment, under `root/<environment id>/`."""

    def __init__(
        self,
        hub: RunnerHub,
        root: Path,
        limits: ChannelLimits | None = None,
        budget: ConnectionBudget | None = None,
    ) -> None:
        self.hub = hub
        self.root = root
        self.limits = limits or ChannelLimits()
        """The bounds of every channel socket."""
        self.budget = budget or ConnectionBudget(channel_share())
        """Channel connections across all sockets: a share of the open-file limit however many
        sandboxes there are, so the public API keeps its descriptors."""
        self._served: dict[str, _Served] = {}
        self.egress: EgressProxy | None = None
        """Serves `egress.sock` beside the channel socket for environments with an allowlist."""
        self.assignments: AssignmentSource | None = None
        """Answers a restarted warm-pool sandbox's `assignment` call (the warm pool sets it)."""

    def folder(self, environment_id: str) -> Path:
        """The host folder mounted at `/run/warren` in the environment's sandbox."""
        return self.root / environment_id

    def _make_folder(self, folder: Path) -> None:
        """Create an environment's folder inside the root, which only the server's user may enter.

        The sockets must be 0666 (the runner, uid 1000, connects from inside the sandbox); the 0700
        root keeps every other host user away from them. The bind mount still works: the engine
        resolves the source path as root, and the sandbox sees only the folder itself.
        """
        private_folder(self.root)
        folder.mkdir(exist_ok=True)

    async def ensure(self, environment_id: str, check_token: TokenCheck) -> None:
        """Serve the environment's socket; when already serving it, only the token check is updated."""
        served = self._served.get(environment_id)
        if served is not None and not served.task.done():
            served.binding.check = check_token
            return
        await self._start(environment_id, _Binding(check_token))

    async def serve_slot(self, environment_id: str, secret: str) -> asyncio.Event:
        """Serve a warm-pool sandbox's socket before its environment exists; no token works yet.

        Returns an event that is set once the sandbox's runner asks for its assignment.
        """
        pending: asyncio.Future[Assignment] = asyncio.get_running_loop().create_future()
        binding = _Binding(_refuse, secret=secret, pending=pending)
        await self._start(environment_id, binding)
        return binding.asked

    async def assign(self, environment_id: str, check_token: TokenCheck, assignment: Assignment) -> None:
        """Hand a waiting warm-pool sandbox its environment; tokens `check_token` accepts work from now.

        Raises:
            LookupError: the slot's socket is not served (any more).
        """
        served = self._served.get(environment_id)
        if served is None or served.task.done():
            raise LookupError(f"no pool sandbox waits on the socket of {environment_id}")
        served.binding.check = check_token
        pending = served.binding.pending
        if pending is not None and not pending.done():
            pending.set_result(assignment)
        await self._serve_egress(environment_id)  # the row exists now: an allowlist gets its socket

    def drop_polls(self, environment_id: str) -> None:
        """The environment's runner died (its sandbox stopped): its pending long polls, whose
        connections are gone, return empty-handed instead of taking the next turn."""
        self.hub.release(environment_id)
        self.hub.reopen(environment_id)

    async def _start(self, environment_id: str, binding: _Binding) -> None:
        await self.close(environment_id, remove=False)
        self.hub.reopen(environment_id)
        folder = self.folder(environment_id)
        self._make_folder(folder)
        os.chmod(folder, 0o755)  # noqa: S103 (the sandbox user must traverse it; it holds only the socket)
        socket_path = folder / SOCKET_NAME
        socket_path.unlink(missing_ok=True)
        config = ChannelConfig(
            runner_app(self.hub, environment_id, binding.check, binding, self.assignments, self.limits),
            limits=self.limits,
            budget=self.budget,
            uds=str(socket_path),
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = _ChannelServer(config)
        task = asyncio.create_task(server.serve(), name=f"channel:{environment_id}")
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.01)
        os.chmod(socket_path, 0o666)  # noqa: S103 (the runner, uid 1000, must connect; token still required)
        self._served[environment_id] = _Served(server, task, binding)
        await self._serve_egress(environment_id)

    def mount(self, environment_id: str) -> Mount:
        """The bind mount that puts the socket folder at `/run/warren` in the sandbox."""
        folder = self.folder(environment_id)
        self._make_folder(folder)
        return Mount(source=str(folder), target=MOUNT_TARGET, read_only=True)

    async def close(self, environment_id: str, remove: bool = True) -> None:
        """Stop serving an environment's socket; `remove` deletes its folder too."""
        await self._close_egress(environment_id)
        served = self._served.pop(environment_id, None)
        if served is not None:
            self.hub.release(environment_id)
            if served.binding.pending is not None:
                served.binding.pending.cancel()  # wakes a waiting `assignment` call
            served.server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(served.task, timeout=5)
        if remove:
            shutil.rmtree(self.folder(environment_id), ignore_errors=True)

    async def _serve_egress(self, environment_id: str) -> None:
        """Serve the egress proxy's socket in the same folder (only for allowlist environments)."""
        if self.egress is not None:
            await self.egress.serve(environment_id, self.folder(environment_id))

    async def _close_egress(self, environment_id: str) -> None:
        if self.egress is not None:
            await self.egress.close(environment_id)

    async def close_all(self) -> None:
        """Stop every server (shutdown); folders stay so restarted servers reuse them."""
        for environment_id in list(self._served):
            await self.close(environment_id, remove=False)
