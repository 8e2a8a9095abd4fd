"""`warren envs`: list, inspect, stop, resume and delete environments (sandboxes with a workspace), and
open their ports at preview URLs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Column, Table

from orchestrator.cli.common import ApiKeyOpt, JsonOpt, UrlOpt, run_async
from orchestrator.cli.connection import connection
from orchestrator.cli.console import err, literal, out

NAME = "envs"
app = typer.Typer(
    help="List, inspect, stop, resume and delete environments; open their ports.", no_args_is_help=True
)

EnvArg = Annotated[str, typer.Argument(help="The environment's id.")]


@app.command("list")
def list_envs(as_json: JsonOpt = False, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """List this tenant's environments, oldest first.

    Example: warren envs list
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            envs = await client.list_environments()
        if as_json:
            out.print_json(json.dumps(envs))
            return
        table = Table(
            Column("id", no_wrap=True, min_width=28), "status", "created", "last accessed", box=None
        )
        for env in envs:
            cells = (
                env["id"],
                env.get("status", "-"),
                env.get("created", "-"),
                env.get("last_accessed", "-"),
            )
            table.add_row(*(literal(cell) for cell in cells))
        out.print(table)

    run_async(go())


@app.command()
def get(environment_id: EnvArg, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Print one environment as JSON.

    Example: warren envs get env_0123abcd
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            out.print_json(json.dumps(await client.get_environment(environment_id)))

    run_async(go())


@app.command()
def delete(environment_id: EnvArg, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Delete an environment: its sandbox and workspace are destroyed.

    Example: warren envs delete env_0123abcd
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            await client.delete_environment(environment_id)
        err.print(f"deleted environment {literal(environment_id)}")

    run_async(go())


@app.command()
def stop(environment_id: EnvArg, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Stop an environment's sandbox now; its workspace is kept and the next use resumes it.

    Example: warren envs stop env_0123abcd
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            await client.stop_environment(environment_id)
        err.print(f"stopped environment {literal(environment_id)}")

    run_async(go())


@app.command()
def resume(environment_id: EnvArg, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Start a stopped environment's sandbox again, with its workspace as it was.

    Example: warren envs resume env_0123abcd
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            await client.resume_environment(environment_id)
        err.print(f"resumed environment {literal(environment_id)}")

    run_async(go())


@app.command()
def port(
    environment_id: EnvArg,
    port: Annotated[
        int, typer.Argument(min=1, max=65535, help="A port a process listens on in the sandbox.")
    ],
    close: Annotated[bool, typer.Option("--close", help="Close the port instead of opening it.")] = False,
    as_json: JsonOpt = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Open a port of the environment's sandbox at a preview URL and print the URL.

    The URL takes the API key (x-goog-api-key); a signed link for a browser, valid for an hour by
    default, goes to stderr. Every port is closed until opened here or by the API.

    Example: warren envs port env_0123abcd 8000
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            if close:
                await client.close_port(environment_id, port)
                err.print(f"closed port {port} of {literal(environment_id)}")
                return
            opened = await client.open_port(environment_id, port)
        if as_json:
            out.print_json(json.dumps(opened))
            return
        out.print(literal(opened["url"]), soft_wrap=True)
        link, until = opened.get("browser_url"), opened.get("browser_url_expire_time")
        if link:
            err.print(f"in a browser (until {literal(until or '?')}): {literal(link)}", soft_wrap=True)

    run_async(go())
