"""`WARREN_METRICS`: on (the default) an interaction moves the counters and `/metrics` serves them;
off, the same interaction moves nothing and `/metrics` is a 404 naming the setting."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from orchestrator.config import Settings
from orchestrator.observability import metrics
from tests.unit.api_app.conftest import App, start_app

INTERACTIONS = "/v1beta/interactions"


def _ended_total() -> float:
    """Interactions counted as ended, read from the registry itself."""
    return sum(
        sample.value
        for family in metrics.REGISTRY.collect()
        if family.name == "warren_interactions"
        for sample in family.samples
        if sample.name == "warren_interactions_total"
    )


@pytest.fixture(autouse=True)
def counting_restored() -> Iterator[None]:
    """The switch is process-wide: every other test counts."""
    yield
    metrics.counting(True)


async def _started(tmp_path: Path, on: bool) -> AsyncIterator[App]:
    async for app in start_app(Settings(data_dir=tmp_path / "data", sandboxes=False, metrics=on)):
        yield app


async def _one_interaction(app: App) -> None:
    created = await app.a.post(INTERACTIONS, json={"model": "scripted:echo", "input": "hi"})
    assert created.status_code == 200 and created.json()["status"] == "completed", created.text


async def test_metrics_on_count_an_interaction_and_serve_it(tmp_path: Path) -> None:
    async for app in _started(tmp_path, on=True):
        before = _ended_total()
        await _one_interaction(app)
        assert _ended_total() == before + 1
        scraped = await app.a.get("/metrics")
        assert scraped.status_code == 200
        names = {family.name for family in text_string_to_metric_families(scraped.text)}
        assert "warren_interactions" in names and "warren_model_calls" in names


async def test_metrics_off_count_nothing_and_metrics_is_a_404(tmp_path: Path) -> None:
    async for app in _started(tmp_path, on=False):
        before = _ended_total()
        await _one_interaction(app)
        assert _ended_total() == before
        scraped = await app.a.get("/metrics")
        assert scraped.status_code == 404
        assert "WARREN_METRICS=off" in scraped.json()["error"]["message"]


def test_every_point_is_silent_when_off() -> None:
    """Each counting function leaves the registry as it was: no point bypasses the switch."""

    def samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in metrics.REGISTRY.collect()
            for s in family.samples
            if not s.name.endswith("_created")
        }

    metrics.counting(False)
    before = samples()
    metrics.interaction_ended("completed", "default", "scripted:echo", "t", 1.0)
    metrics.model_called("scripted", True, 0.1)
    metrics.model_tokens("scripted", "input", 5)
    metrics.model_retried("scripted")
    metrics.tool_seconds("run_code", 0.2)
    metrics.egress_decided("allowed")
    metrics.egress_bytes("t", "sent")(100)
    metrics.webhook_attempted("delivered")
    metrics.trigger_fired("started")
    metrics.sandboxes_seen(3, 1)
    with metrics.stepping(), metrics.provisioning("warm"):
        pass
    assert samples() == before
    metrics.counting(True)
    metrics.model_retried("scripted")
    assert samples() != before
