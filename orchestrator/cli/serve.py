"""`warren serve`: run the API server."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from orchestrator.cli.console import err
from orchestrator.config import Settings
from orchestrator.datadir import private_folder, private_sqlite_files
from orchestrator.observability.logs import uvicorn_log_config


class LogFormat(StrEnum):
    """How `warren serve` writes its log lines."""

    text = "text"
    json = "json"


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    database_url: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL (default: SQLite in the data dir). Env: WARREN_DATABASE_URL."),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory. Env: WARREN_DATA_DIR.")] = None,
    max_running: Annotated[int | None, typer.Option(help="Most interactions running at once.")] = None,
    dev: Annotated[bool, typer.Option("--dev", help="Create an API key at start-up and print it.")] = False,
    sandboxes: Annotated[
        bool, typer.Option("--sandboxes/--no-sandboxes", help="Run environments in Docker sandboxes.")
    ] = True,
    log_format: Annotated[
        LogFormat, typer.Option(help="Log lines as text, or one JSON object per line with the ids known.")
    ] = LogFormat.text,
) -> None:
    """Serve the Warren API (wire-compatible with google-genai's interactions, agents, environments).

    Example: warren serve --dev --port 8080
    """
    settings = Settings.from_env(
        database_url=database_url,
        data_dir=data_dir,
        max_running=max_running,
        dev=dev or None,
        sandboxes=sandboxes,
    )
    if settings.dev:
        key = asyncio.run(_dev_key(settings))
        err.print(f"[bold]dev API key[/] {key}")
        err.print(f"  export GOOGLE_GEMINI_BASE_URL=http://{host}:{port} GEMINI_API_KEY={key}")
    from orchestrator.channel.limits import raise_open_file_limit
    from orchestrator.compose import build_app
    from orchestrator.server_gc import tune_for_serving

    # Every sandbox's sockets and every client share the descriptor table: use all the kernel allows
    # (the channels take at most a quarter of it, `channel_share`).
    raise_open_file_limit()
    app = build_app(settings)
    tune_for_serving()  # after the imports and the app: the heap that lives as long as the process
    # On SIGTERM, open requests (foreground creates, streams) get the grace period too; then the
    # app's own shutdown gives running interactions theirs and leaves the rest resumable.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        log_config=uvicorn_log_config(log_format.value),
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_s)),
    )


async def _dev_key(settings: Settings) -> str:
    from orchestrator.store import Store

    url = settings.database_url or f"sqlite+aiosqlite:///{settings.data_dir / 'warren.db'}"
    private_folder(settings.data_dir)  # made before the server's start-up: private from the first byte
    private_sqlite_files(url)
    async with await Store.open(url) as store:
        _record, plaintext = await store.keys.create_key("local", "dev")
    return plaintext
