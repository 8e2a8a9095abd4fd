"""Model output is untrusted (issue 16; OWASP LLM05): HTML, scripts and `javascript:` links that a
model writes reach the console only through the sanitizer, and nothing of them runs."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import Console, Watched, sign_in

PAYLOAD = "\n\n".join(
    (
        "Here is **bold** text.",
        '<img src=x onerror="window.__pwned = 1; alert(1)">',
        "<script>window.__pwned = 2; alert(2)</script>",
        "[click me](javascript:alert(3))",
        '<a href="javascript:alert(4)" id="raw">raw link</a>',
        '<iframe src="javascript:alert(5)"></iframe>',
        '<svg><script>alert(6)</script></svg><form action="javascript:alert(7)"><button>go</button></form>',
        '<div style="position:fixed;inset:0" onmouseover="alert(8)">cover</div>',
    )
)


def test_hostile_markdown_from_a_model_does_nothing(console: Console, watched: Watched) -> None:
    with console.http(console.key_a) as client:
        created = client.post("/v1beta/interactions", json={"model": "scripted:echo", "input": PAYLOAD})
        assert created.status_code == 200, created.text
    page = watched.page
    sign_in(page, console, console.key_a)
    page.goto(f"{console.url}/console#/interactions/{created.json()['id']}")
    output = page.locator("li.step-model_output .markdown")
    expect(output).to_contain_text("Here is bold text.")
    expect(output.locator("strong")).to_have_text("bold")  # Markdown still renders

    found = output.evaluate(
        """root => { const FORBIDDEN = ["SCRIPT", "IFRAME", "SVG", "FORM", "OBJECT", "EMBED", "STYLE"];
        return [...root.querySelectorAll("*")].flatMap(el => [
            ...(FORBIDDEN.includes(el.tagName.toUpperCase()) ? [el.tagName] : []),
            ...[...el.attributes]
                .filter(a => a.name.startsWith("on") || a.name === "style" || /javascript:/i.test(a.value))
                .map(a => `${el.tagName} ${a.name}=${a.value}`),
        ]); }"""
    )
    assert found == [], found
    expect(output).to_contain_text('<img src=x onerror="window.__pwned = 1; alert(1)">')  # shown as text
    for link in output.locator("a").all():
        link.click(modifiers=["ControlOrMeta"]) if link.get_attribute("href") else link.click()
    output.hover()
    page.wait_for_timeout(500)  # a handler that slipped through would have fired by now
    assert page.evaluate("window.__pwned") is None
    assert watched.dialogs == []
    assert watched.errors == [], "\n".join(watched.errors)  # no CSP report either: nothing was even tried
