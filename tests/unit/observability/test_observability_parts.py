"""The observability parts on their own: bounded labels, JSON lines with the ids, the demoted
channel start-up lines, and when the OTEL_* variables turn tracing on."""

from __future__ import annotations

import json
import logging

from orchestrator.observability import logs, tracing
from orchestrator.observability.labels import MAX_CHARS, OTHER, LabelCap


def test_a_label_keeps_its_first_values_then_counts_the_rest_as_other() -> None:
    cap = LabelCap(limit=2)
    assert cap("a") == "a" and cap("b") == "b" and cap("a") == "a"
    assert cap("c") == OTHER
    assert LabelCap()("x" * 500) == "x" * MAX_CHARS
    assert LabelCap()(None) == ""


def _record(message: str, level: int = logging.INFO, name: str = "orchestrator.test") -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


def test_a_json_line_carries_the_ids_set_in_its_context() -> None:
    formatter = logs.JsonFormatter()
    tokens = [logs.TENANT.set("t1"), logs.INTERACTION_ID.set("i1"), logs.ENVIRONMENT_ID.set("e1")]
    try:
        line = formatter.format(_record('say "hi"\nnext'))
    finally:
        for var, token in zip((logs.TENANT, logs.INTERACTION_ID, logs.ENVIRONMENT_ID), tokens, strict=True):
            var.reset(token)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == 'say "hi"\nnext'
    assert (parsed["tenant"], parsed["interaction_id"], parsed["environment_id"]) == ("t1", "i1", "e1")
    assert "request_id" not in parsed
    assert "tenant" not in json.loads(formatter.format(_record("outside")))


def test_channel_start_up_lines_are_demoted_to_debug_only_in_a_demoted_context() -> None:
    import contextvars

    keep = logs.DemoteFilter()
    logger = logging.getLogger("uvicorn.error")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        assert keep.filter(_record("Uvicorn running on unix socket", name="uvicorn.error"))
        quiet = contextvars.copy_context()
        quiet.run(logs.demote_here)
        record = _record("Uvicorn running on unix socket", name="uvicorn.error")
        assert quiet.run(keep.filter, record) is False
        assert record.levelname == "DEBUG"
        warning = _record("bad", logging.WARNING, "uvicorn.error")
        assert quiet.run(keep.filter, warning) and warning.levelname == "WARNING"
    finally:
        logger.setLevel(level)


def test_tracing_is_on_only_when_an_otlp_endpoint_is_named() -> None:
    assert not tracing.wanted({})
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"})
    both = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}
    assert not tracing.wanted({**both, "OTEL_SDK_DISABLED": "true"})
    assert not tracing.wanted({**both, "OTEL_TRACES_EXPORTER": "none"})


def test_json_serve_config_routes_every_logger_through_the_json_formatter() -> None:
    config = logs.uvicorn_log_config("json")
    assert all(handler["formatter"] == "json" for handler in config["handlers"].values())
    assert config["loggers"]["orchestrator"]["level"] == "INFO"
    assert config["loggers"]["uvicorn.error"]["filters"] == ["demote"]
    assert logs.uvicorn_log_config("text")["loggers"]["orchestrator"]["level"] == "WARNING"
