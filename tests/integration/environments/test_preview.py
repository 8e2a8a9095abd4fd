"""Preview URLs (issue 18, item 3) against a real `warren serve` and real sandboxes.

A sandbox serves `python3 -m http.server 8000`, an HTTP echo server and a WebSocket echo server
(`tests/support/preview_servers.py`); the tests reach them only through the preview URL, and check
that the sandbox still has no network interface but loopback.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.cli.conftest import base_env, warren
from tests.support.serve import RunningServer, warren_serve

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

V = "/v1beta"
SERVERS = (Path(__file__).parents[2] / "support" / "preview_servers.py").read_text()
ECHO, WS = 8001, 8765


@pytest.fixture(scope="module")
def server(sandbox_image: str) -> Iterator[RunningServer]:
    data = Path(tempfile.mkdtemp(prefix="warren-preview-"))
    env = {**base_env(sandbox_image), "WARREN_DATA_DIR": str(data), "WARREN_POOL_SIZE": "0"}
    with warren_serve(env, data, ["tenant-a", "tenant-b"]) as running:
        try:
            yield running
        finally:
            for key in running.keys.values():
                with httpx.Client(base_url=running.url, headers={"x-goog-api-key": key}, timeout=60) as c:
                    for environment in c.get(f"{V}/environments").json().get("environments", []):
                        c.delete(f"{V}/environments/{environment['id']}")


def _client(server: RunningServer, tenant: str | None) -> httpx.Client:
    headers = {"x-goog-api-key": server.keys[tenant]} if tenant else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=60)


def _wait_listening(container: docker.models.containers.Container, port: int) -> None:
    probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=1)"
    deadline = time.monotonic() + 30
    while container.exec_run(["python3", "-c", probe]).exit_code != 0:
        assert time.monotonic() < deadline, f"nothing listens on {port} in the sandbox"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def environment(server: RunningServer, docker_client: docker.DockerClient) -> tuple[str, str]:
    """Tenant A's environment with the three servers running; returns its id and its container id."""
    with _client(server, "tenant-a") as a:
        env_id = a.post(f"{V}/environments", json={}).json()["id"]
        assert a.post(f"{V}/environments/{env_id}:resume").status_code == 200
    (container,) = docker_client.containers.list(filters={"label": f"dev.warren.environment={env_id}"})
    container.exec_run(["sh", "-c", "echo '<h1>preview works</h1>' > /workspace/index.html"])
    container.exec_run(["python3", "-m", "http.server", "8000", "-d", "/workspace"], detach=True)
    container.exec_run(["python3", "-c", SERVERS, str(ECHO), str(WS)], detach=True)
    for port in (8000, ECHO, WS):
        _wait_listening(container, port)
    return env_id, container.id


def _open(server: RunningServer, env_id: str, port: int) -> dict[str, str]:
    with _client(server, "tenant-a") as a:
        opened = a.post(f"{V}/environments/{env_id}/ports", json={"port": port})
    assert opened.status_code == 200, opened.text
    body: dict[str, str] = opened.json()
    return body


def test_the_page_through_the_preview_url_with_the_key_only(
    server: RunningServer, environment: tuple[str, str]
) -> None:
    env_id, _ = environment
    path = f"{V}/environments/{env_id}/ports/8000/index.html"
    with _client(server, "tenant-a") as a:
        assert a.get(path).status_code == 404, "a port is closed until it is opened"
    opened = _open(server, env_id, 8000)
    assert opened["url"] == f"{server.url}{V}/environments/{env_id}/ports/8000/"
    with (
        _client(server, "tenant-a") as a,
        _client(server, "tenant-b") as b,
        _client(server, None) as anonymous,
    ):
        page = a.get(path)
        assert page.status_code == 200, page.text
        assert page.text == "<h1>preview works</h1>\n"
        listing = a.get(f"{V}/environments/{env_id}/ports/8000/")
        assert listing.text == page.text, "the root serves index.html"
        assert anonymous.get(path).status_code == 401
        assert b.get(path).status_code == 404
        assert b.get(path).json()["error"]["code"] == "not_found"
        assert a.get(f"{V}/environments/{env_id}/ports/8002/index.html").status_code == 404
        assert a.get(f"{V}/environments/{env_id}/ports/0/index.html").status_code == 400
        assert a.get(f"{V}/environments/{env_id}/ports/08000/index.html").text == page.text
        assert [p["port"] for p in a.get(f"{V}/environments/{env_id}/ports").json()["ports"]] == [8000]
        assert b.get(f"{V}/environments/{env_id}/ports").status_code == 404
        assert b.delete(f"{V}/environments/{env_id}/ports/8000").status_code == 404
        assert a.get(path).status_code == 200, "B's close did nothing"


