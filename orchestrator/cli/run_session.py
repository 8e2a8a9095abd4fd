"""One `warren run` against a server: sources up, the interaction created and followed, artifacts down.

The server is the one configured, or an embedded one started here (and stopped at the end).
The environment the run made is deleted afterwards unless `--keep-env`; a refusal of the agent
or request (400/404) is a usage problem (exit 2), not a failed run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from orchestrator.cli.artifacts import Artifact, changed, download_tree
from orchestrator.cli.artifacts import snapshot as take_snapshot
from orchestrator.cli.client import WarrenClient
from orchestrator.cli.client_transport import ApiError, Json
from orchestrator.cli.common import CliError, refused_is_usage
from orchestrator.cli.connection import Connection
from orchestrator.cli.console import err, literal
from orchestrator.cli.embedded import EmbeddedServer
from orchestrator.cli.run_chain import Chain, follow_chain
from orchestrator.cli.run_job import EXIT_CODES, RunJob
from orchestrator.cli.run_report import summary, write_report
from orchestrator.cli.sources import pack_sources

__all__ = ["run_job"]


async def run_job(job: RunJob, remote: Connection | None, report_path: Path | None) -> int:
    """Run `job` on `remote` (or an embedded server); returns the exit code."""
    started = time.monotonic()
    async with _server(remote) as conn, conn.client() as client:
        job.timings["setup_s"] = time.monotonic() - started
        try:
            return await _run_on(client, job, report_path, started)
        finally:
            if job.environment_id and not job.keep:
                with contextlib.suppress(ApiError, CliError):
                    await client.delete_environment(job.environment_id)


@contextlib.asynccontextmanager
async def _server(remote: Connection | None) -> AsyncIterator[Connection]:
    if remote is not None:
        yield remote
        return
    with err.status("starting the embedded server (the first run on a machine builds the sandbox image)"):
        embedded = EmbeddedServer()
        connected = await embedded.__aenter__()
    try:
        yield connected
    finally:
        await embedded.stop()


async def _prepare_environment(client: WarrenClient, job: RunJob) -> dict[str, Any]:
    """Upload sources into a new environment built from the agent's base environment."""
    if not job.sources:
        return {}
    agent = await refused_is_usage(client.get_agent(job.agent), "--agent")
    base = agent.get("base_environment") or {}
    if isinstance(base, str):
        environment_id = base
    else:
        spec = {
            k: base[k] for k in ("mode", "network", "sources", "custom_config") if base.get(k) is not None
        }
        environment_id = (await client.create_environment(spec))["id"]
        job.environment_id = environment_id
    archive, count = await asyncio.to_thread(pack_sources, job.sources)
    with err.status(f"uploading {count} source files ({len(archive) >> 10} KiB)"):
        await client.upload(environment_id, "", archive, extract=True)
    err.print(f"[dim]uploaded {count} source files[/]")
    return {"environment": environment_id}


async def _run_on(client: WarrenClient, job: RunJob, report_path: Path | None, started: float) -> int:
    extra = await _prepare_environment(client, job)
    before = await take_snapshot(client, extra["environment"]) if extra else {}
    body: Json = {"agent": job.agent, "input": job.text, "background": True, **extra}
    if job.model:
        body["agent_config"] = {"type": "antigravity", "model": job.model}
    created = await refused_is_usage(client.create_interaction(body), "request")
    job.interaction_id = created["id"]
    job.environment_id = job.environment_id or created.get("environment_id")
    err.print(
        f"[dim]interaction {literal(job.interaction_id)} · environment {literal(job.environment_id)}[/]",
        soft_wrap=True,
    )
    chain = Chain(job.interaction_id, job.plain, job.timeout_s, job.server_url)
    await follow_chain(client, chain)
    job.interaction_id, job.ending = chain.interaction_id, chain.ending
    job.timings["run_s"] = chain.run_s
    artifacts: list[Artifact] = []
    if job.output is not None and job.environment_id:
        download_started = time.monotonic()
        after = await take_snapshot(client, job.environment_id)
        paths = changed(before, after)
        with err.status("downloading artifacts") as status:
            artifacts = await download_tree(
                client,
                job.environment_id,
                paths,
                job.output,
                progress=lambda p: status.update(f"downloading {literal(p)}"),
            )
        job.timings["download_s"] = time.monotonic() - download_started
        saved = sum(a.local_path is not None for a in artifacts)
        err.print(f"[dim]saved {saved} files to {literal(job.output)}[/]")
    job.timings["total_s"] = time.monotonic() - started
    code = EXIT_CODES.get(job.ending, 1)
    if report_path is not None:
        await asyncio.to_thread(write_report, report_path, job, chain.interactions, artifacts, code)
    summary(job, chain.interactions, code)
    return code
