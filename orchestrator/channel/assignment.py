"""`GET /runner/v1/assignment`: a warm-pool sandbox's runner learns which environment it serves.

A pool sandbox's runner proves its pool secret and waits (long poll) until `assign` hands it its
environment, with the turn it was taken for when one is announced (`RunnerHub.announce`). A
restarted pool sandbox asks again: its secret is checked in memory when known here, otherwise
through `assignments` (a store and engine lookup, so only within the lookup throttle), and a fresh
assignment retires every older token and wakes the old runner's dead long polls.
"""

from __future__ import annotations

import asyncio
import secrets

from starlette.requests import Request
from starlette.responses import Response

from orchestrator.channel.binding import AssignmentSource, Binding
from orchestrator.channel.http import Handler, error, reply, wait_seconds
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.limits import Throttle

__all__ = ["assignment_endpoint"]


def assignment_endpoint(
    hub: RunnerHub,
    environment_id: str,
    bound: Binding,
    assignments: AssignmentSource | None,
    lookups: Throttle,
) -> Handler:
    """The route's handler for one environment's socket."""

    async def assignment(request: Request) -> Response:
        scheme, _, secret = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret:
            return error(401, "missing pool secret")
        wait_s = wait_seconds(request)
        if wait_s is None:
            return error(422, "wait_s: must be a number of seconds")
        bound.asked.set()
        pending = bound.pending
        if pending is not None:  # a pool sandbox waiting for its first environment
            if bound.secret is None or not secrets.compare_digest(secret, bound.secret):
                return error(401, "bad pool secret")
            try:
                given = await asyncio.wait_for(asyncio.shield(pending), wait_s)
            except (TimeoutError, asyncio.CancelledError):  # not yet, or the channel is closing
                return Response(status_code=204)
            bound.pending = None  # a later ask (the sandbox restarted) gets a fresh assignment
            try:  # the turn the slot was taken for, if it follows at once: no `GET /work` for it
                work = await hub.first_work(environment_id, wait_s)
            except asyncio.CancelledError:  # the channel is closing: the runner polls for it later
                work = None
            return reply(given.model_copy(update={"work": work}))
        if bound.secret is not None and not secrets.compare_digest(secret, bound.secret):
            return error(401, "bad pool secret")  # known here: refused without a lookup
        if assignments is not None and not lookups.allow():
            return error(503, "too many assignment requests: retry later")
        fresh = await assignments(environment_id, secret) if assignments is not None else None
        if fresh is None:
            return error(410, "this sandbox has no environment to serve")
        bound.secret = secret  # proven: any other secret is refused from now on without a lookup
        bound.accepted.clear()  # a new token was issued: older ones stop working here too
        hub.release(environment_id)  # the runner restarted: its old long polls (dead connections)
        hub.reopen(environment_id)  # must not take the next turn; wake them empty-handed
        return reply(fresh)

    return assignment
