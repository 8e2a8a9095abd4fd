"""Following a run live: the step view until the end, the deadline or Ctrl-C, then the settled record.

Ctrl-C and the `--timeout` deadline both cancel the interaction on the server rather than just
leaving, so nothing keeps running (and spending) after the CLI is gone; the stored interaction is
then polled until its status is final, since the stream may end just before it is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time

from orchestrator.cli.client import TERMINAL, WarrenClient
from orchestrator.cli.client_transport import Json
from orchestrator.cli.console import err, out
from orchestrator.cli.live_view import LiveView
from orchestrator.cli.render import PlainView

__all__ = ["follow", "settled"]


async def follow(client: WarrenClient, interaction_id: str, *, plain: bool, timeout_s: float) -> str:
    """Stream the steps until the end, `timeout_s` **seconds** or Ctrl-C; returns how it ended."""
    loop = asyncio.get_running_loop()
    interrupted = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # loop has no signal handlers
        loop.add_signal_handler(signal.SIGINT, interrupted.set)
    view = PlainView(out) if plain else LiveView(out)

    async def stream() -> str:
        status = "failed"
        async for event in client.events(
            interaction_id, on_reconnect=lambda last: view.note(f"reconnecting after event {last}")
        ):
            view.event(event)
            if event.get("event_type") == "interaction.completed":
                status = str((event.get("interaction") or {}).get("status"))
        return status

    following = asyncio.create_task(stream())
    stopper = asyncio.create_task(interrupted.wait())
    try:
        with view:
            done, _ = await asyncio.wait(
                {following, stopper}, timeout=max(timeout_s, 0.0), return_when=asyncio.FIRST_COMPLETED
            )
        if following in done:
            return following.result()
        ending = "interrupted" if stopper in done else "timeout"
        err.print(
            "[yellow]interrupted: cancelling the interaction[/]"
            if ending == "interrupted"
            else f"[yellow]timed out after {timeout_s:.0f}s: cancelling the interaction[/]"
        )
        await client.cancel_interaction(interaction_id)
        return ending
    finally:
        for task in (following, stopper):
            task.cancel()
        with contextlib.suppress(NotImplementedError, RuntimeError):  # loop has no signal handlers
            loop.remove_signal_handler(signal.SIGINT)


async def settled(client: WarrenClient, interaction_id: str, wait_s: float = 30.0) -> Json:
    """The stored interaction, once it has a final status (or after `wait_s` seconds)."""
    deadline = time.monotonic() + wait_s
    while True:
        interaction = await client.get_interaction(interaction_id)
        if interaction.get("status") in TERMINAL or time.monotonic() > deadline:
            return interaction
        await asyncio.sleep(0.3)
