"""Webhooks through the google-genai SDK against a real `warren serve` (SQLite, no sandboxes):
every `webhooks` method, and an interaction's end delivered, signed, to a loopback receiver."""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from google import genai
from google.genai import _interactions_errors as errors
from standardwebhooks import Webhook

from tests.conformance.conftest import SCRIPTS
from tests.support.serve import RunningServer, warren_serve
from tests.unit.webhooks.receiver import Scripted, scripted_receiver


@pytest.fixture(scope="module")
def receiver() -> Iterator[Scripted]:
    with scripted_receiver() as started:
        yield started


@pytest.fixture(scope="module")
def running(receiver: Scripted) -> Iterator[RunningServer]:
    data = Path(tempfile.mkdtemp(prefix="warren-webhooks-"))
    env = {
        **os.environ,
        "WARREN_DATA_DIR": str(data),
        "WARREN_SANDBOXES": "false",
        "WARREN_SCRIPTS_DIR": str(SCRIPTS),
        "WARREN_EGRESS_ALLOW_ADDRESSES": f"127.0.0.1:{receiver.port}",
        "WARREN_WEBHOOK_POLL_S": "0.05",
    }
    with warren_serve(env, data, ["tenant-a", "tenant-b"], start_timeout_s=60) as server:
        yield server


def _client(server: RunningServer, tenant: str = "tenant-a") -> genai.Client:
    warnings.filterwarnings("ignore", message=".*experimental.*")
    return genai.Client(
        api_key=server.keys[tenant],
        http_options={"base_url": server.url, "api_version": "v1beta", "retry_options": {"attempts": 1}},
    )


def _wait_for(check: object, what: str) -> None:
    for _ in range(600):  # bounded passes; the deliverer polls every 0.05 s
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"never saw {what}")


def test_every_sdk_method(running: RunningServer, receiver: Scripted) -> None:
    client = _client(running)
    created = client.webhooks.create(uri=receiver.url, subscribed_events=["interaction.completed"], name="ci")
    assert created.new_signing_secret and created.new_signing_secret.startswith("whsec_")
    assert created.state == "enabled" and created.signing_secrets and created.id
    got = client.webhooks.get(id=created.id)
    assert got.new_signing_secret is None and got.signing_secrets[0].truncated_secret.endswith(
        created.new_signing_secret[-4:]
    )
    assert [w.id for w in client.webhooks.list().webhooks or []] == [created.id]
    assert not _client(running, "tenant-b").webhooks.list().webhooks, "tenants do not see each other's"
    updated = client.webhooks.update(
        id=created.id, update_mask="name,state", name="renamed", state="disabled"
    )
    assert (updated.name, updated.state) == ("renamed", "disabled")
    rotated = client.webhooks.rotate_signing_secret(
        id=created.id, revocation_behavior="revoke_previous_secrets_immediately"
    )
    assert rotated.secret and rotated.secret != created.new_signing_secret
    assert len(client.webhooks.get(id=created.id).signing_secrets or []) == 1
    before = len(receiver.requests)
    client.webhooks.ping(id=created.id)
    _wait_for(lambda: len(receiver.requests) > before, "the ping")
    ping = receiver.requests[-1]
    assert Webhook(rotated.secret).verify(ping["body"], ping["headers"])["type"] == "webhook.ping"
    client.webhooks.delete(id=created.id)
    with pytest.raises(errors.NotFoundError):
        client.webhooks.get(id=created.id)


def test_bad_input_names_the_field(running: RunningServer) -> None:
    client = _client(running)
    with pytest.raises(errors.BadRequestError) as caught:
        client.webhooks.create(
            uri="http://169.254.169.254/latest", subscribed_events=["interaction.completed"]
        )
    assert "uri" in str(caught.value) and "link-local" in str(caught.value)
    with pytest.raises(errors.BadRequestError) as caught:
        client.webhooks.create(uri="https://example.com/h", subscribed_events=["video.generated"])
    assert "subscribed_events[0]" in str(caught.value)


def test_an_interaction_end_is_delivered_signed(running: RunningServer, receiver: Scripted) -> None:
    client = _client(running)
    hook = client.webhooks.create(uri=receiver.url, subscribed_events=["interaction.completed"])
    done = client.interactions.create(model="scripted:story", input="tell me")
    assert done.status == "completed"

    def delivered() -> bool:
        return any(done.id in r["body"].decode() for r in receiver.requests)

    _wait_for(delivered, "the interaction.completed delivery")
    [got] = [r for r in receiver.requests if done.id in r["body"].decode()]
    event = Webhook(hook.new_signing_secret or "").verify(got["body"], got["headers"])
    assert event["type"] == "interaction.completed" and event["data"]["interaction_id"] == done.id
    log = httpx.get(
        f"{running.url}/v1beta/webhooks/{hook.id}/deliveries",
        headers={"x-goog-api-key": running.keys["tenant-a"]},
    ).json()["deliveries"]
    assert [(d["state"], [a["status"] for a in d["attempts"]]) for d in log] == [("delivered", [200])]
    client.webhooks.delete(id=hook.id)
