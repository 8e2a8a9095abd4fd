"""Which runtime sandboxes get (`choose_runtime`): gVisor by default where registered, else runc with one
warning; an unregistered `WARREN_RUNTIME` stops start-up."""

from __future__ import annotations

import logging

import pytest

from orchestrator.sandbox import SandboxError
from orchestrator.sandbox.runtimes import choose_runtime, runtimes_of


def test_gvisor_is_the_default_where_the_engine_has_it(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="orchestrator.sandbox.runtimes"):
        assert choose_runtime(None, {"runc", "runsc"}) == "runsc"
    assert caplog.records == []


def test_without_gvisor_runc_runs_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="orchestrator.sandbox.runtimes"):
        assert choose_runtime(None, {"runc", "io.containerd.runc.v2"}) == "runc"
    assert [(r.levelname, "make engine" in r.getMessage()) for r in caplog.records] == [("WARNING", True)]
    caplog.clear()
    assert choose_runtime(None, {"runc"}, warn=False) == "runc"  # warren doctor reports it instead
    assert caplog.records == []


def test_warren_runtime_chooses_and_must_be_registered() -> None:
    assert choose_runtime("runc", {"runc", "runsc"}) == "runc"
    assert choose_runtime("runsc", {"runc", "runsc"}) == "runsc"
    with pytest.raises(SandboxError, match="make engine"):
        choose_runtime("runsc", {"runc"})
    with pytest.raises(SandboxError, match="'kata' is not registered"):
        choose_runtime("kata", {"runc", "runsc"})


def test_registered_runtimes_are_read_from_docker_info() -> None:
    assert runtimes_of({"Runtimes": {"runc": {}, "runsc": {"path": "/usr/bin/runsc"}}}) == {"runc", "runsc"}
    assert runtimes_of({}) == frozenset()
