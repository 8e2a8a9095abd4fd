"""`warren triggers` as users run it (a subprocess) against a real `warren serve` without sandboxes."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.conftest import warren
from tests.support.serve import RunningServer, warren_serve


@pytest.fixture(scope="module")
def running() -> Iterator[RunningServer]:
    data = Path(tempfile.mkdtemp(prefix="warren-cli-triggers-"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WARREN_")}
    served = {**clean, "WARREN_DATA_DIR": str(data), "WARREN_SANDBOXES": "false"}
    with warren_serve(served, data, ["cli-a", "cli-b"], start_timeout_s=60) as server:
        yield server


def _env(running: RunningServer, tenant: str = "cli-a") -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WARREN_")}
    return {
        **clean,
        "XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="warren-cfg-"),
        "WARREN_URL": running.url,
        "WARREN_API_KEY": running.keys[tenant],
        "COLUMNS": "200",
        "TERM": "dumb",
    }


def _json(*args: str, env: dict[str, str]) -> Any:
    done = warren("triggers", *args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_whole_life_of_a_trigger(running: RunningServer) -> None:
    env = _env(running)
    made = _json(
        "create", "--schedule", "0 7 * * 1-5", "--time-zone", "Europe/Paris", "--model", "scripted:echo",
        "-i", "good morning", "--name", "weekdays", "--timeout", "600", "--max-failures", "3", env=env,
    )  # fmt: skip
    assert isinstance(made, dict)
    assert (made["status"], made["schedule"], made["time_zone"]) == ("active", "0 7 * * 1-5", "Europe/Paris")
    assert (made["execution_timeout_seconds"], made["max_consecutive_failures"]) == (600, 3)
    assert made["interaction"] == {"model": "scripted:echo", "input": "good morning"}
    assert made["next_run_time"].endswith(("T05:00:00Z", "T06:00:00Z")), "07:00 in Paris, in UTC"
    trigger_id = made["id"]
    assert [t["id"] for t in _json("list", env=env)] == [trigger_id]
    assert _json("list", "--status", "paused", env=env) == []
    assert _json("pause", trigger_id, env=env)["status"] == "paused"
    assert [t["id"] for t in _json("list", "--status", "paused", env=env)] == [trigger_id]
    resumed = _json("resume", trigger_id, env=env)
    assert resumed["status"] == "active" and resumed["last_resume_time"]
    ran = _json("run", trigger_id, "--wait", env=env)
    assert isinstance(ran, dict) and ran["status"] == "completed", ran
    with httpx.Client(base_url=running.url, headers={"x-goog-api-key": running.keys["cli-a"]}) as http:
        interaction = http.get(f"/v1beta/interactions/{ran['interaction_id']}").json()
    assert interaction["status"] == "completed"
    assert [e["id"] for e in _json("executions", trigger_id, env=env)] == [ran["id"]]
    table = warren("triggers", "executions", trigger_id, env=env).stdout
    assert ran["id"] in table and "completed" in table and ran["interaction_id"] in table
    listed = warren("triggers", "list", env=env).stdout
    assert trigger_id in listed and "0 7 * * 1-5" in listed and "weekdays" in listed
    got = json.loads(warren("triggers", "get", trigger_id, env=env).stdout)
    assert got["previous_interaction_id"] == ran["interaction_id"]
    other = warren("triggers", "get", trigger_id, env=_env(running, "cli-b"))
    assert other.returncode == 1 and "404" in other.stderr, "another tenant's key sees nothing"
    assert warren("triggers", "delete", trigger_id, env=env).returncode == 0
    gone = warren("triggers", "get", trigger_id, env=env)
    assert gone.returncode == 1 and "404" in gone.stderr


def test_create_from_a_file_with_flags_on_top(running: RunningServer, tmp_path: Path) -> None:
    env = _env(running)
    file = tmp_path / "nightly.yaml"
    file.write_text(
        "schedule: '30 2 * * *'\ntime_zone: Asia/Tokyo\ndisplay_name: from the file\n"
        "interaction: {model: 'scripted:echo', input: nightly}\n"
    )
    made = _json("create", "-f", str(file), "--name", "from a flag", env=env)
    assert isinstance(made, dict)
    assert (made["schedule"], made["time_zone"], made["display_name"]) == (
        "30 2 * * *",
        "Asia/Tokyo",
        "from a flag",
    )
    assert made["interaction"]["input"] == "nightly"
    bad = tmp_path / "bad.yaml"
    bad.write_text("schedule: '* * * * * *'\ninteraction: {model: 'scripted:echo', input: x}\n")
    refused = warren("triggers", "create", "-f", str(bad), env=env)
    assert refused.returncode == 2 and "schedule:" in refused.stderr and "--schedule" not in refused.stderr
    assert warren("triggers", "delete", made["id"], env=env).returncode == 0


ECHO = ["--model", "scripted:echo", "-i", "x"]
HOURLY = ["--schedule", "0 * * * *", *ECHO]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["create", "--schedule", "* * * * * *", *ECHO], "--schedule: "),
        (["create", "--schedule", "61 * * * *", *ECHO], "--schedule: "),
        (["create", *HOURLY, "--time-zone", "Mars/Olympus"], "--time-zone: unknown time zone"),
        (["create", "--schedule", "0 * * * *", "-i", "x"], "--agent or --model"),
        (["create", *ECHO], "--schedule is required"),
        (["create", *HOURLY, "--timeout", "0"], "--timeout"),
        (["create", *HOURLY, "--environment-id", "env_nope"], "--environment-id: "),
        (["create", "-f", "/nonexistent/trigger.yaml"], "trigger.yaml"),
        (["list", "--status", "sleeping"], "--status"),
    ],
)
def test_bad_input_exits_2_naming_the_flag(running: RunningServer, args: list[str], says: str) -> None:
    result = warren("triggers", *args, env=_env(running))
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert says in result.stderr
