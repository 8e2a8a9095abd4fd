"""A warm-pool runner's wait for its environment (`GET /runner/v1/assignment`), and the export of that
environment's variables to the shells the sandbox starts later.

A pool sandbox starts before any environment exists; until it is assigned, nothing of a tenant may
start, and its variables must reach `docker exec` shells too, which the container's fixed
environment cannot do. What needs no environment is done while it waits (`take_assignment`): the
toolbox is built and its shell started and warmed, so the first command after the hand-over pays
none of it (under gVisor a new bash process and the first call's first-time costs are tens of ms).
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from agents.protocol import PREFIX, TOKEN_ENV, Assignment, WorkItem
from agents.tools.short_write import write_file
from agents.uds_http import ChannelTransportError, UnixHttp

if TYPE_CHECKING:
    from agents.channel import Channel
    from agents.skills_mount import SkillsMount
    from agents.tools import Toolbox

__all__ = ["take_assignment", "wait_for_assignment"]


async def take_assignment(
    socket_path: str, secret: str, channel: Channel, toolbox: Toolbox, skills: SkillsMount
) -> WorkItem | None:
    """Warm the toolbox and read `/skills`, wait for this pool sandbox's environment, then take it
    on: its variables in this process and the toolbox's sessions, its runner token on `channel`, its
    own skills if the hand-over selected some. Returns the turn the assignment carried, if any, for
    the runner to run before it polls for work.

    The warm-up runs no tenant's code and sees no tenant's data: nothing is assigned yet.
    """
    await toolbox.warm()
    skills.skills()  # the bundled skills every slot shows until a selection replaces them
    skills.hooks()
    _startup_files(os.environ.get("BASH_ENV"))
    http = UnixHttp(socket_path, {"authorization": f"Bearer {secret}"})
    try:
        assignment = await wait_for_assignment(http)
        if assignment.skills_changed:
            skills.forget()
        os.environ.update(assignment.env)
        await toolbox.adopt_environment()
        await channel.use_token(assignment.token or secret, http)  # the first turn reuses its connection
    finally:
        await http.close()
    return assignment.work


async def wait_for_assignment(http: UnixHttp) -> Assignment:
    """Long-poll on `http` (its headers carry the pool secret) until this pool sandbox is given an
    environment; its variables are exported for later shells (never a credential) before this returns."""
    delay = 0.05
    while True:
        try:
            response = await http.request("GET", f"{PREFIX}/assignment", params={"wait_s": "25"})
        except ChannelTransportError:  # the orchestrator (re)starting: its socket comes back
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
            continue
        if response.status == 200:
            assignment = Assignment.model_validate_json(response.body)
            assignment.env.pop(TOKEN_ENV, None)  # a credential never goes into the environment
            _export(assignment.env, os.environ.get("BASH_ENV"))
            return assignment
        if response.status >= 500:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        elif response.status != 204:
            raise SystemExit(f"no assignment for this sandbox: {response.status} {response.text}")


def _startup_files(path: str | None) -> None:
    """Make login and interactive shells (`warren attach`) read `path` (`~/.profile`, `~/.bashrc`),
    and `path` exist, empty until the assignment: written while the slot waits, so the hand-over
    writes one file (under gVisor each file written costs ~1 ms)."""
    if not path:
        return
    target = Path(path)
    if not target.exists():
        target.write_text("")
    for startup in (target.parent / ".profile", target.parent / ".bashrc"):
        if not startup.exists():
            startup.write_text(f". {shlex.quote(path)}\n")


def _export(env: dict[str, str], path: str | None) -> None:
    """Write `env` where the pool sandbox's shells read it (`BASH_ENV`; login shells via
    `_startup_files`).

    The container's own variables were fixed before its environment existed, so `docker exec bash`
    (files, `warren attach`) learns them here. No credential is ever among them.
    """
    if not path:
        return
    lines = [f"export {k}={shlex.quote(v)}" for k, v in env.items() if re.fullmatch(r"[A-Za-z_]\w*", k)]
    write_file(Path(path), "\n".join(lines) + "\n")
