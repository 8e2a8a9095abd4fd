"""`oauth2` credentials (issue 17, item 2): the orchestrator refreshes the access token, caches it
until it expires, refreshes once on a 401 and sends the request again; the refresh token and client
secret reach only the token endpoint. A token endpoint and an API on 127.0.0.1, an in-process proxy.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from orchestrator.egress.oauth import oauth_secret
from orchestrator.store import Store
from tests.unit.egress.serving import serve_environment

API, TOKENS = "api.warren.test", "auth.warren.test"
REFRESH, CLIENT_SECRET = "rt-never-leaves-the-orchestrator", "cs-never-leaves-the-orchestrator"


@dataclass
class Server:
    """Answers like a token endpoint (`/token`) or an API that takes only `valid` tokens."""

    ttls: list[int] = field(default_factory=list)
    """`expires_in` of each token issued, in order."""
    rotations: list[str] = field(default_factory=list)
    """A new `refresh_token` for each token issued, in order, while there are some."""
    valid: set[str] = field(default_factory=set)
    forms: list[dict[str, list[str]]] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        lines = head.split("\r\n")
        length = next((int(x.split(":")[1]) for x in lines if x.lower().startswith("content-length:")), 0)
        body = await reader.readexactly(length)
        self.heads.append(head)
        self.bodies.append(body)
        if head.startswith("POST /token "):
            self.forms.append(parse_qs(body.decode()))
            token = f"at-{len(self.forms)}"
            self.valid.clear()
            self.valid.add(token)  # the set the API checks: the new token is the one it takes
            issued = {"access_token": token, "token_type": "Bearer", "expires_in": self.ttls.pop(0)}
            answer = json.dumps(issued | ({"refresh_token": self.rotations.pop(0)} if self.rotations else {}))
            status = "200 OK"
        else:
            ok = any(f"Authorization: Bearer {token}\r\n" in head for token in self.valid)
            status, answer = ("200 OK", "hello") if ok else ("401 Unauthorized", "expired")
        data = answer.encode()
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}") as store:
        yield store


async def _request(socket: Path, port: int, body: str = "") -> str:
    reader, writer = await asyncio.open_unix_connection(str(socket))
    writer.write(
        f"POST http://{API}:{port}/v1/things HTTP/1.1\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode()
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer.decode()


async def test_refreshed_cached_refreshed_after_expiry_and_after_a_401(store: Store, tmp_path: Path) -> None:
    api = Server()
    tokens = Server(ttls=[3600, 30, 3600], valid=api.valid)
    async with (
        await asyncio.start_server(tokens.handle, "127.0.0.1", 0) as token_server,
        await asyncio.start_server(api.handle, "127.0.0.1", 0) as api_server,
    ):
        token_port = token_server.sockets[0].getsockname()[1]
        port = api_server.sockets[0].getsockname()[1]
        config = {
            "client_id": "warren-client",
            "token_url": f"http://{TOKENS}:{token_port}/token",
            "scopes": ["read", "write"],
        }
        await store.credentials.create(
            "tenant-a", "oa", "oauth2", oauth_secret(CLIENT_SECRET, REFRESH), config
        )
        spec = {"network": {"allowlist": [{"domain": f"{API}:{port}", "credential": "oa"}]}}
        proxy, socket = await serve_environment(store, tmp_path, spec, [API, TOKENS])

        assert "200 OK" in await _request(socket, port) and len(tokens.forms) == 1, "first use: one refresh"
        assert "200 OK" in await _request(socket, port) and len(tokens.forms) == 1, "cached"
        api.valid.clear()  # the API stops taking at-1: the next request gets a 401 first
        answer = await _request(socket, port, '{"n": 3}')
        assert "200 OK" in answer and "hello" in answer and len(tokens.forms) == 2, "one refresh on the 401"
        assert api.bodies[-2:] == [b'{"n": 3}', b'{"n": 3}'], "the request went again, body and all"
        assert "200 OK" in await _request(socket, port) and len(tokens.forms) == 3, "at-2 expired (30 s)"
        await proxy.close_all()

    assert [form["grant_type"] for form in tokens.forms] == [["refresh_token"]] * 3
    assert all(
        form["refresh_token"] == [REFRESH] and form["client_secret"] == [CLIENT_SECRET]
        for form in tokens.forms
    )
    assert tokens.forms[0]["client_id"] == ["warren-client"] and tokens.forms[0]["scope"] == ["read write"]
    sent = [head.split("Authorization: ")[1].split("\r\n")[0] for head in api.heads]
    assert sent == ["Bearer at-1", "Bearer at-1", "Bearer at-1", "Bearer at-2", "Bearer at-3"]
    assert not any(REFRESH in h or CLIENT_SECRET in h for h in api.heads + [b.decode() for b in api.bodies])


async def test_a_token_endpoint_the_address_rules_forbid_is_never_contacted(
    store: Store, tmp_path: Path
) -> None:
    api = Server()
    async with await asyncio.start_server(api.handle, "127.0.0.1", 0) as api_server:
        port = api_server.sockets[0].getsockname()[1]
        config = {"client_id": "c", "token_url": "http://169.254.169.254/token"}
        await store.credentials.create(
            "tenant-a", "oa", "oauth2", oauth_secret(CLIENT_SECRET, REFRESH), config
        )
        spec = {"network": {"allowlist": [{"domain": f"{API}:{port}", "credential": "oa"}]}}
        proxy, socket = await serve_environment(store, tmp_path, spec, [API])
        answer = await _request(socket, port)
        await proxy.close_all()
    assert answer.startswith("HTTP/1.1 403") and "reason=credential-refused" in answer, answer
    assert "the token endpoint is refused: ip-literal" in answer and api.heads == []


async def test_a_rotated_refresh_token_is_stored_back_sealed_and_used_next(
    store: Store, tmp_path: Path
) -> None:
    api = Server()
    tokens = Server(ttls=[30, 30, 3600], valid=api.valid, rotations=["rt-rotated-2", "rt-rotated-3"])
    async with (
        await asyncio.start_server(tokens.handle, "127.0.0.1", 0) as token_server,
        await asyncio.start_server(api.handle, "127.0.0.1", 0) as api_server,
    ):
        token_port = token_server.sockets[0].getsockname()[1]
        port = api_server.sockets[0].getsockname()[1]
        config = {"client_id": "c", "token_url": f"http://{TOKENS}:{token_port}/token"}
        await store.credentials.create(
            "tenant-a", "oa", "oauth2", oauth_secret(CLIENT_SECRET, REFRESH), config
        )
        spec = {"network": {"allowlist": [{"domain": f"{API}:{port}", "credential": "oa"}]}}
        proxy, socket = await serve_environment(store, tmp_path, spec, [API, TOKENS])
        answers = [await _request(socket, port) for _ in range(3)]  # each token expires at once (30 s)
        await proxy.close_all()
    assert all("200 OK" in answer for answer in answers)
    assert [form["refresh_token"] for form in tokens.forms] == [[REFRESH], ["rt-rotated-2"], ["rt-rotated-3"]]
    held = await store.credentials.secret("tenant-a", "oa")
    assert held is not None and json.loads(held.secret)["refresh_token"] == "rt-rotated-3"
    assert json.loads(held.secret)["client_secret"] == CLIENT_SECRET, "the client secret is kept"
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("w.db*"))  # the WAL too
    assert b"rt-rotated" not in raw, "stored sealed, never in plain text"
