"""`warren webhooks` as users run it (a subprocess) against a real `warren serve` without sandboxes."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from tests.cli.conftest import warren
from tests.support.serve import warren_serve
from tests.unit.webhooks.receiver import Scripted, scripted_receiver


@pytest.fixture(scope="module")
def receiver() -> Iterator[Scripted]:
    with scripted_receiver() as started:
        yield started


@pytest.fixture(scope="module")
def env(receiver: Scripted) -> Iterator[dict[str, str]]:
    data = Path(tempfile.mkdtemp(prefix="warren-cli-webhooks-"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WARREN_")}
    served = {
        **clean,
        "WARREN_DATA_DIR": str(data),
        "WARREN_SANDBOXES": "false",
        "WARREN_EGRESS_ALLOW_ADDRESSES": f"127.0.0.1:{receiver.port}",
        "WARREN_WEBHOOK_POLL_S": "0.05",
    }
    with warren_serve(served, data, ["cli-a"], start_timeout_s=60) as running:
        yield {
            **clean,
            "XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="warren-cfg-"),
            "WARREN_URL": running.url,
            "WARREN_API_KEY": running.keys["cli-a"],
            "COLUMNS": "200",
            "TERM": "dumb",
        }


def test_the_whole_life_of_a_webhook(env: dict[str, str], receiver: Scripted) -> None:
    made = warren(
        "webhooks", "create", "--uri", receiver.url, "-e", "interaction.completed", "--json", env=env
    )
    assert made.returncode == 0, made.stderr
    hook = json.loads(made.stdout)
    assert hook["new_signing_secret"].startswith("whsec_")
    listed = warren("webhooks", "list", "--json", env=env)
    assert [h["id"] for h in json.loads(listed.stdout)] == [hook["id"]]
    paused = warren("webhooks", "update", hook["id"], "--state", "disabled", "--json", env=env)
    assert json.loads(paused.stdout)["state"] == "disabled"
    rotated = warren("webhooks", "rotate-secret", hook["id"], "--now", env=env)
    secret = rotated.stdout.strip()
    assert rotated.returncode == 0 and secret.startswith("whsec_") and secret != hook["new_signing_secret"]
    assert warren("webhooks", "ping", hook["id"], env=env).returncode == 0
    for _ in range(600):  # bounded passes; the deliverer polls every 0.05 s
        log = json.loads(warren("webhooks", "deliveries", hook["id"], "--json", env=env).stdout)
        if log and log[0]["state"] != "pending":
            break
        time.sleep(0.05)
    assert [(d["event_type"], d["state"], [a["status"] for a in d["attempts"]]) for d in log] == [
        ("webhook.ping", "delivered", [200])
    ]
    got = receiver.requests[-1]
    assert Webhook(secret).verify(got["body"], got["headers"])["type"] == "webhook.ping"
    text = warren("webhooks", "deliveries", hook["id"], env=env)
    assert "webhook.ping" in text.stdout and "delivered" in text.stdout and "200" in text.stdout
    assert warren("webhooks", "delete", hook["id"], env=env).returncode == 0
    assert warren("webhooks", "get", hook["id"], env=env).returncode == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["create", "--uri", "https://example.com/h", "-e", "video.generated"], "--event"),
        (["create", "--uri", "http://169.254.169.254/latest"], "uri"),
        (["update", "wh_x"], "at least one"),
        (["update", "wh_x", "--state", "paused"], "--state"),
    ],
)
def test_bad_input_exits_2(env: dict[str, str], args: list[str], says: str) -> None:
    result = warren("webhooks", *args, env=env)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
