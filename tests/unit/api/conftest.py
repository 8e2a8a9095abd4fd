"""Fixtures for the API unit tests: a strict google-genai validator and a capturing SDK client."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from google import genai
from google.genai._gaos.types.basemodel import UnrecognizedInt, UnrecognizedStr
from pydantic import BaseModel, TypeAdapter

# Open-valued on purpose: Warren's model names and custom agent ids are not in the SDK's enums.
OPEN_STRING_FIELDS = frozenset({"model", "agent"})
# Warren's documented extensions of the wire objects (docs/wire.md): `warren_usage` on interactions and
# environments. Nothing else may be added to what the SDK parses.
WARREN_EXTENSIONS = frozenset({"warren_usage"})

StrictCheck = Callable[[Any, Any], Any]


def _walk(value: Any, path: str, problems: list[str]) -> None:
    if isinstance(value, BaseModel):
        if getattr(value, "is_unknown", False) is True:
            problems.append(f"{path}: parsed as {type(value).__name__} (unknown variant)")
            return
        extra = set(value.model_extra or {}) - WARREN_EXTENSIONS
        if extra and type(value).model_fields:
            problems.append(f"{path}: fields the SDK does not know: {sorted(extra)}")
        for name in type(value).model_fields:
            _walk(value.__dict__.get(name), f"{path}.{name}", problems)
    elif isinstance(value, UnrecognizedStr | UnrecognizedInt):
        if path.rsplit(".", 1)[-1] not in OPEN_STRING_FIELDS:
            problems.append(f"{path}: {value!r} is not in the SDK's enum")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _walk(item, f"{path}[{i}]", problems)
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item, f"{path}[{key!r}]", problems)


def strict_validate(sdk_type: Any, data: Any) -> Any:
    """Validate `data` with an SDK type, refusing every lenient path the SDK would otherwise take.

    Without the SDK's ALLOW_UNKNOWN_UNION_VARIANTS context a known variant with bad fields raises;
    the walk then refuses Unknown* placeholders, undeclared fields and strings outside closed enums.
    """
    data = json.loads(json.dumps(data))  # exactly what travels: JSON types only
    parsed = TypeAdapter(sdk_type).validate_python(data)
    problems: list[str] = []
    _walk(parsed, "$", problems)
    assert not problems, "\n".join(problems)
    return parsed


@pytest.fixture
def sdk_strict() -> StrictCheck:
    """The strict validator, as a fixture."""
    return strict_validate


class Capture:
    """Records every request an SDK client sends and answers with canned JSON."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Record the request and answer like a minimal server."""
        self.requests.append(request)
        path = request.url.path
        if path.endswith("/interactions"):
            return httpx.Response(200, json={"id": "int_1", "status": "completed"})
        if path.endswith("/agents"):
            return httpx.Response(200, json={"id": "agent_1"})
        if path.endswith("/environments"):
            return httpx.Response(200, json={"id": "env_1"})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": path}})

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies sent so far."""
        return [json.loads(r.content) for r in self.requests]


@pytest.fixture
def sdk_capture() -> Iterator[tuple[genai.Client, Capture]]:
    """A real google-genai Client whose requests land in an in-process recorder."""
    capture = Capture()
    http = httpx.Client(transport=httpx.MockTransport(capture.handler))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # agents/environments warn that they are experimental
        client = genai.Client(
            api_key="k",
            http_options={
                "base_url": "http://testserver",
                "api_version": "v1beta",
                "retry_options": {"attempts": 1},
                "httpx_client": http,
            },
        )
        yield client, capture
    http.close()
