"""The egress proxy in-process: one socket per environment, decisions before connecting, injection.

Traffic goes only to listeners this test starts on 127.0.0.1 (allowed by the operator setting).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from orchestrator.config import Settings
from orchestrator.egress import EgressProxy
from orchestrator.store import Store
from orchestrator.store.environment_spec import EnvironmentSpec
from tests.unit.egress.listener import Listener, listening


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}") as store:
        yield store


@pytest.fixture
async def upstream() -> AsyncIterator[Listener]:
    async with listening("allowed") as listener:
        yield listener


async def _proxy(
    store: Store, tmp_path: Path, network: Any, env: str = "env_a", tenant: str = "tenant-a"
) -> tuple[EgressProxy, Path]:
    await store.environments.create(tenant, env, EnvironmentSpec.model_validate({"network": network}))
    settings = Settings(
        data_dir=tmp_path,
        egress_allow_addresses=["127.0.0.1:*"],
        egress_hosts={"allowed.warren.test": "127.0.0.1", "unlisted.warren.test": "127.0.0.1"},
    )
    proxy = EgressProxy.from_settings(store, settings)
    folder = tmp_path / env
    folder.mkdir()
    await proxy.serve(env, folder)
    return proxy, folder / "egress.sock"


async def _request(socket: Path, head: str) -> str:
    reader, writer = await asyncio.open_unix_connection(str(socket))
    writer.write(head.encode())
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer.decode()


async def test_allowed_name_answers_and_headers_are_injected(
    store: Store, tmp_path: Path, upstream: Listener
) -> None:
    await store.credentials.create("tenant-a", "gh", "bearer_token", "s3cret-value", {})
    entry = {
        "domain": f"allowed.warren.test:{upstream.port}",
        "credential": "gh",
        "transform": {"X-Team": "a"},
    }
    proxy, socket = await _proxy(store, tmp_path, {"allowlist": [entry]})
    answer = await _request(
        socket,
        f"GET http://allowed.warren.test:{upstream.port}/x?y=1 HTTP/1.1\r\nHost: evil.test\r\n"
        "Authorization: Bearer forged\r\nProxy-Connection: keep-alive\r\n\r\n",
    )
    assert answer.startswith("HTTP/1.1 200") and "hello from allowed" in answer
    (head,) = upstream.heads
    assert head.startswith("GET /x?y=1 HTTP/1.1\r\n")
    assert f"Host: allowed.warren.test:{upstream.port}" in head and "evil.test" not in head
    assert "Authorization: Bearer s3cret-value" in head and "forged" not in head
    assert "X-Team: a" in head and "Proxy-Connection" not in head
    assert "s3cret-value" not in answer
    await proxy.close_all()


async def test_connect_tunnels_bytes_without_injection(
    store: Store, tmp_path: Path, upstream: Listener
) -> None:
    """An entry without credential or transform is a tunnel: bytes pass as they are, in both ways
    (entries with one are intercepted instead: `test_intercept.py`)."""
    entry = {"domain": f"allowed.warren.test:{upstream.port}"}
    proxy, socket = await _proxy(store, tmp_path, {"allowlist": [entry]})
    reader, writer = await asyncio.open_unix_connection(str(socket))
    writer.write(f"CONNECT allowed.warren.test:{upstream.port} HTTP/1.1\r\n\r\n".encode())
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: mine\r\n\r\n")
    assert b"hello from allowed" in await asyncio.wait_for(reader.read(), 10)
    writer.close()
    assert upstream.heads == ["GET / HTTP/1.1\r\nHost: x\r\nAuthorization: mine\r\n\r\n"], "untouched"
    await proxy.close_all()


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        ("GET http://unlisted.warren.test:{port}/ HTTP/1.1\r\n\r\n", "not-listed"),
        ("GET http://127.0.0.1:{port}/ HTTP/1.1\r\n\r\n", "not-listed"),
        ("GET http://allowed.warren.test:{other}/ HTTP/1.1\r\n\r\n", "port-not-allowed"),
        ("CONNECT 169.254.169.254:80 HTTP/1.1\r\n\r\n", "not-listed"),
        ("GET /relative HTTP/1.1\r\n\r\n", "bad-request"),
        ("GET https://allowed.warren.test:{port}/ HTTP/1.1\r\n\r\n", "bad-request"),
    ],
)
async def test_refusals_happen_before_any_connection(
    store: Store, tmp_path: Path, upstream: Listener, caplog: pytest.LogCaptureFixture, head: str, reason: str
) -> None:
    async with listening("other-port") as other:
        proxy, socket = await _proxy(
            store, tmp_path, {"allowlist": [{"domain": f"allowed.warren.test:{upstream.port}"}]}
        )
        with caplog.at_level(logging.INFO, logger="orchestrator.egress"):
            answer = await _request(socket, head.format(port=upstream.port, other=other.port))
        assert answer.startswith("HTTP/1.1 4"), answer
        assert f"X-Warren-Egress: refused; reason={reason}" in answer
        assert f"egress env=env_a refuse reason={reason}" in caplog.text
        assert upstream.connections == other.connections == 0, "the proxy never connected"
        await proxy.close_all()


async def test_missing_credential_refuses(store: Store, tmp_path: Path, upstream: Listener) -> None:
    entry = {"domain": f"allowed.warren.test:{upstream.port}", "credential": "nope"}
    proxy, socket = await _proxy(store, tmp_path, {"allowlist": [entry]})
    answer = await _request(socket, f"GET http://allowed.warren.test:{upstream.port}/ HTTP/1.1\r\n\r\n")
    assert "reason=credential-refused" in answer and upstream.connections == 0
    await proxy.close_all()


async def test_a_credential_that_does_not_open_is_refused_not_raised(
    store: Store, tmp_path: Path, upstream: Listener
) -> None:
    """A sealed secret copied from another row (or sealed under another key) never opens: the
    sandbox gets a clear 403 and the upstream nothing, instead of a dropped connection."""
    await store.credentials.create("tenant-a", "gh", "bearer_token", "s3cret-value", {})
    await store.credentials.create("tenant-b", "gh", "bearer_token", "b-token", {})
    async with store.db.write() as session:
        copy = "UPDATE credentials SET secret = (SELECT secret FROM credentials WHERE tenant = 'tenant-b')"
        await session.execute(text(copy + " WHERE tenant = 'tenant-a'"))
    entry = {"domain": f"allowed.warren.test:{upstream.port}", "credential": "gh"}
    proxy, socket = await _proxy(store, tmp_path, {"allowlist": [entry]})
    answer = await _request(socket, f"GET http://allowed.warren.test:{upstream.port}/ HTTP/1.1\r\n\r\n")
    assert answer.startswith("HTTP/1.1 403") and "reason=credential-refused" in answer, answer
    assert upstream.connections == 0 and "b-token" not in answer
    await proxy.close_all()


async def test_environments_without_an_allowlist_get_no_socket(store: Store, tmp_path: Path) -> None:
    proxy, socket = await _proxy(store, tmp_path, "disabled")
    assert not socket.exists()
    await proxy.close_all()
