"""Each real provider (gemini, openai, anthropic) drives a sandboxed agent task against its fake vendor.

The path is the production one end to end: google-genai client -> `warren serve` -> scheduler ->
runner in a Docker sandbox -> channel -> gateway -> vendor SDK -> fake vendor on 127.0.0.1, whose
reactive policy decides each turn from the tool results it receives. Issue 5, acceptance 3 and 4.
"""

from __future__ import annotations

import json
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from google import genai

from tests.conformance.conftest import SECRET_KEYS
from tests.conformance.provider_fakes import (
    NOTES,
    READ_ID,
    VENDORS,
    WRITE_ID,
    ProviderServer,
    answer,
    provider_server,
    reactive_policy,
)
from tests.fakes.server import Hang, Status

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(300)]

STREAMED = {"openai", "anthropic"}
"""Vendors whose test reads the interaction as SSE (the others wait for the unary answer)."""


@pytest.fixture(scope="module")
def providers(sandbox_image: str) -> Iterator[ProviderServer]:
    with provider_server(sandbox_image) as running:
        yield running


@pytest.fixture
def fresh(providers: ProviderServer) -> Iterator[ProviderServer]:
    """The server with clean fakes, cleaned again afterwards."""
    providers.reset()
    yield providers
    providers.reset()


@pytest.fixture
def client(providers: ProviderServer) -> genai.Client:
    warnings.filterwarnings("ignore", message=".*experimental.*")
    return providers.server.client()


def _model_posts(fake: Any) -> list[Any]:
    return [r for r in fake.requests if r.method == "POST"]


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_agent_task_completes_with_each_provider(
    vendor: str, fresh: ProviderServer, client: genai.Client
) -> None:
    spec, fake = VENDORS[vendor], fresh.fakes[vendor]
    content = f"warren-{vendor}-{uuid.uuid4().hex[:12]}"
    fake.fallback = reactive_policy(vendor, content)
    config = {"type": "antigravity", "model": spec.model}
    prompt = f"Write {content} to {NOTES}, read it back and quote it."
    deltas: list[str] = []
    if vendor in STREAMED:
        events = list(
            client.interactions.create(agent="default", agent_config=config, input=prompt, stream=True)
        )
        assert events[-1].event_type == "interaction.completed"
        deltas = [e.delta.text for e in events if e.event_type == "step.delta" and e.delta.type == "text"]
        interaction_id = events[-1].interaction.id
    else:
        interaction_id = client.interactions.create(agent="default", agent_config=config, input=prompt).id
    done = client.interactions.get(id=interaction_id)

    assert done.status == "completed", done.errors
    assert done.output_text == answer(content), "the model quoted what read_file returned"
    calls = [s for s in done.steps if s.type in ("function_call", "function_result")]
    assert [(s.type, getattr(s, "name", None)) for s in calls] == [
        ("function_call", "write_file"),
        ("function_result", "write_file"),
        ("function_call", "read_file"),
        ("function_result", "read_file"),
    ]
    assert [calls[0].id, calls[1].call_id, calls[2].id, calls[3].call_id] == [
        WRITE_ID,
        WRITE_ID,
        READ_ID,
        READ_ID,
    ]
    assert content in json.dumps(calls[3].model_dump(mode="json")["result"])
    assert any(s.type == "thought" for s in done.steps), "the first turn's thought was recorded"
    assert done.usage.total_tokens > 0
    assert done.usage.total_input_tokens > 0 and done.usage.total_output_tokens > 0
    got = client.environments.files.download(environment=done.environment_id, path=NOTES)
    assert got == content.encode()
    if vendor in STREAMED:
        assert len(deltas) >= 2, "the answer reached the SSE client as several deltas"
        assert "".join(deltas) == answer(content)

    posts = _model_posts(fake)
    assert len(posts) == 3, "three model turns, no retries"
    assert all(spec.key in " ".join(r.headers.values()) for r in posts), "the SDK sent the key"
    assert all(r.body.get("stream") for r in posts if vendor != "gemini"), "the gateway streamed"
    if vendor == "gemini":
        assert all(":streamGenerateContent" in r.path for r in posts)
        assert fake.signature_rejections == 0, "thought signatures came back byte for byte"
    for other in set(VENDORS) - {vendor}:
        assert fresh.fakes[other].requests == [], "the model name alone chose the vendor"


