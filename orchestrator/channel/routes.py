"""The runner endpoints of one environment's socket, as a small Starlette app.

Plain Starlette routes that parse the body with the protocol's own models: the loop calls them
once per step, so they skip FastAPI's dependency and validation layers. Every route but `claim` and
`assignment` needs the environment's current runner token; a token this process does not know yet
costs a store lookup only within the channel's lookup throttle, so a flood of made-up ones costs
nothing. Each channel parses at most `max_bodies` step or finish bodies at once, and the hub's
refusals become statuses the runner understands (409 stop, 503 retry).
"""

from __future__ import annotations

import asyncio

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from agents.protocol import PREFIX, Claimed, FinishReport, Park, StepCall
from orchestrator.channel.assignment import assignment_endpoint
from orchestrator.channel.binding import AssignmentSource, Binding, TokenCheck
from orchestrator.channel.errors import ChannelBusy, ChannelError
from orchestrator.channel.frame_route import frames_endpoint
from orchestrator.channel.http import BodyTooLarge, Handler, error, problems, read_body, reply, wait_seconds
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.limits import ChannelLimits, Throttle

__all__ = ["runner_app"]


def runner_app(
    hub: RunnerHub,
    environment_id: str,
    check_token: TokenCheck,
    binding: Binding | None = None,
    assignments: AssignmentSource | None = None,
    limits: ChannelLimits | None = None,
) -> Starlette:
    """The runner endpoints for one environment; `check_token` validates the bearer token.

    `binding` lets the owner change the token check later (a warm-pool sandbox's socket is served
    before its environment exists); `assignments` answers a restarted pool sandbox's `assignment` call.
    """
    bound = binding or Binding(check_token)
    limits = limits or ChannelLimits()
    bodies = asyncio.Semaphore(limits.max_bodies)
    lookups = Throttle(limits.lookups_per_s, limits.lookup_burst)
    """Spent by each store or engine lookup a request causes (a credential not known here yet)."""

    async def authorized(request: Request) -> Response | None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return error(401, "missing runner token")
        if given in bound.accepted:
            return None
        if not lookups.allow():
            return error(503, "too many unknown runner tokens: retry later")
        if not await bound.check(given):
            return error(401, "bad runner token")
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
                return error(422, problems(exc))
            except BodyTooLarge:
                return error(413, f"body: larger than {limits.max_body_bytes} bytes", close=True)
            except ClientDisconnect:  # the runner went away mid-body: nobody reads an answer
                return error(400, "body: the connection closed before the body ended", close=True)
            except ChannelBusy as exc:
                return error(503, str(exc))
            except ChannelError as exc:
                return error(409, str(exc))
            finally:
                hub.heard(environment_id)  # also at the end of a long poll

        return guarded

    async def work(request: Request) -> Response:
        wait_s = wait_seconds(request)
        if wait_s is None:
            return error(422, "wait_s: must be a number of seconds")
        try:
            item = await hub.next_work(environment_id, wait_s)
        except asyncio.CancelledError:  # the channel is closing: the runner will poll again
            return Response(status_code=204)
        if item is None:
            return Response(status_code=204)
        return reply(item, status=202 if isinstance(item, Park) else 200)

    async def step(request: Request) -> Response:
        async with bodies:  # held through the model call, as long as the parsed step stays in memory
            call = StepCall.model_validate_json(await read_body(request, limits.max_body_bytes))
            return reply(await hub.step(environment_id, call))

    async def finish(request: Request) -> Response:
        async with bodies:
            report = FinishReport.model_validate_json(await read_body(request, limits.max_body_bytes))
            return reply(await hub.finish(environment_id, report))

    async def control(request: Request) -> Response:
        control = hub.control(environment_id, request.query_params.get("interaction_id", ""))
        control.watched = hub.frames.watched(environment_id)
        return reply(control)

    async def claim(request: Request) -> Response:
        token = await hub.claim(environment_id)  # armed once per sandbox start: the first ask wins
        if token is None:
            return error(403, "no runner credential to claim: it was claimed already")
        bound.accepted.clear()  # the new token replaces every older one at once
        bound.secret = token  # and is what a pool sandbox's `assignment` call must prove
        return reply(Claimed(token=token))

    assignment = assignment_endpoint(hub, environment_id, bound, assignments, lookups)
    return Starlette(
        routes=[
            Route(f"{PREFIX}/assignment", assignment, methods=["GET"]),
            Route(f"{PREFIX}/work", endpoint(work), methods=["GET"]),
            Route(f"{PREFIX}/step", endpoint(step), methods=["POST"]),
            Route(f"{PREFIX}/finish", endpoint(finish), methods=["POST"]),
            Route(f"{PREFIX}/control", endpoint(control), methods=["GET"]),
            Route(
                f"{PREFIX}/frames",
                endpoint(frames_endpoint(hub.frames, environment_id, limits)),
                methods=["POST"],
            ),
            Route(f"{PREFIX}/claim", claim, methods=["POST"]),
        ]
    )
