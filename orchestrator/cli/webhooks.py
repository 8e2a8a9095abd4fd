"""`warren webhooks`: create, list, get, update, delete, ping, rotate-secret, and the delivery log.

Exit codes: 0 done, 1 the server or connection failed, 2 bad input (refused here or answered 400).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from orchestrator.cli.api_call import call
from orchestrator.cli.client import WarrenClient
from orchestrator.cli.client_transport import ApiError
from orchestrator.cli.common import ApiKeyOpt, JsonOpt, UrlOpt
from orchestrator.cli.console import err, literal, out

NAME = "webhooks"
app = typer.Typer(help="Webhooks: where a tenant's events are posted, signed.", no_args_is_help=True)

EVENTS = (
    "interaction.completed",
    "interaction.failed",
    "interaction.requires_action",
    "interaction.cancelled",
    "trigger.execution.completed",
    "trigger.execution.failed",
)
WebhookArg = Annotated[str, typer.Argument(help="The webhook's id.")]
EventOpt = Annotated[
    list[str] | None, typer.Option("--event", "-e", help=f"An event to post (repeat): {', '.join(EVENTS)}.")
]
UriOpt = Annotated[str | None, typer.Option("--uri", help="Where to post: an http(s) URI.")]
NameOpt = Annotated[str | None, typer.Option("--name", help="A label.")]


def _call(work: Callable[[WarrenClient], Awaitable[Any]], url: str | None, api_key: str | None) -> Any:
    def refusal(exc: ApiError) -> str | None:
        return f"the server refused it: {exc.message}" if exc.status == 400 else None

    return call(work, url, api_key, refusal)


def _events(events: list[str] | None) -> list[str] | None:
    for event in events or []:
        if event not in EVENTS:
            raise typer.BadParameter(f"{event!r} is not one of {', '.join(EVENTS)}", param_hint="--event")
    return events


def _show(hook: dict[str, Any], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(hook))
        return
    out.print(hook["id"], soft_wrap=True)
    events = ", ".join(hook.get("subscribed_events") or [])
    err.print(f"[dim]{literal(hook['state'])} → {literal(hook['uri'])} ({literal(events)})[/]")


@app.command()
def create(
    uri: Annotated[str, typer.Option("--uri", help="Where to post: an http(s) URI.")],
    event: EventOpt = None,
    name: NameOpt = None,
    as_json: JsonOpt = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Create a webhook; its signing secret is printed once (on stderr unless --json).

    Example: warren webhooks create --uri https://hooks.example.com/warren -e interaction.completed
    """
    body = {"uri": uri, "subscribed_events": _events(event) or ["interaction.completed"], "name": name}
    hook = _call(lambda c: c.call_json("POST", f"/{c.version}/webhooks", json=body), url, api_key)
    _show(hook, as_json)
    if not as_json:
        err.print(f"signing secret (shown once): {literal(hook.get('new_signing_secret') or '')}")


@app.command("list")
def list_webhooks(as_json: JsonOpt = False, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """List this tenant's webhooks.

    Example: warren webhooks list --json
    """
    hooks = _call(lambda c: c.pages(f"/{c.version}/webhooks", "webhooks"), url, api_key)
    if as_json:
        out.print_json(json.dumps(hooks))
        return
    table = Table("id", "state", "uri", "events", box=None)
    for hook in hooks:
        cells = (hook["id"], hook["state"], hook["uri"], ", ".join(hook.get("subscribed_events") or []))
        table.add_row(*(literal(cell) for cell in cells))
    out.print(table)


@app.command()
def get(webhook_id: WebhookArg, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Print one webhook as JSON (secrets truncated).

    Example: warren webhooks get wh_0123456789abcdef
    """
    hook = _call(lambda c: c.call_json("GET", f"/{c.version}/webhooks/{webhook_id}"), url, api_key)
    out.print_json(json.dumps(hook))


@app.command()
def update(
    webhook_id: WebhookArg,
    uri: UriOpt = None,
    event: EventOpt = None,
    name: NameOpt = None,
    state: Annotated[str | None, typer.Option("--state", help="enabled or disabled.")] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Change the fields given (enabling again lifts `disabled_due_to_failed_deliveries`).

    Example: warren webhooks update wh_0123456789abcdef --state disabled
    """
    if state not in (None, "enabled", "disabled"):
        raise typer.BadParameter("must be enabled or disabled", param_hint="--state")
    given = {"uri": uri, "subscribed_events": _events(event), "name": name, "state": state}
    body = {k: v for k, v in given.items() if v is not None}
    if not body:
        raise typer.BadParameter("give at least one of --uri, --event, --name, --state")
    params = {"update_mask": ",".join(body)}
    path = f"/{webhook_id}"
    hook = _call(
        lambda c: c.call_json("PATCH", f"/{c.version}/webhooks{path}", json=body, params=params), url, api_key
    )
    _show(hook, as_json)


@app.command()
def delete(webhook_id: WebhookArg, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Delete a webhook (its undelivered events are dropped).

    Example: warren webhooks delete wh_0123456789abcdef
    """
    _call(lambda c: c.call("DELETE", f"/{c.version}/webhooks/{webhook_id}"), url, api_key)
    err.print(f"deleted webhook {literal(webhook_id)}")


@app.command()
def ping(webhook_id: WebhookArg, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Send a signed `webhook.ping` event; see its outcome with `warren webhooks deliveries`.

    Example: warren webhooks ping wh_0123456789abcdef
    """
    _call(lambda c: c.call_json("POST", f"/{c.version}/webhooks/{webhook_id}:ping", json={}), url, api_key)
    err.print(f"ping queued for {literal(webhook_id)}")


@app.command("rotate-secret")
def rotate_secret(
    webhook_id: WebhookArg,
    now: Annotated[
        bool, typer.Option("--now", help="Revoke the old secrets at once (default: in 24 h).")
    ] = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Make a new signing secret and print it (shown once).

    Example: warren webhooks rotate-secret wh_0123456789abcdef --now
    """
    how = "revoke_previous_secrets_immediately" if now else "revoke_previous_secrets_after_h24"
    path = f"/{webhook_id}:rotateSigningSecret"
    body = {"revocation_behavior": how}
    answer = _call(lambda c: c.call_json("POST", f"/{c.version}/webhooks{path}", json=body), url, api_key)
    out.print(answer["secret"], soft_wrap=True)


@app.command()
def deliveries(
    webhook_id: Annotated[
        str, typer.Argument(help="The webhook's id, or - for requests' webhook_config URIs.")
    ],
    as_json: JsonOpt = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """The delivery log: each event, its state, and every attempt's HTTP status or error.

    Example: warren webhooks deliveries wh_0123456789abcdef
    """
    path = f"/{webhook_id}/deliveries"
    found = _call(lambda c: c.pages(f"/{c.version}/webhooks{path}", "deliveries"), url, api_key)
    if as_json:
        out.print_json(json.dumps(found))
        return
    table = Table("event", "state", "attempts", box=None)
    for item in found:
        tries = " ".join(str(a.get("status") or a.get("error") or "-") for a in item.get("attempts") or [])
        table.add_row(literal(item["event_type"]), literal(item["state"]), literal(tries))
    out.print(table)
