"""The `browser` tool: Playwright (async) driving Debian's Chromium, one browser per session.

Snapshots are Playwright's AI-mode ARIA snapshots: the accessibility tree as YAML with
`[ref=eN]` on each element, and `aria-ref=eN` selectors that resolve against the latest
snapshot. The browser starts on first use, since most sessions never browse.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from agents.protocol import CA_SPKI_ENV
from agents.tools.args import BrowserArgs
from agents.tools.results import ImageData, ToolError, ToolResult
from agents.tools.screencast import Screencast
from agents.tools.text import DEFAULT_OUTPUT_LIMIT, cap_text
from agents.tools.workspace import Workspace

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page, Playwright, Response

__all__ = ["CHROMIUM_ARGS", "BrowserSession", "chromium_args"]

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
"""Flags for Chromium in a sandbox without user namespaces, /dev/shm or a network to phone home to."""


def chromium_args() -> list[str]:
    """`CHROMIUM_ARGS`, and trust in the Warren CA's key when the sandbox names it (`WARREN_CA_SPKI`):
    Chromium reads none of the CA variables, and the key's hash trusts exactly chains that hold it
    (the egress proxy's intercepted hosts), nothing else."""
    spki = os.environ.get(CA_SPKI_ENV, "")
    valid = re.fullmatch(r"[A-Za-z0-9+/]{43}=", spki)
    return [*CHROMIUM_ARGS, *([f"--ignore-certificate-errors-spki-list={spki}"] if valid else [])]


_ACTION_TIMEOUT_MS = 10_000
_NAVIGATION_TIMEOUT_MS = 30_000
_MAX_WAIT_S = 30.0
_SCREENSHOT_DIR = Path(".warren/screenshots")
_BARE_HOST = re.compile(r"^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/|$)")


def _normalise_url(url: str) -> str:
    url = url.strip()
    if "://" in url or url.startswith(("about:", "data:")):
        return url
    return ("http://" if _BARE_HOST.match(url) else "https://") + url


class BrowserSession:
    """A lazily started Chromium with one active page, driven by the `browser` tool's actions."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        executable: str | None = None,
        output_limit: int = DEFAULT_OUTPUT_LIMIT,
        screencast: Screencast | None = None,
    ) -> None:
        self._ws = workspace
        self._screencast = screencast
        """Streams the active page while someone watches (None: never)."""
        self._executable = executable or os.environ.get("WARREN_CHROMIUM", "/usr/bin/chromium")
        self._limit = output_limit
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._page: Page | None = None
        self._lock = asyncio.Lock()

    async def run(self, args: BrowserArgs) -> ToolResult:
        """Perform one action; Playwright errors (bad ref, failed navigation) become error results."""
        from playwright.async_api import Error as PlaywrightError

        async with self._lock:
            page = await self._ensure_page()
            cast = self._screencast
            held = cast.held() if cast is not None and args.action != "wait" else contextlib.nullcontext()
            try:
                with held:  # the screencast pauses while the agent's own action runs
                    return await self._dispatch(page, args)
            except PlaywrightError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ToolError(f"browser {args.action} failed: {first}") from exc

    async def _ensure_page(self) -> Page:
        if self._page is not None and not self._page.is_closed():
            return self._page
        if self._browser is None:
            from playwright.async_api import async_playwright

            self._playwright = await async_playwright().start()
            proxy = os.environ.get("HTTPS_PROXY") or os.environ.get("HTTP_PROXY")
            self._browser = await self._playwright.chromium.launch(
                executable_path=self._executable,
                args=chromium_args(),
                headless=True,
                proxy={"server": proxy, "bypass": os.environ.get("NO_PROXY", "")} if proxy else None,
            )
        context = await self._browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(_ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(_NAVIGATION_TIMEOUT_MS)
        context.on("page", self._adopt)  # links that open a new tab continue there
        self._adopt(await context.new_page())
        assert self._page is not None
        return self._page

    def _adopt(self, page: Page) -> None:
        self._page = page
        if self._screencast is not None:
            self._screencast.follow(page)

    async def _dispatch(self, page: Page, args: BrowserArgs) -> ToolResult:
        action = args.action
        if action == "navigate":
            assert args.url is not None
            response = await self._goto(page, _normalise_url(args.url))
            status = f" (HTTP {response.status})" if response is not None and response.status >= 400 else ""
            return await self._snapshot(page, f"Navigated to {page.url}{status}.")
        if action == "snapshot":
            return await self._snapshot(page, "")
        if action == "click":
            await (await self._locate(page, args.ref)).click()
            await self._settle(page)
            return await self._snapshot(page, f"Clicked {args.ref}.")
        if action == "type":
            await (await self._locate(page, args.ref)).fill(args.text or "")
            return await self._snapshot(page, f"Typed into {args.ref}.")
        if action == "press":
            assert args.text is not None
            if args.ref:
                await (await self._locate(page, args.ref)).press(args.text)
            else:
                await page.keyboard.press(args.text)
            await self._settle(page)
            return await self._snapshot(page, f"Pressed {args.text}.")
        if action == "scroll":
            return await self._scroll(page, args)
        if action == "back":
            if await page.go_back(wait_until="domcontentloaded") is None:
                raise ToolError("browser back failed: there is no previous page in this tab's history.")
            return await self._snapshot(page, f"Went back to {page.url}.")
        if action == "screenshot":
            return await self._screenshot(page, full_page=(args.text or "").strip().lower() == "full")
        return await self._wait(page, args.text or "")

    @staticmethod
    async def _goto(page: Page, url: str) -> Response | None:
        """Open `url`; retry once when a late error page from the previous navigation interrupts it."""
        from playwright.async_api import Error as PlaywrightError

        try:
            return await page.goto(url, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            # Let Chromium finish showing its error page, so the next navigation starts clean.
            with contextlib.suppress(PlaywrightError):
                await page.wait_for_load_state("load", timeout=5_000)
            if "interrupted by another navigation" not in str(exc):
                raise
            return await page.goto(url, wait_until="domcontentloaded")

    async def _locate(self, page: Page, ref: str | None) -> Locator:
        locator = page.locator(f"aria-ref={ref}")
        if not ref or await locator.count() == 0:
            raise ToolError(
                f"No element with ref {ref!r} on the current page. Refs come from the latest snapshot: "
                "take a new snapshot and use a ref from it."
            )
        return locator

    @staticmethod
    async def _settle(page: Page) -> None:
        """Give a click or key press the chance to start and finish a navigation."""
        from playwright.async_api import Error as PlaywrightError

        with contextlib.suppress(PlaywrightError):
            await page.wait_for_load_state("domcontentloaded", timeout=5_000)

    async def _snapshot(self, page: Page, lead: str) -> ToolResult:
        title = await page.title()
        tree = await page.aria_snapshot(mode="ai")
        header = f"{lead}\nPage: {title or '(untitled)'}\nURL: {page.url}\n".lstrip("\n")
        return ToolResult(output=cap_text(header + "\n" + tree, self._limit))

    async def _scroll(self, page: Page, args: BrowserArgs) -> ToolResult:
        if args.ref:
            await (await self._locate(page, args.ref)).scroll_into_view_if_needed()
            return await self._snapshot(page, f"Scrolled {args.ref} into view.")
        direction = (args.text or "down").strip().lower()
        if direction not in ("up", "down"):
            raise ToolError("browser scroll takes text 'up' or 'down' (or a ref to scroll into view).")
        await page.mouse.wheel(0, -600 if direction == "up" else 600)
        await asyncio.sleep(0.1)
        return await self._snapshot(page, f"Scrolled {direction}.")

    async def _wait(self, page: Page, text: str) -> ToolResult:
        try:
            seconds = float(text)
        except ValueError:
            await page.get_by_text(text).first.wait_for(state="visible")
            return await self._snapshot(page, f"{text!r} is on the page.")
        await asyncio.sleep(min(max(seconds, 0.0), _MAX_WAIT_S))
        return await self._snapshot(page, f"Waited {min(seconds, _MAX_WAIT_S):g} s.")

    async def _screenshot(self, page: Page, *, full_page: bool) -> ToolResult:
        png = await page.screenshot(type="png", full_page=full_page)
        folder = self._ws.root / _SCREENSHOT_DIR
        rel = await asyncio.to_thread(self._save, folder, png)
        return ToolResult(
            output=f"Screenshot of {page.url} saved to {rel}.",
            images=[ImageData(mime_type="image/png", data_b64=base64.b64encode(png).decode("ascii"))],
            files=[rel],
        )

    def _save(self, folder: Path, png: bytes) -> str:
        folder.mkdir(parents=True, exist_ok=True)
        taken = [int(p.stem) for p in folder.glob("*.png") if p.stem.isdigit()]
        path = folder / f"{max(taken, default=0) + 1}.png"
        path.write_bytes(png)
        return self._ws.relative(path)

    async def close(self) -> None:
        """Close the browser and stop Playwright's driver."""
        if self._screencast is not None:
            await self._screencast.close()
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = self._page = None
        if browser is not None:
            await browser.close()
        if playwright is not None:
            await playwright.stop()
