"""`warren agents`: create (from a YAML file), get, list and delete agents."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from orchestrator.cli.common import ApiKeyOpt, JsonOpt, UrlOpt, run_async
from orchestrator.cli.connection import connection
from orchestrator.cli.console import err, literal, out

NAME = "agents"
app = typer.Typer(help="Create, inspect and delete agents.", no_args_is_help=True)

AgentArg = Annotated[str, typer.Argument(help="The agent's id.")]


def _model(agent: dict[str, Any]) -> str:
    return str((agent.get("agent_config") or {}).get("model") or "-")


@app.command()
def create(
    file: Annotated[Path, typer.Option("--file", "-f", help="The agent's YAML definition.")],
    as_json: JsonOpt = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Create an agent from a YAML file (id, base_agent, system_instruction, model, tools, base_environment).

    Local `path:` sources in base_environment are read and sent inline. A field that fails
    validation is reported as `file:line: field: problem`.

    Example: warren agents create -f agent.yaml
    """

    async def go() -> None:
        from orchestrator.cli.agent_file import load_agent_file  # pydantic, YAML and the tar packer

        spec = await asyncio.to_thread(load_agent_file, file)
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            agent = await client.create_agent(spec)
        if as_json:
            out.print_json(json.dumps(agent))
        else:
            out.print(agent["id"], soft_wrap=True)
            err.print(f"[dim]created agent {literal(agent['id'])} (model {literal(_model(agent))})[/]")

    run_async(go())


@app.command()
def get(agent_id: AgentArg, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Print one agent's definition as JSON.

    Example: warren agents get repo-fixer
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            out.print_json(json.dumps(await client.get_agent(agent_id)))

    run_async(go())


@app.command("list")
def list_agents(as_json: JsonOpt = False, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """List the agents this key's tenant can use (the built-in `default` first).

    Example: warren agents list --json
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            agents = await client.list_agents()
        if as_json:
            out.print_json(json.dumps(agents))
            return
        table = Table(Column("id", no_wrap=True, min_width=28), "base", "model", "description", box=None)
        for agent in agents:
            cells = (
                agent.get("id"),
                agent.get("base_agent") or "-",
                _model(agent),
                agent.get("description") or "",
            )
            table.add_row(*(literal(cell) for cell in cells))
        out.print(table)

    run_async(go())


@app.command()
def delete(agent_id: AgentArg, url: UrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Delete a custom agent.

    Example: warren agents delete repo-fixer
    """

    async def go() -> None:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            await client.delete_agent(agent_id)
        err.print(f"deleted agent {literal(agent_id)}")

    run_async(go())
