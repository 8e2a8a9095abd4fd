"""The browser tool against pages served on 127.0.0.1 by the test itself."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from agents.tools import Toolbox

from .conftest import needs_chromium

pytestmark = needs_chromium


def _ref(snapshot: str, role: str, name: str) -> str:
    match = re.search(rf'{role} "{re.escape(name)}"[^\n]*\[ref=(\w+)\]', snapshot)
    assert match, f"no {role} {name!r} in:\n{snapshot}"
    return match.group(1)


async def test_navigate_returns_title_and_snapshot_with_refs(toolbox: Toolbox, site: str) -> None:
    result = await toolbox.call("browser", {"action": "navigate", "url": f"{site}/index.html"})
    assert not result.is_error
    assert "Page: Warren test home" in result.output
    assert re.search(r'heading "Welcome" \[level=1\] \[ref=\w+\]', result.output)
    assert _ref(result.output, "link", "Go to the second page")


async def test_click_a_link_by_ref_and_go_back(toolbox: Toolbox, site: str) -> None:
    page = await toolbox.call("browser", {"action": "navigate", "url": f"{site}/index.html"})
    clicked = await toolbox.call(
        "browser", {"action": "click", "ref": _ref(page.output, "link", "Go to the second page")}
    )
    assert "Page: Second page" in clicked.output and "You followed the link." in clicked.output
    back = await toolbox.call("browser", {"action": "back"})
    assert "Page: Warren test home" in back.output


async def test_type_into_an_input_and_press_enter(toolbox: Toolbox, site: str) -> None:
    page = await toolbox.call("browser", {"action": "navigate", "url": f"{site}/index.html"})
    box = _ref(page.output, "textbox", "Query")
    typed = await toolbox.call("browser", {"action": "type", "ref": box, "text": "otters"})
    assert not typed.is_error
    await toolbox.call("browser", {"action": "press", "ref": box, "text": "Enter"})
    waited = await toolbox.call("browser", {"action": "wait", "text": "You searched for otters"})
    assert not waited.is_error and "Page: Results" in waited.output


async def test_scroll_and_snapshot(toolbox: Toolbox, site: str) -> None:
    await toolbox.call("browser", {"action": "navigate", "url": f"{site}/index.html"})
    scrolled = await toolbox.call("browser", {"action": "scroll", "text": "down"})
    assert not scrolled.is_error and "Scrolled down." in scrolled.output
    snapshot = await toolbox.call("browser", {"action": "snapshot"})
    assert "Bottom of the page" in snapshot.output


async def test_screenshot_is_an_image_part_and_a_saved_png(
    toolbox: Toolbox, site: str, module_workspace: Path
) -> None:
    await toolbox.call("browser", {"action": "navigate", "url": f"{site}/second.html"})
    first = await toolbox.call("browser", {"action": "screenshot"})
    second = await toolbox.call("browser", {"action": "screenshot"})
    assert first.files == [".warren/screenshots/1.png"] and second.files == [".warren/screenshots/2.png"]
    saved = (module_workspace / first.files[0]).read_bytes()
    assert saved.startswith(b"\x89PNG\r\n\x1a\n") and len(saved) > 1000
    assert first.images[0].mime_type == "image/png"
    assert base64.b64decode(first.images[0].data_b64) == saved


async def test_errors_come_back_as_results(toolbox: Toolbox, site: str) -> None:
    await toolbox.call("browser", {"action": "navigate", "url": f"{site}/index.html"})
    bad_ref = await toolbox.call("browser", {"action": "click", "ref": "e999"})
    assert bad_ref.is_error and "No element with ref 'e999'" in bad_ref.output
    refused = await toolbox.call("browser", {"action": "navigate", "url": "http://127.0.0.1:9/"})
    assert refused.is_error and "browser navigate failed" in refused.output
    missing_url = await toolbox.call("browser", {"action": "navigate"})
    assert missing_url.is_error and "`url` is required" in missing_url.output
    recovered = await toolbox.call("browser", {"action": "navigate", "url": f"{site}/second.html"})
    assert not recovered.is_error
