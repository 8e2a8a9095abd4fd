"""Fixtures for the egress tests: the in-process app of `tests/unit/api_app` (for `/credentials`)."""

from tests.unit.api_app.conftest import api

__all__ = ["api"]
