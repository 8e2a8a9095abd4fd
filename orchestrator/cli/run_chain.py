"""Following a run through its approvals: each pause answered at the terminal continues the chain.

A run that meets a guarded tool call ends `requires_action` with an approval request
(`approvals.py`). With a person at the terminal (stdin is a TTY) the CLI asks, answers with a
continuation and follows that one too, so one `warren run` (or `warren approve`) covers the whole
chain: its steps, its ending and its exit code. Off a terminal it prints the request and the
commands that answer it, and ends `requires_action` (exit 4). `--timeout` is shared by the chain's
interactions; the time a person takes to answer is not counted, since nothing runs meanwhile.
"""

from __future__ import annotations

import shlex
import sys
import time
from dataclasses import dataclass, field

from orchestrator.cli.approval_prompt import Unanswered, ask_approval, show_request
from orchestrator.cli.approvals import Approval, answer_body, pending_approval
from orchestrator.cli.client import WarrenClient
from orchestrator.cli.client_transport import Json
from orchestrator.cli.console import err, literal
from orchestrator.cli.run_follow import follow, settled

__all__ = ["Chain", "follow_chain"]


@dataclass
class Chain:
    """The interactions one command followed, one continuing the other, and how the last ended."""

    interaction_id: str
    """The interaction followed now (the last of the chain)."""
    plain: bool
    """Plain lines rather than the live view."""
    timeout_s: float
    """The run time the whole chain may take, in **seconds**."""
    server_url: str | None
    """The server's URL, for the printed `warren approve` commands; `None` for an embedded server."""
    interactions: list[Json] = field(default_factory=list)
    """Each followed interaction as stored once settled, in order."""
    ending: str = "failed"
    """How the last one ended: its status, or `timeout` / `interrupted`."""
    run_s: float = 0.0
    """Time spent following, in **seconds** (not the time a person took to answer)."""


async def follow_chain(client: WarrenClient, chain: Chain) -> Json:
    """Follow `chain.interaction_id`, answering approvals at a terminal; returns the last interaction."""
    while True:
        started = time.monotonic()
        ending = await follow(
            client, chain.interaction_id, plain=chain.plain, timeout_s=chain.timeout_s - chain.run_s
        )
        chain.run_s += time.monotonic() - started
        interaction = await settled(client, chain.interaction_id)
        chain.interactions.append(interaction)
        chain.ending = ending if ending in ("timeout", "interrupted") else str(interaction.get("status"))
        request = pending_approval(interaction) if chain.ending == "requires_action" else None
        if request is None:
            return interaction
        show_request(request)
        answer = await ask_approval(request) if sys.stdin.isatty() else Unanswered.CLOSED
        if answer is Unanswered.INTERRUPTED:
            chain.ending = "interrupted"
        if isinstance(answer, Unanswered):
            _how_to_answer(chain, request)
            return interaction
        approved, reason = answer
        created = await client.create_interaction(answer_body(interaction, request, approved, reason))
        chain.interaction_id = created["id"]
        verdict = "approved" if approved else "denied"
        err.print(
            f"[dim]{verdict}: continuing in interaction {literal(chain.interaction_id)}[/]", soft_wrap=True
        )


def _how_to_answer(chain: Chain, request: Approval) -> None:
    if chain.server_url is None:
        err.print(
            "[yellow]not answered: the embedded server stops with this run, so nothing can answer it"
            " later; run against a server (WARREN_URL) to answer with `warren approve`[/]",
            soft_wrap=True,
        )
        return
    command = f"warren approve {shlex.quote(chain.interaction_id)} --url {shlex.quote(chain.server_url)}"
    err.print(f"[yellow]waiting for approval of {literal(request.tool)}; answer with:[/]", soft_wrap=True)
    err.print(f"    {literal(command)}", soft_wrap=True, highlight=False)
    err.print(f"    {literal(command)} --deny --reason TEXT", soft_wrap=True, highlight=False)
