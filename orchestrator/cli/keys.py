"""`warren keys`: create, list and revoke API keys (stored only as hashes)."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated

import typer

from orchestrator.cli.console import err, out, printable
from orchestrator.config import Settings

if TYPE_CHECKING:
    from orchestrator.store import Store

NAME = "keys"
app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)

TenantOpt = Annotated[str, typer.Option(help="The tenant the key belongs to.")]


async def _open_store() -> Store:
    """The server's store, opened here: imported only by these commands (SQLAlchemy and the
    migrations cost every other command ~0.4 s of its start)."""
    from orchestrator.datadir import private_folder, private_sqlite_files
    from orchestrator.store import Store

    settings = Settings.from_env()
    url = settings.database_url or f"sqlite+aiosqlite:///{settings.data_dir / 'warren.db'}"
    private_folder(settings.data_dir)  # the key hashes live there: private, as the server keeps it
    private_sqlite_files(url)
    return await Store.open(url)


@app.command()
def create(
    tenant: TenantOpt = "local",
    name: Annotated[str, typer.Option(help="A label for the key.")] = "default",
) -> None:
    """Create a key and print it once; only its hash is stored.

    Example: warren keys create --tenant acme --name ci
    """

    async def go() -> str:
        async with await _open_store() as store:
            _record, plaintext = await store.keys.create_key(tenant, name)
        return plaintext

    out.print(asyncio.run(go()), soft_wrap=True)
    err.print("[dim]store it now: it cannot be shown again[/]")


@app.command("list")
def list_keys(
    tenant: TenantOpt = "local",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List a tenant's keys (prefixes only).

    Example: warren keys list --tenant acme --json
    """

    async def go() -> list[dict[str, object]]:
        async with await _open_store() as store:
            keys = await store.keys.list_keys(tenant)
        return [k.model_dump(mode="json", exclude={"key_hash"}) for k in keys]

    rows = asyncio.run(go())
    if as_json:
        out.print_json(json.dumps(rows))
    else:
        for row in rows:
            line = f"{row['id']}  {row['prefix']}  {row['name']}  revoked={row['revoked_at'] or '-'}"
            out.print(printable(line), markup=False, highlight=False)


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (from `warren keys list`).")],
    tenant: TenantOpt = "local",
) -> None:
    """Revoke a key; requests with it get 401 from then on.

    Example: warren keys revoke key_123 --tenant acme
    """

    async def go() -> None:
        async with await _open_store() as store:
            await store.keys.revoke(tenant, key_id)

    asyncio.run(go())
    err.print(f"revoked {printable(key_id)}", markup=False)
