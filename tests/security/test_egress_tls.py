"""Secrets against HTTPS services, from inside real sandboxes (issue 17, item 1).

HTTPS listeners on 127.0.0.1 carry certificates from a test CA; `SSL_CERT_FILE` makes the
orchestrator's host trust that CA alone (the operator setting `egress_allow_addresses` opens
127.0.0.1, `egress_hosts` names the listeners). An entry with a credential is intercepted: the
sandbox's curl, Python (requests, httpx, urllib), git and the agent's Chromium reach the listener
with the token injected, trusting the Warren CA through the mounted bundle and variables, without
flags. The token is nowhere in the sandbox. An upstream with a certificate from a CA the host does
not trust gets nothing and the sandbox a 502 naming the reason; an entry without credential is a
tunnel in which the sandbox sees the upstream's own certificate. Node is not in the sandbox image
(`NODE_EXTRA_CA_CERTS` is set for images that have it). Item 2: an `environment_variable`
credential is a placeholder swapped only toward its trusted domain, and an `oauth2` credential's
refresh token and client secret stay in the orchestrator.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.egress.trust import TRUST_TARGET
from orchestrator.store.environment_spec import EnvironmentSpec
from tests.security.test_egress import SECRET_PROBE, TENANT, V, _curl, _run, _sandbox, _started
from tests.unit.api_app.conftest import App, start_app
from tests.unit.egress.listener import Listener, listening
from tests.unit.egress.tls import TestCA

pytestmark = [pytest.mark.security, pytest.mark.integration, pytest.mark.timeout(300)]

TOKEN = "tok-5d1e-https-only-in-the-orchestrator"
NAME, PLAIN, IMPOSTOR = "api.warren.test", "plain.warren.test", "impostor.warren.test"
PYTHON_CLIENTS = """
import sys, urllib.request, httpx
from pip._vendor import requests
url = sys.argv[1]
print("requests", requests.get(url, timeout=10).text.strip())
print("httpx", httpx.get(url, timeout=10, trust_env=True).text.strip())
opener = urllib.request.build_opener(urllib.request.ProxyHandler())
print("urllib", opener.open(url, timeout=10).read().decode().strip())
"""
"""requests is pip's vendored copy (the image has no separate requests); each reads the proxy and
the CA from the environment."""
BROWSE = """
import asyncio, sys
from pathlib import Path
from agents.tools.args import BrowserArgs
from agents.tools.browser import BrowserSession
from agents.tools.workspace import Workspace

async def main():
    session = BrowserSession(Workspace.at("/workspace"))
    try:
        result = await session.run(BrowserArgs(action="navigate", url=sys.argv[1]))
        print(result)
    finally:
        await session.close()

asyncio.run(main())
"""


@pytest.fixture
def upstream_ca(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> TestCA:
    """The only CA the orchestrator's host trusts (`SSL_CERT_FILE`)."""
    ca = TestCA()
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.write(tmp_path / "host-store.pem")))
    return ca


@pytest.fixture
async def tls_api(sandbox_image: str, sandbox_runtime: str, upstream_ca: TestCA) -> AsyncIterator[App]:
    short = Path(tempfile.mkdtemp(prefix="wtl", dir="/tmp"))  # Unix socket paths must stay short
    settings = Settings(
        data_dir=short / "data",
        sandboxes=True,
        sandbox_image=sandbox_image,
        runtime=sandbox_runtime,
        egress_allow_addresses=["127.0.0.1:*"],
        egress_hosts={NAME: "127.0.0.1", PLAIN: "127.0.0.1", IMPOSTOR: "127.0.0.1"},
    )
    async for started in start_app(settings):
        try:
            yield started
        finally:
            listed = (await started.a.get(f"{V}/environments")).json().get("environments", [])
            for env in listed:
                await started.a.delete(f"{V}/environments/{env['id']}")
            shutil.rmtree(short, ignore_errors=True)


@pytest.fixture
async def secure(upstream_ca: TestCA) -> AsyncIterator[Listener]:
    async with listening("secure", upstream_ca.server_context(NAME)) as listener:
        yield listener


@pytest.fixture
async def plain(upstream_ca: TestCA) -> AsyncIterator[Listener]:
    async with listening("tunnelled", upstream_ca.server_context(PLAIN)) as listener:
        yield listener


@pytest.fixture
async def impostor() -> AsyncIterator[Listener]:
    async with listening("impostor", TestCA("a CA nobody trusts").server_context(IMPOSTOR)) as listener:
        yield listener


