"""`warren logs`: print an interaction's steps, or follow them live."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from orchestrator.cli.common import ApiKeyOpt, JsonOpt, UrlOpt, run_async
from orchestrator.cli.connection import connection
from orchestrator.cli.console import err, literal, out
from orchestrator.cli.live_view import LiveView
from orchestrator.cli.render import PlainView, StepView

__all__ = ["logs"]


def logs(
    interaction_id: Annotated[str, typer.Argument(help="The interaction's id.")],
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", help="Follow live until the interaction ends (resumes on drops)."),
    ] = False,
    plain: Annotated[
        bool, typer.Option("--plain", help="Plain lines, no live view (default off a TTY).")
    ] = False,
    as_json: JsonOpt = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Print an interaction's steps; with --follow, stream them as they happen.

    After a dropped connection --follow resumes after the last event it saw, so no step is shown
    twice or lost. --json prints the stored steps as a JSON array (with --follow: one event per line).

    Example: warren logs int_0123abcd --follow
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            if not follow:
                interaction = await client.get_interaction(interaction_id)
                steps = interaction.get("steps") or []
                if as_json:
                    out.print_json(json.dumps(steps))
                    return
                view = PlainView(out)
                for step in steps:
                    view.step(step)
                err.print(f"[dim]status {literal(interaction.get('status'))}[/]")
                return
            shown: StepView = PlainView(out) if plain or as_json or not out.is_terminal else LiveView(out)
            with shown:
                async for event in client.events(
                    interaction_id,
                    on_reconnect=lambda last: err.print(f"[dim]reconnecting after event {last}[/]"),
                ):
                    if as_json:
                        out.print(json.dumps(event), markup=False, highlight=False, soft_wrap=True)
                    else:
                        shown.event(event)

    run_async(go())
