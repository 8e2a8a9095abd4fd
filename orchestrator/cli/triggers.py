"""`warren triggers`: create, list, get, pause, resume, delete, run now, and the executions.

Exit codes: 0 done, 1 the server or connection failed, 2 bad input (refused here, or a 400 from the
server, reported against the flag that set the refused field).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from orchestrator.cli.api_call import call
from orchestrator.cli.client import WarrenClient
from orchestrator.cli.client_transport import ApiError
from orchestrator.cli.common import ApiKeyOpt, JsonOpt, UrlOpt, UsageProblem, fail
from orchestrator.cli.console import err, literal, out
from orchestrator.cli.trigger_body import build_body, flag_of, read_file

NAME = "triggers"
app = typer.Typer(help="Triggers: run an agent on a cron schedule.", no_args_is_help=True)

TriggerArg = Annotated[str, typer.Argument(help="The trigger's id.")]
STATUSES = ("active", "paused", "error")
POLL_S = 0.5
"""How often `run --wait` looks at the execution."""


def _call(
    work: Callable[[WarrenClient], Awaitable[Any]],
    url: str | None,
    api_key: str | None,
    given: set[str] | None = None,
) -> Any:
    def refusal(exc: ApiError) -> str | None:
        flag = flag_of(exc.message, given or set())
        if exc.status == 400 or (exc.status == 404 and flag is not None):
            return f"the server refused {flag or exc.message}"
        return None

    return call(work, url, api_key, refusal)


async def _pages(client: WarrenClient, path: str, key: str, query: dict[str, str]) -> list[dict[str, Any]]:
    """Every item of a paged list, keeping `query` on each page (the transport's `pages` drops it)."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params = {**query, "page_token": token} if token else query
        page = await client.call_json("GET", f"/{client.version}{path}", params=params)
        items += page.get(key) or []
        if not (token := page.get("next_page_token")):
            return items


def _show(trigger: dict[str, Any], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(trigger))
        return
    out.print(trigger["id"], soft_wrap=True)
    when = trigger.get("next_run_time") or "not scheduled"
    where = f"{trigger['schedule']} {trigger['time_zone']}"
    err.print(f"[dim]{literal(trigger['status'])}: {literal(where)}, next run {literal(when)}[/]")


@app.command()
def create(
    file: Annotated[Path | None, typer.Option("--file", "-f", help="A YAML or JSON trigger body.")] = None,
    schedule: Annotated[str | None, typer.Option(help="5-field cron, e.g. '0 7 * * 1-5'.")] = None,
    time_zone: Annotated[str | None, typer.Option(help="IANA time zone (default UTC).")] = None,
    agent: Annotated[str | None, typer.Option(help="The agent each run talks to.")] = None,
    model: Annotated[str | None, typer.Option(help="Or a model, e.g. gemini:gemini-3-pro.")] = None,
    input: Annotated[str | None, typer.Option("--input", "-i", help="What each run is asked.")] = None,
    environment_id: Annotated[str | None, typer.Option(help="The environment runs use.")] = None,
    name: Annotated[str | None, typer.Option(help="A display name.")] = None,
    timeout: Annotated[
        int | None, typer.Option(min=1, max=86400, help="Seconds before a run is cancelled (default 3600).")
    ] = None,
    max_failures: Annotated[
        int | None, typer.Option(min=1, max=1000, help="Failed runs in a row that set error (default 5).")
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Create a trigger from flags or a file (-f); flags replace the file's fields.

    Example: warren triggers create --schedule '0 7 * * 1-5' --agent repo-fixer -i 'Run the checks'
    """
    flags = {
        "schedule": schedule,
        "time_zone": time_zone,
        "display_name": name,
        "environment_id": environment_id,
        "execution_timeout_seconds": timeout,
        "max_consecutive_failures": max_failures,
        "interaction.agent": agent,
        "interaction.model": model,
        "interaction.input": input,
    }
    try:
        body = build_body(read_file(file) if file is not None else None, flags)
    except UsageProblem as exc:
        fail(str(exc), exc.exit_code)
    given = {k for k, v in flags.items() if v is not None}
    path = "/triggers"
    trigger = _call(lambda c: c.call_json("POST", f"/{c.version}{path}", json=body), url, api_key, given)
    _show(trigger, as_json)


@app.command("list")
def list_triggers(
    status: Annotated[str | None, typer.Option(help="Only active, paused or error.")] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """List this tenant's triggers, oldest first.

    Example: warren triggers list --status paused
    """
    if status not in (None, *STATUSES):
        raise typer.BadParameter(f"must be one of {', '.join(STATUSES)}", param_hint="--status")
    query = {"filter": f'status="{status}"'} if status else {}
    found = _call(lambda c: _pages(c, "/triggers", "triggers", query), url, api_key)
    if as_json:
        out.print_json(json.dumps(found))
        return
    table = Table("id", "status", "schedule", "time zone", "next run", "name", box=None)
    for t in found:
        cells = (t["id"], t["status"], t["schedule"], t["time_zone"], t.get("next_run_time") or "-")
        table.add_row(*(literal(cell) for cell in (*cells, t.get("display_name") or "")))
    out.print(table)


@app.command()
def get(trigger_id: TriggerArg, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Print one trigger as JSON.

    Example: warren triggers get trig_0123456789abcdef
    """
    trigger = _call(lambda c: c.call_json("GET", f"/{c.version}/triggers/{trigger_id}"), url, api_key)
    out.print_json(json.dumps(trigger))


def _set_status(trigger_id: str, status: str, as_json: bool, url: str | None, api_key: str | None) -> None:
    body = {"status": status}
    path = f"/triggers/{trigger_id}"
    _show(_call(lambda c: c.call_json("PATCH", f"/{c.version}{path}", json=body), url, api_key), as_json)


@app.command()
def pause(
    trigger_id: TriggerArg, as_json: JsonOpt = False, url: UrlOpt = None, api_key: ApiKeyOpt = None
) -> None:
    """Stop scheduled runs (times missed while paused never fire).

    Example: warren triggers pause trig_0123456789abcdef
    """
    _set_status(trigger_id, "paused", as_json, url, api_key)


@app.command()
def resume(
    trigger_id: TriggerArg, as_json: JsonOpt = False, url: UrlOpt = None, api_key: ApiKeyOpt = None
) -> None:
    """Schedule runs again from now (also out of error, with the failure count reset).

    Example: warren triggers resume trig_0123456789abcdef
    """
    _set_status(trigger_id, "active", as_json, url, api_key)


@app.command()
def delete(trigger_id: TriggerArg, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Delete a trigger and its executions (the interactions it made stay).

    Example: warren triggers delete trig_0123456789abcdef
    """
    _call(lambda c: c.call("DELETE", f"/{c.version}/triggers/{trigger_id}"), url, api_key)
    err.print(f"deleted trigger {literal(trigger_id)}")


@app.command()
def run(
    trigger_id: TriggerArg,
    wait: Annotated[bool, typer.Option("--wait", "-w", help="Wait for the run to end.")] = False,
    as_json: JsonOpt = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Run a trigger now, whatever its status; prints the execution (exit 1 if a waited run did not complete).

    Example: warren triggers run trig_0123456789abcdef --wait
    """
    path = f"/triggers/{trigger_id}/executions"

    async def work(client: WarrenClient) -> dict[str, Any]:
        started: dict[str, Any] = await client.call_json("POST", f"/{client.version}{path}", json={})
        if not wait or started["status"] != "in_progress":
            return started
        with err.status(f"run {literal(started['id'])} in progress"):
            while True:
                await asyncio.sleep(POLL_S)
                for item in await _pages(client, path, "trigger_executions", {}):
                    if item["id"] == started["id"] and item["status"] != "in_progress":
                        return item

    execution = _call(work, url, api_key)
    if as_json:
        out.print_json(json.dumps(execution))
    else:
        _print_executions([execution], as_json=False)
    if wait and execution["status"] != "completed":
        raise typer.Exit(1)


@app.command()
def executions(
    trigger_id: TriggerArg, as_json: JsonOpt = False, url: UrlOpt = None, api_key: ApiKeyOpt = None
) -> None:
    """A trigger's runs, oldest first: status, times, the interaction each made, and why one failed.

    Example: warren triggers executions trig_0123456789abcdef
    """
    path = f"/triggers/{trigger_id}/executions"
    found = _call(lambda c: _pages(c, path, "trigger_executions", {}), url, api_key)
    _print_executions(found, as_json)


def _print_executions(items: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(items))
        return
    table = Table("id", "status", "scheduled", "started", "ended", "interaction", "error", box=None)
    for e in items:
        keys = ("id", "status", "scheduled_time", "start_time", "end_time", "interaction_id", "error")
        table.add_row(*(literal(e.get(key) or "-") for key in keys))
    out.print(table)