async def test_https_clients_reach_a_credential_host_with_the_token_and_never_see_it(
    tls_api: App, secure: Listener, plain: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    made = await tls_api.a.post(
        f"{V}/credentials", json={"type": "bearer_token", "id": "api", "token": TOKEN}
    )
    assert made.status_code == 200 and TOKEN not in made.text
    network = {"allowlist": [{"domain": f"{NAME}:{secure.port}", "credential": "api"}]}
    _, sandbox_id = await _sandbox(tls_api, network)
    url = f"https://{NAME}:{secure.port}/v1/me"
    with caplog.at_level(logging.DEBUG, logger="orchestrator"):
        out = await _curl(tls_api, sandbox_id, url)
        assert "HTTP/1.1 200" in out and "hello from secure" in out, out
        code, out = await _run(tls_api, sandbox_id, f"python3 -c '{PYTHON_CLIENTS}' {url}")
        assert code == 0, out
        assert out.split("\n")[:3] == [
            f"{client} hello from secure" for client in ("requests", "httpx", "urllib")
        ]
        code, out = await _run(tls_api, sandbox_id, f"git ls-remote {url}/repo.git 2>&1", timeout_s=60)
        # TLS passes (git's request reaches the listener, below); the answer is simply no repository
        assert "certificate" not in out.lower() and "SSL" not in out, out
        code, out = await _run(tls_api, sandbox_id, f"python3 -c '{BROWSE}' {url}", timeout_s=120)
        assert code == 0 and "hello from secure" in out, out
    heads = secure.heads
    by_client = {
        agent: [h for h in heads if agent in h]
        for agent in ("curl/", "python-requests", "python-httpx", "Python-urllib", "git/", "Chrome")
    }
    assert all(by_client.values()), (by_client, heads)
    assert all(f"Authorization: Bearer {TOKEN}" in head for head in heads), heads

    files = f"{TRUST_TARGET}/bundle.pem {TRUST_TARGET}/warren-ca.pem"
    _, out = await _run(
        tls_api, sandbox_id, f"cat {files} >/dev/null && echo $SSL_CERT_FILE $NODE_EXTRA_CA_CERTS"
    )
    assert out.split() == files.split(), out
    code, out = await _run(tls_api, sandbox_id, f"touch {TRUST_TARGET}/bundle.pem 2>&1")
    _, options = await _run(
        tls_api, sandbox_id, f"awk '$5 == \"{TRUST_TARGET}\" {{print $6}}' /proc/self/mountinfo"
    )
    assert code != 0 and options.strip().split(",")[0] == "ro", ("read-only for the sandbox", out, options)
    _, out = await _run(
        tls_api, sandbox_id, f"grep -rl 'PRIVATE KEY' {TRUST_TARGET} /run/warren || echo none"
    )
    assert out.strip() == "none", "the CA's key never enters the sandbox"

    encoded = base64.b64encode(TOKEN.encode()).decode()
    probe = SECRET_PROBE.format(encoded=encoded)
    _, out = await _run(tls_api, sandbox_id, f"python3 -c '{probe}'", timeout_s=60)
    assert "hits: []" in out, out
    assert TOKEN not in caplog.text, "nor in the orchestrator's log"
    data = Path(tls_api.services.settings.data_dir)
    stored = b"".join(p.read_bytes() for p in data.glob("warren.db*"))
    assert stored and TOKEN.encode() not in stored, "sealed in the database"


async def test_an_untrusted_upstream_is_refused_with_a_502_and_a_plain_host_is_tunnelled(
    tls_api: App, impostor: Listener, plain: Listener, upstream_ca: TestCA
) -> None:
    made = await tls_api.a.post(
        f"{V}/credentials", json={"type": "bearer_token", "id": "api", "token": TOKEN}
    )
    assert made.status_code == 200
    network = {
        "allowlist": [
            {"domain": f"{IMPOSTOR}:{impostor.port}", "credential": "api"},
            {"domain": f"{PLAIN}:{plain.port}"},
        ]
    }
    _, sandbox_id = await _sandbox(tls_api, network)
    out = await _curl(tls_api, sandbox_id, f"https://{IMPOSTOR}:{impostor.port}/")
    assert "HTTP/1.1 502" in out and "X-Warren-Egress: refused; reason=upstream-certificate" in out, out
    assert "certificate is not trusted" in out
    assert impostor.heads == [], "the impostor got no request and no token"

    out = await _curl(tls_api, sandbox_id, f"https://{PLAIN}:{plain.port}/", "-v -H 'Authorization: mine'")
    assert "HTTP/1.1 200" in out and "hello from tunnelled" in out, out
    assert f"issuer: CN={upstream_ca.certificate.subject.rfc4514_string().removeprefix('CN=')}" in out, out
    assert "Warren egress CA" not in out, "not intercepted: the upstream's own certificate"
    (head,) = plain.heads
    assert "Authorization: mine" in head, "the sandbox's request passed untouched"


async def test_an_environment_variable_credential_is_a_placeholder_swapped_only_toward_its_domain(
    tls_api: App, secure: Listener, plain: Listener
) -> None:
    """Issue 17, item 2: the sandbox's variable holds a placeholder; sent to the trusted domain (HTTPS,
    intercepted for the swap) it arrives as the value, sent to another allowlisted host unchanged."""
    credential = {
        "type": "environment_variable",
        "id": "key",
        "value": TOKEN,
        "injection_location": ["header", "query"],
        "trusted_domains": [NAME],
    }
    made = await tls_api.a.post(f"{V}/credentials", json=credential)
    assert made.status_code == 200 and TOKEN not in made.text, made.text
    network = {"allowlist": [{"domain": f"{NAME}:{secure.port}"}, {"domain": f"{PLAIN}:{plain.port}"}]}
    environments = tls_api.services.environments
    assert environments is not None  # what an interaction's inline `environment` with this `env` makes
    spec = EnvironmentSpec(network=network, env={"API_KEY": {"credential": "key"}})
    _, sandbox_id = await _started(tls_api, (await environments.create(TENANT, spec)).id)
    _, shown = await _run(tls_api, sandbox_id, "echo $API_KEY")
    placeholder = shown.strip()
    assert placeholder.startswith("wcred_") and TOKEN not in shown
    for host, port in ((NAME, secure.port), (PLAIN, plain.port)):
        out = await _curl(
            tls_api, sandbox_id, f"'\"https://{host}:{port}/q?key=$API_KEY\"'", '-H "X-Key: $API_KEY"'
        )
        assert "HTTP/1.1 200" in out, out
    (trusted,), (other,) = secure.heads, plain.heads
    assert f"X-Key: {TOKEN}" in trusted and f"/q?key={TOKEN} " in trusted and placeholder not in trusted
    assert f"X-Key: {placeholder}" in other and f"/q?key={placeholder} " in other and TOKEN not in other
    encoded = base64.b64encode(TOKEN.encode()).decode()
    _, out = await _run(
        tls_api, sandbox_id, f"python3 -c '{SECRET_PROBE.format(encoded=encoded)}'", timeout_s=60
    )
    assert "hits: []" in out, out


async def test_an_oauth2_credential_refreshes_in_the_orchestrator_only(
    tls_api: App, secure: Listener
) -> None:
    """Issue 17, item 2: the sandbox's request reaches the API with an access token the orchestrator
    got from a loopback token endpoint; the refresh token and client secret are nowhere in the
    sandbox and never reach the API."""
    refresh, client_secret = "rt-5e0a-orchestrator-only", "cs-5e0a-orchestrator-only"
    grants: list[bytes] = []

    async def token_endpoint(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        grants.append(await reader.readexactly(length))
        body = b'{"access_token": "at-from-the-orchestrator", "expires_in": 3600}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        writer.close()

    async with await asyncio.start_server(token_endpoint, "127.0.0.1", 0) as server:
        token_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/token"
        credential = {
            "type": "oauth2",
            "id": "oa",
            "client_id": "warren",
            "client_secret": client_secret,
            "refresh_token": refresh,
            "token_url": token_url,
        }
        made = await tls_api.a.post(f"{V}/credentials", json=credential)
        assert made.status_code == 200, made.text
        network = {"allowlist": [{"domain": f"{NAME}:{secure.port}", "credential": "oa"}]}
        _, sandbox_id = await _sandbox(tls_api, network)
        for _ in range(2):
            out = await _curl(tls_api, sandbox_id, f"https://{NAME}:{secure.port}/v1/me")
            assert "HTTP/1.1 200" in out and "hello from secure" in out, out
        for secret in (refresh, client_secret):
            probe = SECRET_PROBE.format(encoded=base64.b64encode(secret.encode()).decode())
            _, out = await _run(tls_api, sandbox_id, f"python3 -c '{probe}'", timeout_s=60)
            assert "hits: []" in out, out
    assert len(grants) == 1 and refresh.encode() in grants[0], "one refresh, then the cached token"
    assert all("Authorization: Bearer at-from-the-orchestrator" in head for head in secure.heads)
    assert not any(refresh in head or client_secret in head for head in secure.heads)
