"""`warren attach` through a real pseudo-terminal: a shell, resize, detach, re-attach, tenant scope."""

from __future__ import annotations

import time

import pexpect
import pytest

from tests.cli.conftest import WARREN, Server

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

_PROMPT = r"\$ "


def _attach(server: Server, environment_id: str, key: str | None = None) -> pexpect.spawn:
    env = server.env(key, TERM="xterm")
    return pexpect.spawn(
        WARREN, ["attach", environment_id], env=env, dimensions=(24, 80), timeout=60, encoding="utf-8"
    )


@pytest.fixture
def environment_id(server: Server) -> str:
    with server.http() as client:
        created = client.post("/v1beta/environments", json={})
        assert created.status_code == 200, created.text
        return str(created.json()["id"])


def test_shell_resize_detach_and_reattach(server: Server, environment_id: str) -> None:
    child = _attach(server, environment_id)
    child.expect(_PROMPT)
    child.sendline("echo $((6*7))")
    child.expect(r"42\r\n")
    child.setwinsize(40, 100)  # SIGWINCH to the CLI, which sends a resize frame
    time.sleep(0.5)
    child.sendline("stty size")
    child.expect(r"40 100")
    child.sendline("echo kept > earlier.txt")
    child.expect(_PROMPT)
    child.send("\r~.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    again = _attach(server, environment_id)
    again.expect(_PROMPT)
    again.sendline("cat earlier.txt")
    again.expect(r"kept\r\n")
    # Ctrl-D only once the prompt is back: typed while `cat` still owns the (cooked) terminal it is
    # not an EOF to bash's line editor, and the faster event-loop relay made that window reachable.
    again.expect(_PROMPT)
    again.sendcontrol("d")  # the shell exits: the session ends, the sandbox stays
    again.expect(pexpect.EOF)
    again.close()
    assert again.exitstatus == 0
    with server.http() as client:
        assert client.get(f"/v1beta/environments/{environment_id}").json()["status"] == "active"


def test_another_tenant_cannot_attach(server: Server, environment_id: str) -> None:
    child = _attach(server, environment_id, key=server.other_key)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert "not found" in (child.before or "")
    assert "Traceback" not in (child.before or "")
