"""The model form's `code_execution` through the google-genai SDK (issue 15, `interactions/code_sandbox.py`).

The scripted model calls `run_code` twice: its code runs in an ephemeral sandbox with the agents'
hardening (uid 1000, read-only root), each call is recorded as `code_execution_call` /
`code_execution_result` steps, a failing exit is an error result, and the sandbox's environment is
deleted when the interaction ends.
"""

from __future__ import annotations

import pytest
from google import genai

from tests.conformance.conftest import script

pytestmark = pytest.mark.conformance


def _environment_ids(client: genai.Client) -> set[str]:
    return {environment.id for environment in client.environments.list(page_size=100).environments or []}


def test_model_code_runs_in_a_hardened_sandbox_that_is_deleted_after(client: genai.Client) -> None:
    before = _environment_ids(client)
    done = client.interactions.create(
        model=script("model_code"), input="compute", tools=[{"type": "code_execution"}]
    )
    assert done.status == "completed"
    kinds = [step.type for step in done.steps]
    assert kinds == [
        "user_input",
        "code_execution_call",
        "code_execution_result",
        "code_execution_call",
        "code_execution_result",
        "model_output",
    ], kinds
    first, second = done.steps[2], done.steps[4]
    assert first.call_id == done.steps[1].id and not first.is_error
    assert first.result.strip() == "42 1000 False", first.result  # uid 1000, the root file system read-only
    assert second.is_error and "[exit code 3]" in second.result
    assert "[exit code 3]" in done.output_text
    assert _environment_ids(client) == before, "the interaction's sandbox environment outlived it"
    stored = client.interactions.get(done.id)
    assert [step.type for step in stored.steps] == kinds


def test_without_code_execution_a_run_code_call_is_the_clients(client: genai.Client) -> None:
    """No `code_execution` tool: nothing runs on the server; the call goes back to the client."""
    paused = client.interactions.create(model=script("model_code"), input="compute")
    assert paused.status == "requires_action"
    assert paused.steps[-1].type == "code_execution_call"


def test_code_that_prints_without_end_is_stopped_at_its_output_cap(client: genai.Client) -> None:
    """The orchestrator keeps a bounded part of the sandbox's output and stops the command."""
    done = client.interactions.create(
        model=script("model_code_flood"), input="flood", tools=[{"type": "code_execution"}]
    )
    assert done.status == "completed"
    result = done.steps[2]
    assert result.type == "code_execution_result" and result.is_error
    assert result.result.startswith("begin\ny\ny\n")
    assert "[output cut at 65536 characters]" in result.result
    assert result.result.endswith("[stopped: it printed more than 262144 bytes]")
    assert len(result.result) < 70_000
