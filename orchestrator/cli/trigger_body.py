"""The body of `warren triggers create`: a YAML/JSON file and/or flags, and a 400 traced to its flag.

A file holds the wire `CreateTrigger` body (`schedule`, `time_zone`, `interaction`, ...); flags given
on the command line replace its fields. The server checks everything (cron, time zone, limits); when
it refuses a field, `flag_of` names the flag that set it so the user knows what to change.

    schedule: "0 7 * * 1-5"
    time_zone: Europe/Paris
    interaction: {agent: repo-fixer, input: "Run the nightly checks"}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orchestrator.cli.common import UsageProblem

__all__ = ["FLAGS", "MAX_FILE_BYTES", "build_body", "flag_of", "read_file"]

MAX_FILE_BYTES = 1 << 20
"""A trigger definition is small; a larger file is a mistake."""

FLAGS = {
    "schedule": "--schedule",
    "time_zone": "--time-zone",
    "display_name": "--name",
    "environment_id": "--environment-id",
    "execution_timeout_seconds": "--timeout",
    "max_consecutive_failures": "--max-failures",
    "interaction.agent": "--agent",
    "interaction.model": "--model",
    "interaction.input": "--input",
}
"""The flag that sets each wire field."""


def read_file(path: Path) -> dict[str, Any]:
    """A trigger definition from a YAML or JSON file (JSON is YAML); exit 2 when it is not a mapping."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UsageProblem(f"{path}: larger than {MAX_FILE_BYTES} bytes")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageProblem(f"{path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise UsageProblem(f"{path}: not valid YAML or JSON ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise UsageProblem(f"{path}: must be a mapping with schedule, time_zone and interaction")
    return data


def build_body(file: dict[str, Any] | None, flags: dict[str, Any]) -> dict[str, Any]:
    """The create body: the file's fields, then the flags given (dotted names reach into `interaction`)."""
    body = dict(file or {})
    interaction = body.get("interaction", {})
    if not isinstance(interaction, dict):
        raise UsageProblem("interaction: must be a mapping (agent or model, input, ...)")
    interaction = dict(interaction)
    for name, value in flags.items():
        if value is None:
            continue
        if name.startswith("interaction."):
            interaction[name.removeprefix("interaction.")] = value
        else:
            body[name] = value
    body["interaction"] = interaction
    body.setdefault("time_zone", "UTC")
    for needed, hint in (("schedule", "--schedule"), ("input", "--input")):
        if needed not in body and needed not in interaction:
            raise UsageProblem(f"{hint} is required (or give it in the --file)")
    if "agent" not in interaction and "model" not in interaction:
        raise UsageProblem("--agent or --model is required (or interaction.agent/model in the --file)")
    return body


def flag_of(message: str, given: set[str]) -> str | None:
    """The refusal restated against the flag that set the field it names; None when no flag did.

    `message` is the wire error message, `field.path: reason` (the first one when several);
    `given` are the fields set by flags (the rest came from the file).
    """
    field, _, reason = message.partition(":")
    field = field.strip().removeprefix("body.")
    if field in given and field in FLAGS:
        return f"{FLAGS[field]}: {reason.strip()}"
    return None
