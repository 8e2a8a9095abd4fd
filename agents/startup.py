"""The runner process's start inside the sandbox (`python -P -S -m agents.boot` lands here): harden the
process, claim the credential, wait for a warm-pool assignment, start the egress forwarder, then hand
the channel and the toolbox to the loop.

Kept apart from the loop because this is where the credential enters the process: the order of
these steps is the defence (non-dumpable first, the token never in the environment).
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from agents.channel import Channel, ChannelClosedError, claim
from agents.protocol import EGRESS_SOCKET_ENV, FORWARDER_PORT, POOLED_ENV, SOCKET_ENV, SOCKET_PATH, TOKEN_ENV

__all__ = ["main"]

_PR_SET_DUMPABLE = 4


def _not_dumpable() -> None:
    """prctl(PR_SET_DUMPABLE, 0): `/proc/<pid>/{mem,environ}` become root's and ptrace is refused, so
    code of the same uid (what the model runs) cannot read the token from this process."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed: refusing to hold a credential")


def main() -> None:
    """Entry point inside the sandbox: connect over the socket and serve turns forever."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    _not_dumpable()  # before any secret enters this process
    os.environ.pop(TOKEN_ENV, None)  # an older orchestrator's variable: no tool may inherit it
    from agents.runner import Runner
    from agents.skills_mount import SkillsMount
    from agents.tools import Toolbox  # the toolbox pulls in Playwright: only in the sandbox

    socket_path = os.environ.get(SOCKET_ENV, SOCKET_PATH)

    async def serve() -> None:
        from agents import forwarder
        from agents.assignment import take_assignment

        try:
            token = await claim(socket_path)
        except ChannelClosedError as exc:  # someone claimed it first: never serve on a shared credential
            raise SystemExit(f"runner: {exc}") from exc
        channel = Channel(socket_path, token)
        toolbox = Toolbox(frames=channel.frame)  # the browser's page, while someone watches
        channel.on_watched = toolbox.watch
        skills, first = SkillsMount(Path("/skills")), None
        if os.environ.get(POOLED_ENV):  # a warm-pool sandbox: warm up, then wait for an environment
            first = await take_assignment(socket_path, token, channel, toolbox, skills)
        else:
            skills.read_ahead()  # while the first poll for work waits
        del token
        egress = os.environ.get(EGRESS_SOCKET_ENV)
        port = int(os.environ.get(forwarder.PORT_ENV, FORWARDER_PORT))
        proxy = await forwarder.serve(egress, port) if egress else None  # allowlist: the only way out
        try:
            shell = asyncio.create_task(toolbox.prestart())  # overlaps the first model turn
            await Runner(channel, toolbox, skills=skills).serve_forever(first)
            await shell
        finally:
            if proxy is not None:
                proxy.close()

    asyncio.run(serve())
