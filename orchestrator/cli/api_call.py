"""One API call from a command, with the server's refusals of what the user typed as usage errors.

A 4xx that names a field of the request means the user's input was wrong: the command exits 2 with
the server's reason (and, when the caller can say so, the flag that set that field), like a bad flag.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from orchestrator.cli.client import WarrenClient
from orchestrator.cli.client_transport import ApiError
from orchestrator.cli.common import UsageProblem, run_async
from orchestrator.cli.connection import connection

__all__ = ["call"]


def call(
    work: Callable[[WarrenClient], Awaitable[Any]],
    url: str | None,
    api_key: str | None,
    refusal: Callable[[ApiError], str | None],
) -> Any:
    """Run `work` with a client of the chosen server; `refusal` turns an `ApiError` the user caused into
    the message of a usage error (exit 2), or None to let it through as it is."""

    async def go() -> Any:
        conn = connection(url, api_key)
        assert conn is not None
        async with conn.client() as client:
            try:
                return await work(client)
            except ApiError as exc:
                message = refusal(exc)
                if message is not None:
                    raise UsageProblem(message) from None
                raise

    return run_async(go())
