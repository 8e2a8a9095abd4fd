"""The routes the console (issue 16) reads besides Google's: the interaction list and `whoami`, and
the console's own files with their security headers. In-process app, real SQLite store, scripted model."""

from __future__ import annotations

import asyncio

import httpx

from orchestrator.api.routes.console import ASSETS
from orchestrator.store.interactions import InteractionUpdate

from .conftest import App


async def _run(client: httpx.AsyncClient, text: str, model: str = "scripted:echo") -> str:
    created = await client.post("/v1beta/interactions", json={"model": model, "input": text})
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


async def _ids(client: httpx.AsyncClient, query: str = "") -> list[str]:
    answer = await client.get(f"/v1beta/interactions?{query}")
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json().get("interactions", [])]


async def test_list_pages_oldest_or_newest_first_without_gaps_or_repeats(api: App) -> None:
    made = [await _run(api.a, f"turn {n}") for n in range(5)]
    assert await _ids(api.a) == made
    assert await _ids(api.a, "order=newest") == made[::-1]
    seen: list[str] = []
    token = ""
    for _ in range(5):
        page = (await api.a.get(f"/v1beta/interactions?order=newest&page_size=2{token}")).json()
        seen += [item["id"] for item in page["interactions"]]
        if "next_page_token" not in page:
            break
        token = f"&page_token={page['next_page_token']}"
    assert seen == made[::-1]
    listed = (await api.a.get("/v1beta/interactions?page_size=1")).json()["interactions"][0]
    assert listed["status"] == "completed" and listed["model"] == "scripted:echo"
    assert "steps" not in listed and listed["usage"]["total_tokens"] > 0


async def test_list_filters_by_status_and_agent(api: App) -> None:
    done = await _run(api.a, "hello")
    cancelled = await _run(api.a, "bye")
    await api.services.store.interactions.update("tenant-a", cancelled, InteractionUpdate(status="cancelled"))
    assert await _ids(api.a, "status=completed") == [done]
    assert await _ids(api.a, "status=cancelled") == [cancelled]
    assert await _ids(api.a, "agent=default") == []
    refused = await api.a.get("/v1beta/interactions?status=nonsense")
    assert refused.status_code == 400


async def test_list_and_whoami_are_the_callers_tenant_only(api: App) -> None:
    mine = await _run(api.a, "tenant a's secret")
    assert await _ids(api.b) == []
    assert mine in await _ids(api.a)
    assert (await api.a.get("/v1beta/whoami")).json()["tenant"] == "tenant-a"
    who = (await api.b.get("/v1beta/whoami")).json()
    assert who["tenant"] == "tenant-b" and who["api_key_id"].startswith("key_")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(api.app), base_url="http://t") as anonymous:
        assert (await anonymous.get("/v1beta/whoami")).status_code == 401
        assert (await anonymous.get("/v1beta/interactions")).status_code == 401


async def test_a_forged_page_token_is_a_400_naming_it(api: App) -> None:
    answer = await api.a.get("/v1beta/interactions?page_token=bm90LWEtdG9rZW4")
    assert answer.status_code == 400 and "page_token" in answer.text


async def test_console_page_and_assets_carry_a_strict_policy(api: App) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(api.app), base_url="http://t") as browser:
        root = await browser.get("/")
        assert root.status_code == 307 and root.headers["location"] == "/console"
        page = await browser.get("/console")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-eval" not in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "<script>" not in page.text  # only external module scripts: nothing inline
        scripts = sorted((ASSETS / "assets").glob("*.js"))
        assert scripts, "the console is not built (make console)"
        asset = await browser.get(f"/console/assets/{scripts[0].name}")
        assert asset.status_code == 200 and asset.content == scripts[0].read_bytes()
        assert asset.headers["content-type"].startswith("text/javascript")
        assert "content-security-policy" in asset.headers
        for bad in ("..%2f..%2fconfig.py", "%2e%2e", "x.py", ".hidden.js", "a%00.js"):
            assert (await browser.get(f"/console/assets/{bad}")).status_code == 404, bad


async def test_console_calls_need_no_cookie_and_set_none(api: App) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(api.app), base_url="http://t") as browser:
        answers = await asyncio.gather(browser.get("/console"), api.a.get("/v1beta/whoami"))
    assert all("set-cookie" not in answer.headers for answer in answers)
