"""A bearer token applied to HTTPS during an agent run never shows in what Warren records (issue 17).

A scripted agent's `run_code` calls a loopback HTTPS listener (a test CA the host trusts through
`SSL_CERT_FILE`) through the intercepting egress proxy with curl. The listener receives the token;
the interaction, its steps, the replayed event stream, the orchestrator's log and the database file
do not hold it, while the step shows the request went out over the Warren CA's certificate.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.integration.lifecycle.conftest import Start, V
from tests.integration.lifecycle.test_end_reasons import run
from tests.unit.egress.listener import listening
from tests.unit.egress.tls import TestCA

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

TOKEN = "tok-71c0-recorded-nowhere"
NAME = "api.warren.test"


async def test_the_token_is_in_no_step_stream_log_or_row(
    start: Start,
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ca = TestCA()
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.write(tmp_path / "host-store.pem")))
    async with (
        listening("secure", ca.server_context(NAME)) as upstream,
        start(
            scripts_dir=tmp_path,
            egress_allow_addresses=["127.0.0.1:*"],
            egress_hosts={NAME: "127.0.0.1"},
        ) as server,
    ):
        made = await server.client.post(
            f"{V}/credentials", json={"type": "bearer_token", "id": "api", "token": TOKEN}
        )
        assert made.status_code == 200, made.text
        network = {"allowlist": [{"domain": f"{NAME}:{upstream.port}", "credential": "api"}]}
        environment = (await server.client.post(f"{V}/environments", json={"network": network})).json()["id"]
        with caplog.at_level(logging.DEBUG, logger="orchestrator"):
            body = await run(
                server,
                tmp_path,
                f"curl -sv --max-time 20 https://{NAME}:{upstream.port}/v1/me 2>&1",
                environment,
            )
            stored = (await server.client.get(f"{V}/interactions/{body['id']}")).json()
            replay = await server.client.get(f"{V}/interactions/{body['id']}", params={"stream": "true"})
    assert body["status"] == "completed", body.get("errors")
    recorded = json.dumps(stored)
    assert "hello from secure" in recorded and "Warren egress CA" in recorded, recorded
    assert any(f"Authorization: Bearer {TOKEN}" in head for head in upstream.heads), upstream.heads
    assert replay.status_code == 200 and "hello from secure" in replay.text
    for where, text in {"interaction": recorded, "stream": replay.text, "log": caplog.text}.items():
        assert TOKEN not in text, where
    database = b"".join(p.read_bytes() for p in data_dir.glob("warren.db*"))
    assert database and TOKEN.encode() not in database