def test_headers_and_bodies_pass_but_warrens_key_and_token_do_not(
    server: RunningServer, environment: tuple[str, str]
) -> None:
    env_id, _ = environment
    opened = _open(server, env_id, ECHO)
    token = opened["browser_url"].split("warren_preview=", 1)[1]
    body = bytes(range(256)) * 4096  # 1 MiB, every byte value
    base = f"{V}/environments/{env_id}/ports/{ECHO}"
    with _client(server, "tenant-a") as a:
        sent = a.put(
            f"{base}/some/where?x=1&warren_preview={token}",
            content=iter([body[:1000], body[1000:]]),  # chunked: no length
            headers={
                "x-app": "kept",
                "cookie": f"app=1; warren_preview={token}",
                "connection": "x-gone",
                "x-gone": "1",
            },
        )
        assert sent.status_code == 200, sent.text
        echo = sent.json()
        assert echo["method"] == "PUT"
        assert echo["target"] == "/some/where?x=1"
        assert echo["body_bytes"] == len(body)
        assert echo["body_sha256"] == hashlib.sha256(body).hexdigest()
        headers = dict(echo["headers"])
        assert headers["x-app"] == "kept"
        assert headers["cookie"] == "app=1"
        assert headers["host"] == f"localhost:{ECHO}"
        assert "x-gone" not in headers
        assert server.keys["tenant-a"] not in sent.text
        assert token not in sent.text
        assert "x-goog-api-key" not in headers
        bearer = httpx.post(
            f"{server.url}{base}/",
            headers={"authorization": f"Bearer {server.keys['tenant-a']}"},
            content=b"x",
        )
        assert bearer.status_code == 200, bearer.text
        assert "authorization" not in dict(bearer.json()["headers"])
        assert sent.headers["set-cookie"] == "app=1; Path=/"


def test_a_browser_link_moves_its_token_to_a_cookie_for_that_port_only(
    server: RunningServer, environment: tuple[str, str]
) -> None:
    env_id, _ = environment
    opened = _open(server, env_id, 8000)
    with httpx.Client(timeout=60) as browser:
        first = browser.get(opened["browser_url"])
        assert first.status_code == 303
        assert first.headers["location"] == f"{V}/environments/{env_id}/ports/8000/"
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and f"Path={V}/environments/{env_id}/ports/8000/" in cookie
        page = browser.get(f"{server.url}{V}/environments/{env_id}/ports/8000/index.html")
        assert page.status_code == 200, page.text
        token = opened["browser_url"].split("warren_preview=", 1)[1]
        other_port = browser.get(
            f"{server.url}{V}/environments/{env_id}/ports/{ECHO}/", params={"warren_preview": token}
        )
        assert other_port.status_code == 401, "a token opens only the port it was made for"
        forged = browser.get(opened["browser_url"][:-2] + "xx")
        assert forged.status_code == 401


async def test_a_websocket_echo_server_works_through_the_preview_url(
    server: RunningServer, environment: tuple[str, str]
) -> None:
    env_id, _ = environment
    _open(server, env_id, WS)
    url = f"ws{server.url.removeprefix('http')}{V}/environments/{env_id}/ports/{WS}/echo"
    async with connect(url, additional_headers={"x-goog-api-key": server.keys["tenant-a"]}) as ws:
        await ws.send("hello through the relay")
        assert await asyncio.wait_for(ws.recv(), 30) == "hello through the relay"
        await ws.send("handshake?")
        head = str(await asyncio.wait_for(ws.recv(), 30)).lower()
        assert head.startswith("get /echo http/1.1") and f"host: localhost:{WS}" in head
        assert "x-goog-api-key" not in head and server.keys["tenant-a"].lower() not in head
        big = bytes(range(256)) * 1000
        await ws.send(big)
        assert await asyncio.wait_for(ws.recv(), 30) == big
    for headers, code in (({}, 4401), ({"x-goog-api-key": server.keys["tenant-b"]}, 4404)):
        with pytest.raises(ConnectionClosed) as refused:
            async with connect(url, additional_headers=headers) as ws:
                await asyncio.wait_for(ws.recv(), 30)
        assert refused.value.rcvd is not None and refused.value.rcvd.code == code


def test_the_sandbox_still_has_no_network_interface_but_loopback(
    server: RunningServer, environment: tuple[str, str], docker_client: docker.DockerClient
) -> None:
    _, container_id = environment
    _open(server, environment[0], 8000)
    container = docker_client.containers.get(container_id)
    links = container.exec_run(["ip", "-o", "link"]).output.decode()
    assert [line.split(":")[1].strip() for line in links.splitlines()] == ["lo"]
    assert not container.attrs["HostConfig"]["PortBindings"]


def test_warren_envs_port_opens_the_port_and_prints_its_url(
    server: RunningServer, environment: tuple[str, str], sandbox_image: str
) -> None:
    env_id, _ = environment
    env = {**base_env(sandbox_image), "WARREN_URL": server.url, "WARREN_API_KEY": server.keys["tenant-a"]}
    opened = warren("envs", "port", env_id, "8000", env=env)
    assert opened.returncode == 0, opened.stderr
    url = opened.stdout.strip()
    assert url == f"{server.url}{V}/environments/{env_id}/ports/8000/"
    assert "warren_preview=" in opened.stderr
    with _client(server, "tenant-a") as a:
        assert a.get(url).text == "<h1>preview works</h1>\n"
    closed = warren("envs", "port", env_id, "8000", "--close", env=env)
    assert closed.returncode == 0, closed.stderr
    with _client(server, "tenant-a") as a:
        assert a.get(url).status_code == 404, "a closed port answers 404"
    assert warren("envs", "port", env_id, "70000", env=env).returncode != 0


def test_a_port_nothing_listens_on_answers_502(server: RunningServer, environment: tuple[str, str]) -> None:
    env_id, _ = environment
    _open(server, env_id, 9)
    with _client(server, "tenant-a") as a:
        answer = a.get(f"{V}/environments/{env_id}/ports/9/")
    assert answer.status_code == 502, answer.text
    assert answer.json()["error"]["code"] == "bad_gateway"
    assert "nothing answers on port 9" in answer.json()["error"]["message"]
