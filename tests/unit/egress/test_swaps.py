"""`environment_variable` credentials: the placeholder is swapped for the value only toward trusted
domains and only in the declared locations (issue 17, item 2). In-process proxy, listeners on
127.0.0.1 (plain HTTP; HTTPS with a test CA the host trusts through `SSL_CERT_FILE`).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.egress.ca import BUNDLE_NAME
from orchestrator.egress.swaps import placeholder, placeholder_variables
from orchestrator.store import Store
from tests.unit.egress.listener import listening
from tests.unit.egress.serving import serve_environment
from tests.unit.egress.tls import TestCA

VALUE = "v4lue-only-in-the-orchestrator"
TRUSTED, OTHER = "trusted.warren.test", "other.warren.test"
PH = placeholder("key")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}") as store:
        yield store


async def _socket(store: Store, tmp_path: Path, entries: list[dict[str, Any]], env: dict[str, Any]) -> Path:
    spec = {"network": {"allowlist": entries}, "env": env}
    return (await serve_environment(store, tmp_path, spec, [TRUSTED, OTHER]))[1]


async def _post(socket: Path, host: str, port: int, body: str) -> str:
    reader, writer = await asyncio.open_unix_connection(str(socket))
    writer.write(
        f"POST http://{host}:{port}/v1?key={PH}&x=1 HTTP/1.1\r\nX-Key: {PH}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer.decode()


def test_the_sandbox_sees_placeholders_for_credential_references_only() -> None:
    env = {"PLAIN": "x", "API_KEY": {"credential": "key"}, "EMPTY": {"value": "y"}}
    assert placeholder_variables(env) == {"API_KEY": PH}
    assert PH.startswith("wcred_") and len(PH) == 38 and "key" not in PH[6:]


@pytest.mark.parametrize(
    ("locations", "swapped"),
    [
        (["header", "query", "body"], {"header", "query", "body"}),
        (["header"], {"header"}),
        (["query", "body"], {"query", "body"}),
    ],
)
async def test_swapped_toward_a_trusted_domain_in_declared_locations_only(
    store: Store, tmp_path: Path, locations: list[str], swapped: set[str]
) -> None:
    config = {"trusted_domains": [TRUSTED], "injection_location": locations}
    await store.credentials.create("tenant-a", "key", "environment_variable", VALUE, config)
    async with listening("trusted") as trusted, listening("other") as other:
        entries = [{"domain": f"{TRUSTED}:{trusted.port}"}, {"domain": f"{OTHER}:{other.port}"}]
        socket = await _socket(store, tmp_path, entries, {"API_KEY": {"credential": "key"}})
        body = f'{{"key": "{PH}"}}'
        assert "hello from trusted" in await _post(socket, TRUSTED, trusted.port, body)
        assert "hello from other" in await _post(socket, OTHER, other.port, body)
    (head,), (sent,) = trusted.heads, trusted.bodies
    seen = {
        "header": f"X-Key: {VALUE}" in head,
        "query": f"?key={VALUE}&x=1 " in head,
        "body": sent == f'{{"key": "{VALUE}"}}'.encode(),
    }
    assert {where for where, found in seen.items() if found} == swapped, (head, sent)
    assert (PH in head) == bool({"header", "query"} - swapped)
    (head,), (sent,) = other.heads, other.bodies
    assert VALUE not in head and f"X-Key: {PH}" in head and f"?key={PH}&x=1" in head, "untrusted: unchanged"
    assert sent == body.encode()


async def test_no_swap_for_a_credential_the_environment_does_not_name_or_of_another_type(
    store: Store, tmp_path: Path
) -> None:
    config = {"trusted_domains": [TRUSTED], "injection_location": ["header"]}
    await store.credentials.create("tenant-a", "key", "environment_variable", VALUE, config)
    await store.credentials.create(
        "tenant-a", "bearer", "bearer_token", VALUE, {"trusted_domains": [TRUSTED]}
    )
    async with listening("trusted") as trusted:
        env = {"API_KEY": {"credential": "bearer"}}  # `key` is not named; `bearer` is no variable
        socket = await _socket(store, tmp_path, [{"domain": f"{TRUSTED}:{trusted.port}"}], env)
        await _post(socket, TRUSTED, trusted.port, "{}")
    assert VALUE not in trusted.heads[0]


async def test_an_https_trusted_domain_is_intercepted_for_the_swap(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = TestCA()
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.write(tmp_path / "host-store.pem")))
    config = {"trusted_domains": [TRUSTED], "injection_location": ["header"]}
    await store.credentials.create("tenant-a", "key", "environment_variable", VALUE, config)
    async with listening("secure", ca.server_context(TRUSTED)) as secure:
        socket = await _socket(
            store, tmp_path, [{"domain": f"{TRUSTED}:{secure.port}"}], {"API_KEY": {"credential": "key"}}
        )
        reader, writer = await asyncio.open_unix_connection(str(socket))
        writer.write(f"CONNECT {TRUSTED}:{secure.port} HTTP/1.1\r\n\r\n".encode())
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        trust = ssl.create_default_context(cafile=str(tmp_path / "data" / "trust" / BUNDLE_NAME))
        await writer.start_tls(trust, server_hostname=TRUSTED)
        writer.write(f"GET / HTTP/1.1\r\nHost: {TRUSTED}\r\nX-Key: {PH}\r\n\r\n".encode())
        assert b"hello from secure" in await asyncio.wait_for(reader.read(), 10)
        writer.close()
    assert f"X-Key: {VALUE}" in secure.heads[0]
