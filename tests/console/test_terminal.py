"""The terminal (issue 16, item 5): xterm.js on the PTY WebSocket `warren attach` uses, in a real
sandbox; the key travels in the socket's first message, never in its URL."""

from __future__ import annotations

from playwright.sync_api import WebSocket, expect

from .conftest import Console, Watched, sign_in


def test_the_terminal_runs_a_command_in_the_sandbox(console: Console, watched: Watched) -> None:
    with console.http(console.key_a) as a:
        environment = a.post("/v1beta/environments", json={}).json()
    page = watched.page
    sockets: list[WebSocket] = []
    page.on("websocket", lambda socket: sockets.append(socket))
    sign_in(page, console, console.key_a)
    page.goto(f"{console.url}/console#/environments/{environment['id']}")
    page.get_by_role("button", name="Open a terminal").click()
    expect(page.get_by_test_id("terminal-state")).to_contain_text("connected")
    terminal = page.get_by_test_id("terminal")
    expect(terminal).to_contain_text("$", timeout=60_000)  # the shell's prompt
    page.keyboard.type("echo $((6*7))\n")
    expect(
        terminal.locator(".xterm-rows > div", has_text="42").and_(
            terminal.locator(".xterm-rows > div").filter(has_not_text="echo")
        )
    ).to_have_count(1, timeout=30_000)
    assert len(sockets) == 1 and console.key_a not in sockets[0].url
    assert "/shell?" in sockets[0].url
