"""`warren envs`: list, inspect, stop, resume and delete environments (sandboxes with a workspace)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Column, Table

from orchestrator.cli.common import ApiKeyOpt, JsonOpt, UrlOpt, run_async
from orchestrator.cli.connection import connection
from orchestrator.cli.console import err, literal, out

NAME = "envs"
app = typer.Typer(help="List, inspect, stop, resume and delete environments.", no_args_is_help=True)

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
