"""Issue 19 items 1-3 against a real `warren serve --log-format json` with sandboxes: one scripted
agent interaction (one `run_code` call, then the answer) moves the Prometheus counters and histograms
(read with prometheus_client's own parser), makes one OTLP trace whose spans nest as documented under
the client's `traceparent`, and leaves JSON log lines that carry its ids."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from google import genai
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.observability.otlp_receiver import OtlpReceiver, otlp_receiver
from tests.support.serve import WARREN, create_key, free_port, wait_healthy

SCRIPTS = Path(__file__).parent / "scripts"
TOKEN = "metrics-token-for-the-test-0001"
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


@dataclass(frozen=True)
class Served:
    url: str
    key: str
    log: Path
    receiver: OtlpReceiver


@pytest.fixture(scope="module")
def served(sandbox_image: str) -> Iterator[Served]:
    data = Path(tempfile.mkdtemp(prefix="warren-obs-"))
    with otlp_receiver() as receiver:
        env = {
            **os.environ,
            "WARREN_DATA_DIR": str(data),
            "WARREN_SANDBOX_IMAGE": sandbox_image,
            "WARREN_SCRIPTS_DIR": str(SCRIPTS),
            "WARREN_METRICS_TOKEN": TOKEN,
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        }
        key = create_key(env, "obs-tenant")
        port, log = free_port(), data / "server.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [WARREN, "serve", "--port", str(port), "--log-format", "json"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc, log, 120)
            yield Served(url, key, log, receiver)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = httpx.get(f"{url}/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _delta(before: dict, after: dict, name: str, **labels: str) -> float:
    want = set(labels.items())
    total = 0.0
    for key, value in after.items():
        if key[0] == name and want <= set(key[1]):
            total += value - before.get(key, 0.0)
    return total


def _agent_run(served: Served) -> tuple[genai.types.Interaction, httpx.Headers]:
    """One agent interaction through the SDK, with the client's traceparent; also the raw create answer."""
    headers = {"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01", "x-goog-api-key": served.key}
    body = {
        "agent": "default",
        "agent_config": {"type": "antigravity", "model": "scripted:obs_agent"},
        "input": "go",
    }
    created = httpx.post(f"{served.url}/v1beta/interactions", json=body, headers=headers, timeout=300)
    assert created.status_code == 200, created.text
    client = genai.Client(
        api_key=served.key,
        http_options={"base_url": served.url, "api_version": "v1beta", "retry_options": {"attempts": 1}},
    )
    done = client.interactions.get(created.json()["id"])
    while done.status == "in_progress":
        time.sleep(0.2)
        done = client.interactions.get(done.id)
    return done, created.headers


@pytest.fixture(scope="module")
def run(served: Served) -> tuple[dict, dict, genai.types.Interaction, httpx.Headers]:
    before = _scrape(served.url)
    done, headers = _agent_run(served)
    return before, _scrape(served.url), done, headers


def test_metrics_need_the_token_when_one_is_set(served: Served) -> None:
    assert httpx.get(f"{served.url}/metrics").status_code == 401
    wrong = httpx.get(f"{served.url}/metrics", headers={"authorization": "Bearer " + "x" * 31})
    assert wrong.status_code == 401
    assert httpx.get(f"{served.url}/metrics", headers={"x-goog-api-key": served.key}).status_code == 401


def test_an_agent_run_moves_the_counters_and_histograms(run: tuple) -> None:
    before, after, done, _ = run
    assert done.status == "completed", done.errors
    ended = _delta(before, after, "warren_interactions_total", status="completed", agent="default")
    assert ended == 1
    assert _delta(before, after, "warren_interactions_total", tenant="obs-tenant") == 1
    assert _delta(before, after, "warren_interaction_duration_seconds_count", status="completed") == 1
    assert _delta(before, after, "warren_model_calls_total", provider="scripted", outcome="ok") == 2
    assert _delta(before, after, "warren_model_call_duration_seconds_count", provider="scripted") == 2
    assert _delta(before, after, "warren_step_duration_seconds_count") == 2
    assert _delta(before, after, "warren_tool_call_duration_seconds_count", tool="run_code") == 1
    assert _delta(before, after, "warren_tool_call_duration_seconds_sum", tool="run_code") > 0
    assert _delta(before, after, "warren_sandbox_provision_seconds_count") == 1  # cold or warm
    assert ("warren_queue_depth", ()) in after
    assert not any("interaction_id" in dict(labels) for _name, labels in after), "no ids as labels"
    assert not any(done.id in value for _n, labels in after for value in dict(labels).values())


def test_one_trace_nests_under_the_client_traceparent(served: Served, run: tuple) -> None:
    _before, _after, _done, headers = run
    assert headers["x-warren-trace-id"] == CLIENT_TRACE
    trace_id = bytes.fromhex(CLIENT_TRACE)
    deadline = time.monotonic() + 60
    while True:  # exported in batches: wait for the interaction span, which ends last
        spans = served.receiver.of_trace(trace_id)
        if any(span.name == "interaction" for span in spans) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    by_name: dict[str, list] = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span)
    (request,) = by_name["POST /{api_version}/interactions"]  # FastAPI's server span
    assert request.parent_span_id == bytes.fromhex(CLIENT_SPAN), "the client's span is the parent"
    (interaction,) = by_name["interaction"]
    assert interaction.parent_span_id == request.span_id
    for name, count in (("queue", 1), ("environment", 1), ("model_call", 2), ("tool_call", 1)):
        children = [s for s in by_name.get(name, []) if s.parent_span_id == interaction.span_id]
        assert len(children) == count, (name, [s.name for s in spans])
    assert {span.trace_id for span in spans} == {trace_id}
    (tool,) = by_name["tool_call"]
    assert {a.key: a.value.string_value for a in tool.attributes}["warren.tool"] == "run_code"


def test_json_logs_carry_the_ids(served: Served, run: tuple) -> None:
    _before, _after, done, _ = run
    lines = [line for line in served.log.read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    ended = [
        r
        for r in records
        if r.get("interaction_id") == done.id and r["message"].startswith("interaction ended")
    ]
    assert len(ended) == 1
    assert ended[0]["environment_id"] == done.environment_id
    assert ended[0]["tenant"] == "obs-tenant"
    assert not any("unix socket" in r["message"] for r in records), "channel start-up lines are debug"
