"""Triggers through the google-genai SDK against a live `warren serve` (SQLite and PostgreSQL): every
`triggers` method the SDK has, a run now that completes with a retrievable interaction, pause and
resume, another tenant's 404, and bad input answered 400 naming the field."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google import genai
from google.genai import _interactions_errors as errors

from tests.conformance.conftest import Server

pytestmark = pytest.mark.conformance

ECHO_AGENT = {"agent": "default", "agent_config": {"type": "antigravity", "model": "scripted:echo"}}


def _interaction(text: str) -> dict[str, Any]:
    return {**ECHO_AGENT, "input": text}


def _ids(client: genai.Client, **query: Any) -> list[str]:
    """Every trigger id of the listing (all pages)."""
    seen: list[str] = []
    token = None
    while True:
        page = client.triggers.list(page_token=token, **query)
        seen += [t.id for t in page.triggers or []]
        if not (token := page.next_page_token):
            return seen


@pytest.fixture
def made(client: genai.Client) -> Iterator[list[str]]:
    """Trigger ids a test made; deleted after it (the server is shared by the session)."""
    ids: list[str] = []
    yield ids
    for trigger_id in ids:
        with contextlib.suppress(errors.NotFoundError):
            client.triggers.delete(id=trigger_id)


def test_the_life_of_a_trigger(client: genai.Client, made: list[str]) -> None:
    created = client.triggers.create(
        interaction=_interaction("good morning"),
        schedule="0 3 1 1 *",
        time_zone="Europe/Paris",
        display_name="new year",
        execution_timeout_seconds=600,
        max_consecutive_failures=3,
    )
    made.append(created.id)
    assert created.status == "active" and created.consecutive_failure_count == 0
    assert created.next_run_time is not None
    first = created.next_run_time
    assert (first.month, first.day, first.hour, first.minute) == (1, 1, 2, 0), "03:00 in Paris is 02:00 UTC"
    got = client.triggers.get(id=created.id)
    assert (got.schedule, got.time_zone, got.display_name) == ("0 3 1 1 *", "Europe/Paris", "new year")
    assert (got.execution_timeout_seconds, got.max_consecutive_failures) == (600, 3)
    assert got.interaction.input == "good morning"
    second = client.triggers.create(interaction=_interaction("again"), schedule="0 * * * *", time_zone="UTC")
    made.append(second.id)
    first_page = client.triggers.list(page_size=1)
    assert len(first_page.triggers or []) == 1 and first_page.next_page_token, "one per page, then more"
    assert {created.id, second.id} <= set(_ids(client, page_size=1))

    paused = client.triggers.update(id=created.id, status="paused")
    assert (paused.status, paused.next_run_time) == ("paused", None) and paused.last_pause_time
    assert created.id in _ids(client, filter_='status="paused"')
    assert created.id not in _ids(client, filter_='status="active"')
    resumed = client.triggers.update(id=created.id, status="active", display_name="renamed")
    assert (resumed.status, resumed.display_name) == ("active", "renamed") and resumed.next_run_time == first
    assert created.id in _ids(client, filter_='status="active"')

    execution = client.triggers.run(trigger_id=created.id)
    assert execution.trigger_id == created.id and (execution.interaction_id or "").startswith("int_")
    for _ in range(600):  # bounded passes; the execution ends when its interaction does
        [found] = [e for e in client.triggers.list_executions(trigger_id=created.id).trigger_executions or []]
        if found.status != "in_progress":
            break
        time.sleep(0.1)
    assert (found.id, found.status, found.error) == (execution.id, "completed", None)
    assert found.end_time is not None and found.start_time is not None
    interaction = client.interactions.get(id=execution.interaction_id)
    assert interaction.status == "completed" and interaction.output_text == "good morning"
    after = client.triggers.get(id=created.id)
    assert after.previous_interaction_id == execution.interaction_id and after.last_run_time is not None

    client.triggers.delete(id=created.id)
    with pytest.raises(errors.NotFoundError):
        client.triggers.get(id=created.id)
    with pytest.raises(errors.NotFoundError):
        client.triggers.list_executions(trigger_id=created.id)
    client.interactions.get(id=execution.interaction_id)  # the interactions a trigger made stay


def test_another_tenants_trigger_is_404(client: genai.Client, server: Server, made: list[str]) -> None:
    mine = client.triggers.create(interaction=_interaction("mine"), schedule="0 0 1 1 *", time_zone="UTC")
    made.append(mine.id)
    other = server.client(server.other_key)
    calls = (
        lambda: other.triggers.get(id=mine.id),
        lambda: other.triggers.update(id=mine.id, status="paused"),
        lambda: other.triggers.run(trigger_id=mine.id),
        lambda: other.triggers.list_executions(trigger_id=mine.id),
        lambda: other.triggers.delete(id=mine.id),
    )
    for call in calls:
        with pytest.raises(errors.NotFoundError) as caught:
            call()
        assert "mine" not in str(caught.value)
    assert mine.id not in _ids(other)
    still = client.triggers.get(id=mine.id)
    assert (still.status, still.display_name) == ("active", None), "untouched by the other tenant"
    assert client.triggers.list_executions(trigger_id=mine.id).trigger_executions in (None, [])


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"schedule": "* * * * * *"}, r"schedule: .*once a minute"),
        ({"schedule": "every day at noon"}, r"schedule: "),
        ({"time_zone": "Mars/Olympus"}, r"time_zone: unknown time zone"),
        ({"execution_timeout_seconds": 0}, r"execution_timeout_seconds"),
        ({"max_consecutive_failures": 0}, r"max_consecutive_failures"),
        ({"environment_id": "env_nope"}, r"environment_id"),
    ],
)
def test_bad_input_names_the_field(client: genai.Client, fields: dict[str, Any], says: str) -> None:
    body: dict[str, Any] = {"schedule": "0 0 * * *", "time_zone": "UTC", **fields}
    with pytest.raises((errors.BadRequestError, errors.NotFoundError)) as caught:
        client.triggers.create(interaction=_interaction("x"), **body)
    assert caught.match(says)
    if "environment_id" not in fields:
        assert isinstance(caught.value, errors.BadRequestError)
    with pytest.raises(errors.BadRequestError, match="filter"):
        client.triggers.list(filter_="name = 'x'")
