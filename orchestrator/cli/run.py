"""`warren run`: the CI entry point. One agent task, streamed live, artifacts and a report out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from orchestrator.cli.client import TERMINAL, ApiError, WarrenClient
from orchestrator.cli.common import (
    ApiKeyOpt,
    CliError,
    Connection,
    UrlOpt,
    UsageProblem,
    connection,
    run_async,
)
from orchestrator.cli.console import err, literal, out
from orchestrator.cli.embedded import EmbeddedServer
from orchestrator.cli.render import LiveView, PlainView
from orchestrator.cli.workspace import Artifact, as_json, changed, download_tree, pack_sources, parse_source
from orchestrator.cli.workspace import snapshot as take_snapshot

__all__ = ["EXIT_CODES", "parse_duration", "run"]

Json = dict[str, Any]
EXIT_CODES = {
    "completed": 0,
    "failed": 1,
    "cancelled": 1,
    "budget_exceeded": 3,
    "incomplete": 3,
    "timeout": 3,
    "requires_action": 4,
    "interrupted": 130,
}
"""The exit code for each way a run can end."""
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_duration(text: str) -> float:
    """`90`, `90s`, `30m`, `1h30m` → seconds.

    Raises:
        UsageProblem: not a positive duration.
    """
    parts = re.findall(r"(\d+(?:\.\d+)?)([smh]?)", text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip().replace(" ", ""):
        raise UsageProblem(f"--timeout {text!r}: use a duration such as 90s, 30m or 1h30m")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise UsageProblem(f"--timeout {text!r}: must be more than zero")
    return seconds


@dataclass
class _Run:
    """What one `warren run` was asked, and what it learned on the way."""

    agent: str
    model: str | None
    text: str
    sources: list[tuple[Path, str]]
    output: Path | None
    timeout_s: float
    plain: bool
    keep: bool
    timings: dict[str, float] = field(default_factory=dict)
    environment_id: str | None = None
    interaction_id: str | None = None
    ending: str = "failed"


def run(
    agent: Annotated[str, typer.Option("--agent", "-a", help="The agent to run (an id, or `default`).")],
    input_text: Annotated[str | None, typer.Option("--input", "-i", help="The task, as text.")] = None,
    input_file: Annotated[
        Path | None, typer.Option("--input-file", help="Read the task from this file ('-' for stdin).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model for this run, e.g. `scripted:demo`.")] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(
            help="Upload PATH[:TARGET] into the workspace first (a folder's contents go to the top)."
            " Repeatable."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Download the files the run created or changed into this folder.")
    ] = None,
    timeout: Annotated[str, typer.Option(help="Cancel the run after this long (90s, 30m, 1h).")] = "30m",
    report: Annotated[
        Path | None,
        typer.Option("--json", help="Write a JSON report (status, steps, usage, artifacts) here."),
    ] = None,
    plain: Annotated[
        bool, typer.Option("--plain", help="Plain lines, no live view (default off a TTY).")
    ] = False,
    keep_env: Annotated[
        bool | None,
        typer.Option(
            "--keep-env/--delete-env",
            help="Keep the environment afterwards (default: keep on a remote server, delete when embedded).",
            rich_help_panel="Advanced",
        ),
    ] = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Run an agent on a task, stream its steps, save what it produced, and exit with its outcome.

    Without WARREN_URL (or --url) an embedded server starts in this process: SQLite in a temporary
    folder and the local Docker engine, removed again at the end.

    Exit codes: 0 completed · 1 failed · 2 bad usage · 3 timeout, budget or token limit ·
    4 requires_action (the agent called a client function) · 130 interrupted (Ctrl-C cancels the run).

    Example: warren run -a default -i "Summarise README.md" --source . --output out --json report.json
    """
    try:
        if (input_text is None) == (input_file is None):
            raise UsageProblem("give the task with exactly one of --input or --input-file")
        text = input_text if input_text is not None else _read_input(input_file)
        job = _Run(
            agent=agent,
            model=model,
            text=text,
            sources=[parse_source(s) for s in source or []],
            output=output,
            timeout_s=parse_duration(timeout),
            plain=plain or not out.is_terminal,
            keep=False,
        )
        remote = connection(url, api_key, required=False)
    except CliError as exc:
        err.print(f"[red]error:[/] {literal(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    job.keep = keep_env if keep_env is not None else remote is not None
    result = run_async(_main(job, remote, report))
    raise typer.Exit(result)


def _read_input(path: Path | None) -> str:
    assert path is not None
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(f"--input-file {str(path)!r}: {exc.strerror}") from None


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


async def _main(job: _Run, remote: Connection | None, report_path: Path | None) -> int:
    started = time.monotonic()
    async with _server(remote) as conn, conn.client() as client:
        job.timings["setup_s"] = time.monotonic() - started
        try:
            return await _run_on(client, job, report_path, started)
        finally:
            if job.environment_id and not job.keep:
                with contextlib.suppress(ApiError, CliError):
                    await client.delete_environment(job.environment_id)


async def _prepare_environment(client: WarrenClient, job: _Run) -> dict[str, Any]:
    """Upload sources into a new environment built from the agent's base environment."""
    if not job.sources:
        return {}
    agent = await _refused_is_usage(client.get_agent(job.agent), "--agent")
    base = agent.get("base_environment") or {}
    if isinstance(base, str):
        environment_id = base
    else:
        spec = {
            k: base[k] for k in ("mode", "network", "sources", "custom_config") if base.get(k) is not None
        }
        environment_id = (await client.create_environment(spec))["id"]
        job.environment_id = environment_id
    archive, count = pack_sources(job.sources)
    with err.status(f"uploading {count} source files ({len(archive) >> 10} KiB)"):
        await client.upload(environment_id, "", archive, extract=True)
    err.print(f"[dim]uploaded {count} source files[/]")
    return {"environment": environment_id}


async def _refused_is_usage(call: Any, flag: str) -> Any:
    try:
        return await call
    except ApiError as exc:
        if exc.status in (400, 404):
            raise UsageProblem(f"{flag}: {exc.message}") from None
        raise


async def _run_on(client: WarrenClient, job: _Run, report_path: Path | None, started: float) -> int:
    extra = await _prepare_environment(client, job)
    before = await take_snapshot(client, extra["environment"]) if extra else {}
    body: Json = {"agent": job.agent, "input": job.text, "background": True, **extra}
    if job.model:
        body["agent_config"] = {"type": "antigravity", "model": job.model}
    created = await _refused_is_usage(client.create_interaction(body), "request")
    job.interaction_id = created["id"]
    job.environment_id = job.environment_id or created.get("environment_id")
    err.print(
        f"[dim]interaction {literal(job.interaction_id)} · environment {literal(job.environment_id)}[/]",
        soft_wrap=True,
    )
    run_started = time.monotonic()
    job.ending = await _follow(client, job)
    job.timings["run_s"] = time.monotonic() - run_started
    interaction = await _settled(client, job.interaction_id)
    if job.ending not in ("timeout", "interrupted"):
        job.ending = str(interaction.get("status"))
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
        _write_report(report_path, job, interaction, artifacts, code)
    _summary(job, interaction, code)
    return code


async def _follow(client: WarrenClient, job: _Run) -> str:
    """Stream the steps until the end, the deadline or Ctrl-C; returns how it ended."""
    assert job.interaction_id is not None
    loop = asyncio.get_running_loop()
    interrupted = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # loop has no signal handlers
        loop.add_signal_handler(signal.SIGINT, interrupted.set)
    view = PlainView(out) if job.plain else LiveView(out)

    async def stream() -> str:
        assert job.interaction_id is not None
        status = "failed"
        async for event in client.events(
            job.interaction_id, on_reconnect=lambda last: view.note(f"reconnecting after event {last}")
        ):
            view.event(event)
            if event.get("event_type") == "interaction.completed":
                status = str((event.get("interaction") or {}).get("status"))
        return status

    following = asyncio.create_task(stream())
    stopper = asyncio.create_task(interrupted.wait())
    try:
        with view:
            done, _ = await asyncio.wait(
                {following, stopper}, timeout=job.timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
        if following in done:
            return following.result()
        ending = "interrupted" if stopper in done else "timeout"
        err.print(
            "[yellow]interrupted: cancelling the interaction[/]"
            if ending == "interrupted"
            else f"[yellow]timed out after {job.timeout_s:.0f}s: cancelling the interaction[/]"
        )
        await client.cancel_interaction(job.interaction_id)
        return ending
    finally:
        for task in (following, stopper):
            task.cancel()
        with contextlib.suppress(NotImplementedError, RuntimeError):  # loop has no signal handlers
            loop.remove_signal_handler(signal.SIGINT)


async def _settled(client: WarrenClient, interaction_id: str, wait_s: float = 30.0) -> Json:
    """The stored interaction, once it has a final status (or after `wait_s` seconds)."""
    deadline = time.monotonic() + wait_s
    while True:
        interaction = await client.get_interaction(interaction_id)
        if interaction.get("status") in TERMINAL or time.monotonic() > deadline:
            return interaction
        await asyncio.sleep(0.3)


def _write_report(path: Path, job: _Run, interaction: Json, artifacts: list[Artifact], code: int) -> None:
    report = {
        "interaction_id": job.interaction_id,
        "environment_id": job.environment_id,
        "agent": job.agent,
        "model": job.model or (interaction.get("agent_config") or {}).get("model"),
        "status": interaction.get("status"),
        "ending": job.ending,
        "exit_code": code,
        "steps": interaction.get("steps") or [],
        "usage": interaction.get("usage") or {},
        "errors": interaction.get("errors") or [],
        "durations": {k: round(v, 3) for k, v in job.timings.items()},
        "artifacts": as_json(artifacts),
        "interaction": interaction,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write the report {str(path)!r}: {exc.strerror}") from None


def _summary(job: _Run, interaction: Json, code: int) -> None:
    usage = interaction.get("usage") or {}
    tokens = usage.get("total_tokens") or sum(
        int(usage.get(k) or 0) for k in ("total_input_tokens", "total_output_tokens", "total_thought_tokens")
    )
    colour = "green" if code == 0 else "red"
    err.print(
        f"[{colour}]{job.ending}[/] in {job.timings.get('total_s', 0):.1f}s · {tokens} tokens · exit {code}",
        highlight=False,
        soft_wrap=True,
    )
    for error in interaction.get("errors") or []:
        err.print(
            f"[red]  {literal(error.get('code'))}: {literal(error.get('message'))}[/]",
            highlight=False,
            soft_wrap=True,
        )
