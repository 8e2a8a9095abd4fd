"""One check for tables of refused create requests: 400, the message starts with the field path and
says why, and nothing is stored (`docs/wire.md`'s refused rows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.unit.api_app.conftest import App

__all__ = ["assert_refused"]


async def assert_refused(api: App, cases: Iterable[tuple[str, str, dict[str, Any], str, str]]) -> None:
    """Post each `(name, route, body, field, word)`; every answer must be a 400 naming `field` and
    saying `word`, and the store must not change."""
    before = await api.row_counts()
    problems = []
    for name, route, body, field, word in cases:
        response = await api.a.post(route, json=body)
        if response.status_code != 400:
            problems.append(f"{name}: {response.status_code} {response.text[:200]}")
            continue
        message = response.json()["error"]["message"]
        if not message.startswith(f"{field}: ") or word not in message:
            problems.append(f"{name}: message {message!r} should start with {field!r} and say {word!r}")
    assert not problems, "\n".join(problems)
    assert await api.settled_counts() == before, "a refused request wrote to the store"
