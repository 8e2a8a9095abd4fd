"""Serves the runner endpoints on one Unix socket per environment, for as long as it needs one.

The socket's folder is bind-mounted into that environment's sandbox at `/run/warren`, so a runner
can reach only its own environment's channel, and the channel knows the environment by the socket
a request came in on. Requests also carry the environment's token. A warm-pool sandbox's socket is
served before its environment has a row (`serve_slot`): its runner waits on
`GET /runner/v1/assignment` until `assign` hands it the environment's settings. An environment
with an egress allowlist gets the egress proxy's socket in the same folder.

Whatever arrives here comes from a sandbox (issue 13): `guard` bounds each connection at the
transport, `routes` each request, and `budget` the channel connections of all sockets together.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from agents.protocol import Assignment
from orchestrator.channel.binding import AssignmentSource, Binding, TokenCheck, refuse_every_token
from orchestrator.channel.hub import RunnerHub
from orchestrator.channel.limits import ChannelLimits, ConnectionBudget, channel_share
from orchestrator.channel.listener import Listener, listen
from orchestrator.channel.routes import runner_app
from orchestrator.datadir import private_folder
from orchestrator.sandbox import Mount

if TYPE_CHECKING:
    from orchestrator.egress.proxy import EgressProxy

__all__ = ["MOUNT_TARGET", "SOCKET_NAME", "ChannelServers"]

SOCKET_NAME = "orchestrator.sock"
_IDLE_POLL_S = 0.01
MOUNT_TARGET = "/run/warren"


class ChannelServers:
    """One socket server per environment, under `root/<environment id>/`.

    Args:
        hub: the turns the sockets serve.
        root: the folder of every environment's socket folder (made 0700).
        limits: the bounds of every channel socket.
        budget: channel connections across all sockets (default: a share of the open-file limit).
        egress: serves `egress.sock` beside the channel socket for environments with an allowlist.
        assignments: answers a restarted warm-pool sandbox's `assignment` call.
    """

    def __init__(
        self,
        hub: RunnerHub,
        root: Path,
        limits: ChannelLimits | None = None,
        budget: ConnectionBudget | None = None,
        *,
        egress: EgressProxy | None = None,
        assignments: AssignmentSource | None = None,
    ) -> None:
        self.hub = hub
        self.root = root
        self.limits = limits or ChannelLimits()
        self.budget = budget or ConnectionBudget(channel_share())
        """Shared by all sockets however many sandboxes there are, so the public API keeps its descriptors."""
        self.egress = egress
        self.assignments = assignments
        self._served: dict[str, Listener] = {}
        self._bound: dict[str, tuple[int, int]] = {}  # environment id -> its socket file's (device, inode)

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

    def mount(self, environment_id: str) -> Mount:
        """The bind mount that puts the socket folder at `/run/warren` in the sandbox."""
        folder = self.folder(environment_id)
        self._make_folder(folder)
        return Mount(source=str(folder), target=MOUNT_TARGET, read_only=True)

    async def ensure(self, environment_id: str, check_token: TokenCheck) -> None:
        """Serve the environment's socket; when already serving it, only the token check is updated."""
        served = self._served.get(environment_id)
        if served is not None and not served.task.done() and self._still_bound(environment_id):
            served.binding.check = check_token
            return
        await self._start(environment_id, Binding(check_token))

    def _still_bound(self, environment_id: str) -> bool:
        """Whether the socket file is still the one this process bound: another replica on the host
        (sharing `data_dir/run`) that ran an interaction in the environment since bound its own."""
        try:
            found = os.stat(self.folder(environment_id) / SOCKET_NAME)
        except FileNotFoundError:
            return False
        return (found.st_dev, found.st_ino) == self._bound.get(environment_id)

    async def serve_slot(self, environment_id: str, secret: str) -> asyncio.Event:
        """Serve a warm-pool sandbox's socket before its environment exists; no token works yet.

        Returns an event that is set once the sandbox's runner asks for its assignment.
        """
        pending: asyncio.Future[Assignment] = asyncio.get_running_loop().create_future()
        binding = Binding(refuse_every_token, secret=secret, pending=pending)
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
        if assignment.token is not None:  # just issued for it: its first use needs no store lookup
            served.binding.accepted.add(assignment.token)
        pending = served.binding.pending
        if pending is not None and not pending.done():
            pending.set_result(assignment)
        await self._serve_egress(environment_id)  # the row exists now: an allowlist gets its socket

    async def idle(self, environment_id: str, within_s: float) -> bool:
        """Whether the environment's socket, served by this process, has no open connection within
        `within_s` seconds (a parked runner closed its own). False when another process serves it."""
        served = self._served.get(environment_id)
        if served is None or served.task.done() or not self._still_bound(environment_id):
            return False
        deadline = asyncio.get_running_loop().time() + within_s
        while served.server.server_state.connections:
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(_IDLE_POLL_S)
        return True

    def drop_polls(self, environment_id: str) -> None:
        """The environment's runner died (its sandbox stopped): its pending long polls, whose
        connections are gone, return empty-handed instead of taking the next turn."""
        self.hub.release(environment_id)
        self.hub.reopen(environment_id)

    async def _start(self, environment_id: str, binding: Binding) -> None:
        await self.close(environment_id, remove=False)
        self.hub.reopen(environment_id)
        folder = self.folder(environment_id)
        self._make_folder(folder)
        os.chmod(folder, 0o755)  # noqa: S103 (the sandbox user must traverse it; it holds only the socket)
        app = runner_app(self.hub, environment_id, binding.check, binding, self.assignments, self.limits)
        socket_path = folder / SOCKET_NAME
        socket_path.unlink(missing_ok=True)
        served = await listen(app, socket_path, binding, self.limits, self.budget)
        self._served[environment_id] = served
        bound = os.stat(socket_path)
        self._bound[environment_id] = (bound.st_dev, bound.st_ino)
        await self._serve_egress(environment_id)

    async def close(self, environment_id: str, remove: bool = True) -> None:
        """Stop serving an environment's socket; `remove` deletes its folder too."""
        await self._close_egress(environment_id)
        served = self._served.pop(environment_id, None)
        self._bound.pop(environment_id, None)
        if served is not None:
            self.hub.release(environment_id)
            if served.binding.pending is not None:
                served.binding.pending.cancel()  # wakes a waiting `assignment` call
            await served.stop()
        if remove:
            shutil.rmtree(self.folder(environment_id), ignore_errors=True)

    async def close_all(self) -> None:
        """Stop every server (shutdown); folders stay so restarted servers reuse them."""
        for environment_id in list(self._served):
            await self.close(environment_id, remove=False)

    async def _serve_egress(self, environment_id: str) -> None:
        """Serve the egress proxy's socket in the same folder (only for allowlist environments)."""
        if self.egress is not None:
            await self.egress.serve(environment_id, self.folder(environment_id))

    async def _close_egress(self, environment_id: str) -> None:
        if self.egress is not None:
            await self.egress.close(environment_id)
