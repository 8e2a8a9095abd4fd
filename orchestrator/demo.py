"""`make demo`: a real task in a real hardened sandbox, printed step by step.

Until the agent loop lands this is the sandbox smoke run: it provisions a sandbox, seeds a CSV,
computes with Python inside it, renders a report page in the sandbox's Chromium, copies the
screenshot out to `demo-output/`, and destroys the sandbox.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from rich.console import Console

from orchestrator.sandbox import DockerBackend, ExecRequest, SandboxSpec
from orchestrator.sandbox.image import build_image
from orchestrator.sandbox.tarsafe import pack_files, safe_extract

console = Console(stderr=True)
OUTPUT = Path("demo-output")

SALES = b"month,units\nJan,120\nFeb,135\nMar,160\nApr,150\nMay,190\n"
ANALYSE = """
import csv, html
rows = list(csv.DictReader(open("sales.csv")))
total = sum(int(r["units"]) for r in rows)
best = max(rows, key=lambda r: int(r["units"]))
bar = "<div style='width:{}px;background:#4a7;margin:2px'>{}</div>"
bars = "".join(bar.format(int(r["units"]) * 2, html.escape(r["month"])) for r in rows)
page = f"<title>Sales report</title><h1>{total} units</h1><p>best: {best['month']}</p>{bars}"
open("report.html", "w").write(page)
print(f"total={total} best={best['month']}")
"""
SHOOT = """
import os
from playwright.sync_api import sync_playwright
flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]
with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=os.environ["WARREN_CHROMIUM"], args=flags)
    page = browser.new_page(viewport={"width": 640, "height": 360})
    page.goto("file:///workspace/report.html")
    page.screenshot(path="report.png")
    print("title:", page.title())
    browser.close()
"""


async def run_demo() -> None:
    """Run the smoke task and print each step as it happens."""
    started = time.monotonic()
    with console.status("sandbox image"):
        image = await asyncio.to_thread(build_image)
    console.print(f"[bold]image[/] {image.sandbox}")
    async with DockerBackend(image=image.sandbox) as backend:
        info = await backend.create(SandboxSpec(environment_id="demo", tenant="local"))
        try:
            await backend.start(info.id)
            console.print(f"[bold]sandbox[/] {info.id[:12]} started (uid 1000, no capabilities, no network)")
            files = {"sales.csv": SALES, "analyse.py": ANALYSE.encode(), "shoot.py": SHOOT.encode()}
            await backend.put_archive(info.id, "/workspace", pack_files(files))
            console.print("[bold]files[/] seeded sales.csv")
            for label, cmd in [("python", ("python", "analyse.py")), ("browser", ("python", "shoot.py"))]:
                result = await backend.exec(ExecRequest(sandbox_id=info.id, cmd=cmd, timeout_s=60))
                if result.exit_code != 0:
                    raise SystemExit(f"{label} step failed: {result.stderr.decode()}")
                console.print(f"[bold]{label}[/] {result.stdout.decode().strip()}")
            safe_extract(await backend.get_archive(info.id, "/workspace/report.png"), OUTPUT)
            console.print(f"[bold]artifact[/] {OUTPUT / 'report.png'}")
        finally:
            await backend.destroy(info.id)
    console.print(f"[green]done[/] in {time.monotonic() - started:.1f}s; sandbox destroyed")


if __name__ == "__main__":
    asyncio.run(run_demo())