def test_agent_rides_out_429_and_500_and_a_hang_fails_at_the_deadline(
    fresh: ProviderServer, client: genai.Client
) -> None:
    """Issue 8: retries carry an agent through 429 and 500; a hang fails cleanly and leaks nothing."""
    spec, fake = VENDORS["openai"], fresh.fakes["openai"]
    config = {"type": "antigravity", "model": spec.model}
    content = f"warren-retry-{uuid.uuid4().hex[:8]}"
    fake.queue(Status(429, "slow down", {"retry-after": "0"}), Status(500, "upstream broke"))
    fake.fallback = reactive_policy("openai", content)
    done = client.interactions.create(agent="default", agent_config=config, input="note it")
    assert done.status == "completed", done.errors
    assert done.output_text == answer(content)
    assert len(_model_posts(fake)) == 5, "two failed attempts were retried, then three turns"

    fake.reset()
    fake.fallback = Hang(seconds=60)
    started = time.monotonic()
    hung = client.interactions.create(
        agent="default", agent_config=config, input="again", environment=done.environment_id
    )
    took = time.monotonic() - started
    assert hung.status == "failed", hung
    assert hung.errors and "deadline" in (hung.errors[0].message or ""), hung.errors
    assert took < 6 + 20, f"the 6 s deadline ended the turn (took {took:.1f} s)"
    assert len(_model_posts(fake)) >= 2, "timed-out calls were retried until the deadline"

    fake.reset()  # nothing hangs on: the environment still answers, and the next task completes
    assert client.environments.files.download(environment=done.environment_id, path=NOTES) == content.encode()
    fake.fallback = reactive_policy("openai", content)
    again = client.interactions.create(agent="default", agent_config=config, input="once more")
    assert again.status == "completed", again.errors


def _leaks(text: str) -> list[str]:
    """The sentinel keys (or their 12-character prefixes) that occur in `text`."""
    return [key for key in SECRET_KEYS.values() if key in text or key[:12] in text]


def _sse_text(providers: ProviderServer, body: dict[str, Any]) -> str:
    headers = {"x-goog-api-key": providers.server.key}
    url = f"{providers.server.url}/v1beta/interactions"
    with httpx.stream("POST", url, json={**body, "stream": True}, headers=headers, timeout=120) as reply:
        return reply.read().decode()


@pytest.mark.parametrize("status", [401, 500])
@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_no_key_reaches_a_step_an_error_body_or_a_log_line(
    vendor: str, status: int, fresh: ProviderServer
) -> None:
    """The fake vendor echoes the key it was sent in its error text; Warren must never repeat it."""
    spec, fake = VENDORS[vendor], fresh.fakes[vendor]
    fake.fallback = Status(status, f"Incorrect API key provided: {spec.key}", headers={"retry-after": "0"})
    server = fresh.server
    headers = {"x-goog-api-key": server.key}
    request = {"model": spec.model, "input": "x"}

    unary = httpx.post(f"{server.url}/v1beta/interactions", json=request, headers=headers, timeout=120)
    streamed = _sse_text(fresh, request)
    interaction_id = unary.json()["id"]
    stored = httpx.get(f"{server.url}/v1beta/interactions/{interaction_id}", headers=headers, timeout=30)
    seen = {"unary body": unary.text, "SSE body": streamed, "stored interaction": stored.text}

    assert stored.json()["status"] == "failed"
    errors = json.dumps(stored.json()["errors"])
    assert "Incorrect API key provided" in errors, "the vendor's message is kept"
    assert f"HTTP {status}" in errors, "the vendor's status is named"
    assert "interaction.completed" in streamed and "Incorrect API key provided" in streamed
    assert all(spec.key in " ".join(r.headers.values()) for r in fake.requests), "the key was real"
    tries = 1 if status == 401 else 5
    assert len(_model_posts(fake)) == 2 * tries, "401 fails at once; 5xx is retried under the policy"
    deadline = time.monotonic() + 5  # uvicorn writes the access line after the response is sent
    while "/interactions" not in (log_text := fresh.log.read_text(errors="replace")):
        assert time.monotonic() < deadline, "the log really records requests"
        time.sleep(0.05)
    seen["server log"] = log_text
    assert {where: _leaks(text) for where, text in seen.items() if _leaks(text)} == {}


def test_agent_model_failure_keeps_keys_out_of_steps_and_errors(
    fresh: ProviderServer, client: genai.Client
) -> None:
    """The agent path reports a model failure through the runner channel: still no key."""
    spec, fake = VENDORS["anthropic"], fresh.fakes["anthropic"]
    fake.fallback = Status(401, f"invalid x-api-key {spec.key}")
    done = client.interactions.create(
        agent="default", agent_config={"type": "antigravity", "model": spec.model}, input="x"
    )
    raw = httpx.get(
        f"{fresh.server.url}/v1beta/interactions/{done.id}",
        headers={"x-goog-api-key": fresh.server.key},
        timeout=30,
    ).text
    assert done.status == "failed"
    assert "invalid x-api-key" in raw and "HTTP 401" in raw
    assert _leaks(raw) == []
    assert len(_model_posts(fake)) == 1


def test_no_key_is_stored_in_any_file_of_the_data_dir(providers: ProviderServer) -> None:
    """Runs last in the module: the database, its WAL and the log hold no key after all of the above."""
    found = {}
    for path in Path(providers.data_dir).rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes().decode("latin-1")
            if _leaks(data):
                found[str(path.relative_to(providers.data_dir))] = _leaks(data)
    assert found == {}
