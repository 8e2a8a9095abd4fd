"""Preview connections are capped per environment and per tenant, and a closed one frees its slot."""

from __future__ import annotations

import contextlib
from typing import Any, cast

import pytest

from orchestrator.environments.preview import PreviewLimitError, PreviewService
from orchestrator.environments.preview_links import PreviewLinks


def _service(per_environment: int, per_tenant: int) -> PreviewService:
    unused = cast(Any, None)  # the caps touch neither the store nor the sandboxes
    return PreviewService(unused, unused, PreviewLinks(b"k", 60), per_environment, per_tenant, idle_s=1)


def test_one_connection_past_the_environment_cap_is_refused_until_one_closes() -> None:
    previews = _service(per_environment=2, per_tenant=10)
    with contextlib.ExitStack() as held:
        held.enter_context(previews.hold("a", "env1"))
        held.enter_context(previews.hold("a", "env1"))
        with pytest.raises(PreviewLimitError, match="on this environment"):
            held.enter_context(previews.hold("a", "env1"))
        held.enter_context(previews.hold("a", "env2"))  # another environment has its own cap
        held.enter_context(previews.hold("b", "env1"))  # so has another tenant's environment
    with previews.hold("a", "env1"), previews.hold("a", "env1"):
        pass  # all slots came back


def test_the_tenant_cap_spans_its_environments() -> None:
    previews = _service(per_environment=5, per_tenant=3)
    with contextlib.ExitStack() as held:
        for env in ("e1", "e2", "e3"):
            held.enter_context(previews.hold("a", env))
        with pytest.raises(PreviewLimitError, match="per tenant"):
            held.enter_context(previews.hold("a", "e4"))
        held.enter_context(previews.hold("b", "e4"))
