"""How a `warren run` reports: the `--json` file for CI, and the one-line summary on stderr.

The report holds the whole stored interaction as well as the fields CI usually wants (status,
exit code, usage, artifacts, durations), so a pipeline never needs a second API call. A run
continued after approvals is a chain of interactions: the report's steps and usage are the whole
chain's, `interaction` is the last one, and `interaction_ids` lists them all in order.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.cli.artifacts import Artifact, as_json
from orchestrator.cli.client_transport import Json
from orchestrator.cli.common import CliError
from orchestrator.cli.console import err, literal
from orchestrator.cli.run_job import RunJob

__all__ = ["chain_usage", "summary", "write_report"]


def chain_usage(interactions: list[Json]) -> Json:
    """The usage of a chain of interactions: its token counts added up."""
    total: Json = {}
    for interaction in interactions:
        for name, value in (interaction.get("usage") or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                total[name] = total.get(name, 0) + value
    return total


def write_report(
    path: Path, job: RunJob, interactions: list[Json], artifacts: list[Artifact], code: int
) -> None:
    """Write the `--json` report of a run (every interaction of its chain; the last one in full)."""
    interaction = interactions[-1]
    report = {
        "interaction_id": job.interaction_id,
        "environment_id": job.environment_id,
        "agent": job.agent,
        "model": job.model or (interaction.get("agent_config") or {}).get("model"),
        "status": interaction.get("status"),
        "ending": job.ending,
        "exit_code": code,
        "steps": [step for i in interactions for step in i.get("steps") or []],
        "usage": chain_usage(interactions),
        "errors": interaction.get("errors") or [],
        "durations": {k: round(v, 3) for k, v in job.timings.items()},
        "artifacts": as_json(artifacts),
        "interaction": interaction,
        "interaction_ids": [i.get("id") for i in interactions],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write the report {str(path)!r}: {exc.strerror}") from None


def summary(job: RunJob, interactions: list[Json], code: int) -> None:
    """How it ended, how long it took, the tokens and the exit code, then the last one's errors."""
    usage = chain_usage(interactions)
    tokens = usage.get("total_tokens") or sum(
        int(usage.get(k) or 0) for k in ("total_input_tokens", "total_output_tokens", "total_thought_tokens")
    )
    colour = "green" if code == 0 else "red"
    err.print(
        f"[{colour}]{job.ending}[/] in {job.timings.get('total_s', 0):.1f}s · {tokens} tokens · exit {code}",
        highlight=False,
        soft_wrap=True,
    )
    for error in interactions[-1].get("errors") or []:
        err.print(
            f"[red]  {literal(error.get('code'))}: {literal(error.get('message'))}[/]",
            highlight=False,
            soft_wrap=True,
        )
