"""Egress bytes in `warren_usage` and in the metrics (issue 19, item 4), with real sandboxes.

A scripted agent's `run_code` fetches a body of known size with curl through the egress proxy from
a listener this test starts on 127.0.0.1 (the operator setting `egress_allow_addresses` opens it;
`egress_hosts` names it for the proxy, the sandbox having no resolver). The interaction's
`warren_usage.egress_bytes`, the environment's sum and the scraped `warren_egress_bytes_total`
(read with prometheus_client's parser) each hold at least the body and less than twice it plus
room for the heads; a second fetch adds to the environment's figure.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.lifecycle.conftest import Server, Start, V
from tests.integration.lifecycle.test_end_reasons import run

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

BODY = 300_000
HEADS = 4096
"""Room for the request and response heads (a few hundred bytes each)."""


@pytest.fixture
async def upstream() -> AsyncIterator[int]:
    """A listener on 127.0.0.1 answering every request with `BODY` bytes; yields its port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % BODY)
            writer.write(b"w" * BODY)
            await writer.drain()
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def _fetch(server: Server, tmp: Path, environment: str, url: str) -> dict[str, Any]:
    """One agent interaction in `environment` whose model runs curl on `url`, then answers."""
    command = f"curl -s --max-time 20 -o /dev/null -w 'got %{{size_download}}' '{url}'"
    body = await run(server, tmp, command, environment=environment)
    assert body["status"] == "completed", body.get("errors")
    assert f"got {BODY}" in json.dumps(body), "curl fetched the whole body through the proxy"
    return body


async def _egress_scraped(server: Server, tenant: str) -> float:
    """`warren_egress_bytes_total` of `tenant`, both directions, from a parsed scrape."""
    answer = await server.client.get("/metrics")
    assert answer.status_code == 200
    return sum(
        sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == "warren_egress_bytes_total" and sample.labels.get("tenant") == tenant
    )


def _plausible(figure: float, fetches: int = 1) -> bool:
    return fetches * BODY <= figure < fetches * (2 * BODY + HEADS)


async def test_egress_bytes_reach_both_usages_and_the_metrics(
    start: Start, tmp_path: Path, upstream: int, sandbox_runtime: str
) -> None:
    url = f"http://big.warren.test:{upstream}/payload"
    async with start(
        runtime=sandbox_runtime,
        scripts_dir=tmp_path,
        egress_allow_addresses=["127.0.0.1:*"],
        egress_hosts={"big.warren.test": "127.0.0.1"},
    ) as server:
        made = await server.client.post(
            f"{V}/environments", json={"network": {"allowlist": [{"domain": f"big.warren.test:{upstream}"}]}}
        )
        assert made.status_code == 200, made.text
        environment = made.json()["id"]
        scraped = await _egress_scraped(server, server.tenant)
        first = await _fetch(server, tmp_path, environment, url)
        scraped_first = await _egress_scraped(server, server.tenant) - scraped
        after_first = (await server.client.get(f"{V}/environments/{environment}")).json()
        second = await _fetch(server, tmp_path, environment, url)
        after_second = (await server.client.get(f"{V}/environments/{environment}")).json()
        fetched = (await server.client.get(f"{V}/interactions/{first['id']}")).json()

    egress = first["warren_usage"]["egress_bytes"]
    assert _plausible(egress), egress
    assert fetched["warren_usage"]["egress_bytes"] == egress, "stored as answered"
    assert after_first["warren_usage"]["egress_bytes"] == egress, "the environment's first interaction"
    assert _plausible(scraped_first) and scraped_first >= egress, (scraped_first, egress)
    assert _plausible(second["warren_usage"]["egress_bytes"])
    total = egress + second["warren_usage"]["egress_bytes"]
    assert after_second["warren_usage"]["egress_bytes"] == total, "summed over its interactions"
