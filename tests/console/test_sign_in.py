"""Sign in, the tenant shown, where the key is kept, sign out (issue 16, item 1)."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import Console, Watched, sign_in


def test_sign_in_shows_the_tenant_and_keeps_the_key_in_session_storage_only(
    console: Console, watched: Watched
) -> None:
    page = watched.page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    sign_in(page, console, console.key_a)
    expect(page.get_by_test_id("tenant")).to_contain_text("console-a")
    assert page.evaluate("sessionStorage.getItem('warren.apiKey')") == console.key_a
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []
    assert not any(console.key_a in url for url in [*requests, page.url])

    page.reload()  # the same tab stays signed in
    expect(page.get_by_test_id("tenant")).to_contain_text("console-a")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    assert watched.errors == [] and watched.dialogs == []


def test_a_wrong_key_is_refused_and_forgotten(console: Console, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{console.url}/console")
    page.get_by_label("API key").fill("wk_00000000_not-a-real-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("invalid or revoked API key")
    assert page.evaluate("sessionStorage.length") == 0


def test_the_page_carries_its_security_headers(console: Console, watched: Watched) -> None:
    answer = watched.page.goto(f"{console.url}/")
    assert answer is not None and answer.url.endswith("/console")
    headers = answer.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
