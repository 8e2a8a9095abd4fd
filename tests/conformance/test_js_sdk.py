"""The JavaScript SDK, `@google/genai` (npm, pinned in tests/js/package.json), against `warren serve`.

Node runs tests/js/sdk_conformance.mjs once per store variant; it makes every call the SDK has for
interactions, agents, environments (+ files), credentials, triggers and webhooks (and the resources
Warren does not serve) and prints one JSON report. Each entry is checked against `EXPECTED`: a call
succeeds with its in-script checks holding, or the SDK raises the named 4xx error. `make test-deps` puts
node and the pinned packages in place (`npm ci --prefix tests/js`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import standardwebhooks

from tests.conformance.conftest import Server
from tests.conformance.js_expectations import EXPECTED, PENDING, Refused
from tests.support.receiver import Receiver

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(300)]

JS = Path(__file__).parents[1] / "js"
SCRIPT = "sdk_conformance.mjs"
_RUN_GUARD_S = 240
"""Only a guard against a hung script; each call's own checks decide the outcome."""

Report = dict[str, Any]


def _param(method: str, case: str) -> Any:
    """One call as a test; a call that fails today for a tracked reason is a strict xfail."""
    reason = PENDING.get((method, case))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(method, case, marks=marks, id=f"{method}[{case}]")


@pytest.fixture(scope="module")
def js_report(server: Server, loopback_receiver: Receiver) -> Report:
    """Run the script against `server` and parse what it printed."""
    node = shutil.which("node")
    assert node, "node is missing: run `make test-deps`"
    assert (JS / "node_modules" / "@google" / "genai").is_dir(), "run `make test-deps` (npm ci in tests/js)"
    env = {
        **os.environ,
        "WARREN_BASE_URL": server.url,
        "WARREN_API_KEY": server.key,
        "WARREN_OTHER_API_KEY": server.other_key,
        "WARREN_JS_RECEIVER": loopback_receiver.url,
    }
    done = subprocess.run(
        [node, SCRIPT], cwd=JS, env=env, capture_output=True, text=True, timeout=_RUN_GUARD_S, check=False
    )
    assert done.returncode == 0, f"node failed:\n{done.stderr[-4000:]}"
    report: Report = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _entry(report: Report, method: str, case: str) -> dict[str, Any]:
    found = [c for c in report["calls"] if (c["method"], c["case"]) == (method, case)]
    assert len(found) == 1, f"{method} ({case}) ran {len(found)} times"
    return found[0]


def test_every_method_the_sdk_exposes_is_called(js_report: Report) -> None:
    exposed = set(js_report["sdk_methods"])
    assert exposed == {method for method, _ in EXPECTED}, "a new SDK method needs a call and an expectation"
    ran = [(c["method"], c["case"]) for c in js_report["calls"]]
    assert sorted(ran) == sorted(EXPECTED), "the script and EXPECTED name the same calls"


@pytest.mark.parametrize(("method", "case"), [_param(method, case) for method, case in EXPECTED])
def test_js_sdk_call(js_report: Report, method: str, case: str) -> None:
    entry, expected = _entry(js_report, method, case), EXPECTED[(method, case)]
    if expected is None:
        assert entry["ok"], f"{method} ({case}) failed: {entry['error']}"
        return
    assert isinstance(expected, Refused)
    assert not entry["ok"], f"{method} ({case}) succeeded; Warren must refuse it"
    error = entry["error"]
    assert error["status"] is not None and error["status"] < 500, f"not a clear 4xx: {error}"
    assert (error["class"], error["status"]) == (expected.error_class, expected.status), error
    assert re.search(expected.message, error["message"]), error["message"]


@pytest.mark.parametrize(
    ("method", "case"),
    [
        ("webhooks.ping", "reaches the receiver, signed"),
        ("webhooks.create", "a subscribed event is delivered"),
    ],
)
def test_deliveries_verify_with_the_secret_the_js_sdk_was_given(
    js_report: Report, method: str, case: str
) -> None:
    secret = (_entry(js_report, "webhooks.create", "loopback receiver")["data"] or {}).get("secret")
    delivery = (_entry(js_report, method, case)["data"] or {}).get("delivery")
    assert secret and delivery, "the webhook calls did not complete"
    standardwebhooks.Webhook(secret).verify(delivery["body"], delivery["headers"])


def test_a_webhook_config_delivery_verifies_with_the_tenants_dynamic_secret(
    server: Server, js_report: Report
) -> None:
    delivery = (_entry(js_report, "interactions.create", "webhook_config is delivered")["data"] or {}).get(
        "delivery"
    )
    assert delivery, "the webhook_config delivery did not arrive"
    answer = httpx.get(
        f"{server.url}/v1beta/webhooks:dynamicSigningSecret", headers={"x-goog-api-key": server.key}
    )
    standardwebhooks.Webhook(answer.json()["secret"]).verify(delivery["body"], delivery["headers"])
