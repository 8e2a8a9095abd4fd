"""The model form's `url_context` and `google_search` through the google-genai SDK (issue 15).

A real `warren serve` (SQLite and PostgreSQL, no sandboxes) whose operator allows `page.test` (a fake
page on loopback) and `private.test` (a name resolving to 10.0.0.5) for the model, and names a fake
SearXNG endpoint on loopback. The scripted model fetches three URLs in one call: the page is read,
`private.test` is refused by the policy's decision before any connection (`unsafe`, the reason in
what the model reads), and a redirect to `private.test` is refused at its second hop. Then it
searches. Steps are recorded as `url_context_call/_result` and `google_search_call/_result`.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from google import genai
from google.genai import _interactions_errors as errors

from tests.conformance.conftest import SCRIPTS, script
from tests.support.serve import warren_serve

pytestmark = pytest.mark.conformance

PAGE = (
    b"<html><head><title>Rabbits</title><script>var x = 'hidden';</script></head>"
    b"<body><h1>Warren</h1><p>Rabbits live in burrows.</p></body></html>"
)


class _Fake(BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        parts = urlsplit(self.path)
        if parts.path == "/search":
            query = parse_qs(parts.query)
            assert query["format"] == ["json"]
            hits = [
                {"title": "About " + query["q"][0], "url": "https://rabbits.example/", "content": "Burrows."}
            ]
            self._answer(200, "application/json", json.dumps({"results": hits}).encode())
        elif parts.path == "/page/hop":
            self.send_response(302)
            self.send_header("location", "http://private.test/after-redirect")
            self.send_header("content-length", "0")
            self.end_headers()
        else:
            self._answer(200, "text/html; charset=utf-8", PAGE)

    def _answer(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake_web() -> Iterator[int]:
    """One loopback server for the page and the search backend; yields its port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def web_client(request: pytest.FixtureRequest, fake_web: int) -> Iterator[genai.Client]:
    data = Path(tempfile.mkdtemp(prefix="warren-web-"))
    env = {**os.environ, "WARREN_DATA_DIR": str(data), "WARREN_SCRIPTS_DIR": str(SCRIPTS)}
    env["WARREN_SANDBOXES"] = "false"
    env["WARREN_EGRESS_ALLOW_ADDRESSES"] = f"127.0.0.1:{fake_web}"
    env["WARREN_EGRESS_HOSTS"] = "page.test=127.0.0.1,private.test=10.0.0.5"
    env["WARREN_MODEL_URL_ALLOWLIST"] = f"page.test:{fake_web},private.test"
    env["WARREN_SEARCH_URL"] = f"http://127.0.0.1:{fake_web}/search"
    if request.param == "postgresql":
        env["WARREN_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    with warren_serve(env, data, ["tenant-a"], start_timeout_s=60) as running:
        warnings.filterwarnings("ignore", message=".*experimental.*")
        yield genai.Client(
            api_key=running.keys["tenant-a"],
            http_options={"base_url": running.url, "api_version": "v1beta", "retry_options": {"attempts": 1}},
        )


def test_model_reads_allowed_pages_and_searches(web_client: genai.Client, fake_web: int) -> None:
    page = f"http://page.test:{fake_web}/page"
    _Fake.paths.clear()
    done = web_client.interactions.create(
        model=script("model_web"), input=page, tools=[{"type": "url_context"}, {"type": "google_search"}]
    )
    assert done.status == "completed", done
    kinds = [step.type for step in done.steps]
    assert kinds == [
        "user_input",
        "url_context_call",
        "url_context_result",
        "google_search_call",
        "google_search_result",
        "model_output",
    ], kinds
    call, fetched = done.steps[1], done.steps[2]
    assert call.arguments.urls == [page, "http://private.test/secret", f"{page}/hop"]
    assert fetched.call_id == call.id and not fetched.is_error
    assert [(r.url, r.status) for r in fetched.result] == [
        (page, "success"),
        ("http://private.test/secret", "unsafe"),
        (f"{page}/hop", "unsafe"),
    ]
    text = done.output_text
    assert "Rabbits live in burrows." in text and "hidden" not in text  # the page's text, no script
    assert "forbidden-address" in text and "10.0.0.5" in text  # the policy's reason, for the model
    assert sorted(_Fake.paths)[:2] == ["/page", "/page/hop"]  # private.test was never connected to
    searched = done.steps[4]
    assert done.steps[3].arguments.queries == ["warren rabbits"]
    assert "https://rabbits.example/" in searched.result[0].search_suggestions
    assert "About warren rabbits" in text
    stored = web_client.interactions.get(done.id)
    assert [step.type for step in stored.steps] == kinds


def test_an_unlisted_host_is_refused_by_the_allowlist(web_client: genai.Client) -> None:
    done = web_client.interactions.create(
        model=script("model_web"), input="http://elsewhere.test/page", tools=[{"type": "url_context"}]
    )
    # google_search is not offered: the model's search call goes back to the client as its own
    assert done.status == "requires_action"
    assert [r.status for r in done.steps[2].result] == ["unsafe", "unsafe", "unsafe"]
    assert done.steps[2].is_error


def test_only_web_search_is_offered(web_client: genai.Client) -> None:
    with pytest.raises(errors.BadRequestError) as refused:
        web_client.interactions.create(
            model=script("model_web"),
            input="x",
            tools=[{"type": "google_search", "search_types": ["image_search"]}],
        )
    assert "tools[0].search_types" in str(refused.value)
