"""`warren approve`: answer the approval a paused interaction waits on, and follow what it continues."""

from __future__ import annotations

from typing import Annotated

import typer

from orchestrator.cli.approvals import answer_body, pending_approval
from orchestrator.cli.common import ApiKeyOpt, UrlOpt, UsageProblem, refused_is_usage, run_async
from orchestrator.cli.connection import connection
from orchestrator.cli.console import err, literal, out
from orchestrator.cli.run_chain import Chain, follow_chain
from orchestrator.cli.run_job import EXIT_CODES, parse_duration

__all__ = ["approve"]


def approve(
    interaction_id: Annotated[str, typer.Argument(help="The paused interaction's id.")],
    deny: Annotated[
        bool, typer.Option("--deny", help="Deny the call: it never runs, and the model is told so.")
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="With --deny: why, in words the model reads.", show_default=False)
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow/--no-follow",
            help="Follow the continuation to its end and exit with its outcome, or only start it.",
        ),
    ] = True,
    timeout: Annotated[
        str, typer.Option(help="With --follow: cancel the continuation after this long (90s, 30m, 1h).")
    ] = "30m",
    plain: Annotated[
        bool, typer.Option("--plain", help="Plain lines, no live view (default off a TTY).")
    ] = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Approve (or --deny) the tool call a paused interaction waits on, and continue it.

    The interaction must be requires_action on an approval request (a guarded tool call). The answer
    is a new interaction continuing it (same agent, agent_config and environment); its id is printed
    on stdout. Approved, the call runs first; denied, it never runs and the model reads the reason.
    With --follow (the default) its steps stream as in `warren run`, a further approval request is
    asked at a terminal (off one: printed, exit 4), and the exit code is the outcome.

    Exit codes: 0 completed (or started, with --no-follow) · 1 failed · 2 bad usage, or nothing to
    approve · 3 timeout, budget or token limit · 4 requires_action · 130 interrupted.

    Example: warren approve int_0123abcd --deny --reason "no network calls in this task"
    """

    async def go() -> int:
        if reason is not None and not deny:
            raise UsageProblem("--reason goes with --deny (an approval needs no reason)")
        timeout_s = parse_duration(timeout)
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            paused = await refused_is_usage(client.get_interaction(interaction_id), "interaction")
            request = pending_approval(paused)
            if request is None:
                raise UsageProblem(
                    f"interaction {interaction_id} waits on no approval (it is {paused.get('status')})"
                )
            body = answer_body(paused, request, approved=not deny, reason=reason or "")
            created = await refused_is_usage(client.create_interaction(body), "answer")
            out.print(created["id"], markup=False, highlight=False)
            verdict = "denied" if deny else "approved"
            err.print(
                f"[dim]{verdict} {literal(request.tool)}: continuing in interaction"
                f" {literal(created['id'])}[/]",
                soft_wrap=True,
            )
            if not follow:
                return 0
            chain = Chain(created["id"], plain or not out.is_terminal, timeout_s, conn.url)
            await follow_chain(client, chain)
            code = EXIT_CODES.get(chain.ending, 1)
            colour = "green" if code == 0 else "red"
            err.print(f"[{colour}]{literal(chain.ending)}[/] · exit {code}", highlight=False)
            return code

    raise typer.Exit(run_async(go()))
