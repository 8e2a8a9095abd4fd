"""Agent interactions in real sandboxes, driven through google-genai against `warren serve`."""

from __future__ import annotations

import subprocess
import time

import docker
import httpx
import pytest
from google import genai
from google.genai import interactions as sdk_interactions

from tests.conformance.conftest import SECRET_KEYS, Server, script
from tests.unit.api.conftest import strict_validate

pytestmark = pytest.mark.conformance


def agent_config(name: str) -> dict[str, str]:
    return {"type": "antigravity", "model": script(name)}


def test_agent_tour_runs_every_tool_in_a_real_sandbox(server: Server, client: genai.Client) -> None:
    done = client.interactions.create(agent="default", agent_config=agent_config("agent_tour"), input="tour")
    assert done.status == "completed", done.errors
    kinds = [step.type for step in done.steps]
    assert kinds.count("code_execution_call") == kinds.count("code_execution_result") == 3
    assert kinds.count("function_call") == kinds.count("function_result") == 8
    results = {s.call_id: s for s in done.steps if s.type in ("function_result", "code_execution_result")}
    calls = [s for s in done.steps if s.type in ("function_call", "code_execution_call")]
    assert all(call.id in results for call in calls), "every server-side call has its result"
    code_results = [s.result for s in done.steps if s.type == "code_execution_result"]
    assert "42" in code_results[1], "the Python kernel kept `x` between calls"
    by_name = {c.name: results[c.id] for c in calls if c.type == "function_call"}
    assert "clicked" in by_name["search_files"].result[0].text
    screenshot = by_name["browser"].result  # the last browser call
    assert "next.html" in screenshot[0].text and screenshot[1].type == "image", "a PNG part for the model"
    assert "name: data-analysis" in by_name["load_skill"].result[0].text, "the whole SKILL.md came back"
    navigate, click, _shot = [results[c.id] for c in calls if getattr(c, "name", "") == "browser"]
    assert "[ref=e3]" in navigate.result[0].text, "the snapshot offers element refs"
    assert "You clicked the link" in click.result[0].text, "the click by ref reached the second page"

    raw = httpx.get(
        f"{server.url}/v1beta/interactions/{done.id}", headers={"x-goog-api-key": server.key}
    ).json()
    strict_validate(sdk_interactions.Interaction, raw)  # the stored steps match the wire spec exactly

    env = done.environment_id
    assert client.environments.files.download(environment=env, path="site/next.html").startswith(
        b"<title>Next"
    )
    shots = client.environments.files.list(env, ".warren/screenshots").files
    png = client.environments.files.download(environment=env, path=shots[0].path)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_agent_client_function_round_trip(client: genai.Client) -> None:
    tools = [{"type": "function", "name": "approve", "parameters": {"type": "object"}}]
    first = client.interactions.create(
        agent="default", agent_config=agent_config("agent_function"), input="clean up", tools=tools
    )
    assert first.status == "requires_action"
    call = first.steps[-1]
    assert (call.type, call.name) == ("function_call", "approve")
    second = client.interactions.create(
        agent="default",
        agent_config=agent_config("agent_function"),
        previous_interaction_id=first.id,
        tools=tools,
        input=[{"type": "function_result", "call_id": call.id, "name": "approve", "result": "yes, go ahead"}],
    )
    assert second.status == "completed"
    assert second.environment_id == first.environment_id
    assert second.output_text == "The client answered: yes, go ahead"


def test_cancel_during_a_long_run_code(client: genai.Client) -> None:
    started = client.interactions.create(
        agent="default", agent_config=agent_config("agent_long"), input="wait", background=True
    )
    deadline = time.monotonic() + 30
    while not any(
        s.type == "code_execution_call" for s in client.interactions.get(id=started.id).steps or []
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    asked = time.monotonic()
    cancelled = client.interactions.cancel(id=started.id)
    assert cancelled.status == "cancelled"
    assert time.monotonic() - asked < 2.0, "cancel ends the interaction within 2 s"
    again = client.interactions.create(
        agent="default",
        agent_config={"type": "antigravity", "model": "scripted:echo"},
        environment=started.environment_id,
        input="still usable?",
    )
    assert again.status == "completed" and again.output_text == "still usable?"


def test_continuation_keeps_files_and_kernel_state(client: genai.Client) -> None:
    first = client.interactions.create(
        agent="default", agent_config=agent_config("agent_memory"), input="one"
    )
    assert first.output_text == "stored"
    second = client.interactions.create(
        agent="default",
        agent_config=agent_config("agent_memory"),
        input="two",
        previous_interaction_id=first.id,
    )
    assert second.environment_id == first.environment_id
    assert "written in turn one" in second.output_text
    assert "kernel-state-kept" in second.output_text


def test_no_model_credential_is_visible_inside_the_sandbox(client: genai.Client) -> None:
    done = client.interactions.create(agent="default", agent_config=agent_config("agent_memory"), input="x")
    containers = docker.from_env(version="auto").containers.list(
        filters={"label": f"dev.warren.environment={done.environment_id}"}
    )
    assert len(containers) == 1
    probe = (
        "env; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'; "
        "grep -rIh . /workspace /tmp /home/agent /run/warren 2>/dev/null | head -c 2000000"
    )
    seen = subprocess.run(
        ["docker", "exec", containers[0].id, "sh", "-c", probe], capture_output=True, text=True, check=False
    ).stdout
    assert "WARREN_SOCKET=" in seen, "the probe really read the sandbox's environment"
    assert "WARREN_RUNNER_TOKEN" not in seen, "the runner claims its token: it is in no environment"
    for secret in SECRET_KEYS.values():
        assert secret not in seen


@pytest.mark.parametrize(
    ("limits", "status", "reason", "calls"),
    [
        ({"max_total_tokens": "40"}, "budget_exceeded", "token budget of 40", 1),
        ({"max_steps": 2}, "budget_exceeded", "step budget of 2", 2),
        ({"max_wall_seconds": 1}, "budget_exceeded", "wall-clock budget of 1s", 1),
        ({}, "incomplete", "output token limit", 3),
    ],
)
def test_budgets_end_an_agent_interaction_with_the_wire_status(
    server: Server, limits: dict[str, object], status: str, reason: str, calls: int
) -> None:
    """Issue 7: per-interaction budgets (tokens on the wire; steps and wall time as Warren extensions)."""
    body = {"agent": "default", "input": "go", "agent_config": {**agent_config("agent_budget"), **limits}}
    answer = httpx.post(
        f"{server.url}/v1beta/interactions", json=body, headers={"x-goog-api-key": server.key}, timeout=120
    )
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["status"] == status, done
    assert reason in done["errors"][0]["message"], done["errors"]
    kinds = [step["type"] for step in done["steps"]]
    assert kinds.count("code_execution_call") == kinds.count("code_execution_result") == calls


def test_the_sdk_sends_a_token_budget_that_ends_the_interaction(client: genai.Client) -> None:
    config = {**agent_config("agent_budget"), "max_total_tokens": 40}
    done = client.interactions.create(agent="default", agent_config=config, input="go")
    assert done.status == "budget_exceeded"
    assert done.errors and "token budget of 40" in (done.errors[0].message or "")
