"""One interaction, live (issue 16, items 2-4): a run started from the New-run form shows its steps
as they happen and completes; the list shows it; a stream cut mid-way resumes without a gap or a
repeat; the continue box starts a follow-up turn."""

from __future__ import annotations

import json
import time
from pathlib import Path

from playwright.sync_api import Page, Route, expect

from .conftest import Console, Watched, sign_in

SALES = "region,month,units\nnorth,jan,120\nsouth,jan,80\nnorth,feb,150\nsouth,feb,95\n"


def _indexes(page: Page) -> list[int]:
    return [int(i) for i in page.locator("li.step").evaluate_all("steps => steps.map(s => s.dataset.index)")]


def _wait_completed(client_key: str, console: Console, interaction_id: str) -> dict[str, object]:
    with console.http(client_key) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            body = client.get(f"/v1beta/interactions/{interaction_id}").json()
            if body["status"] not in ("queued", "in_progress"):
                return dict(body)
            time.sleep(0.5)
    raise AssertionError(f"{interaction_id} still running after 120 s")


def test_a_demo_run_from_the_new_run_form_streams_its_steps_and_completes(
    console: Console, watched: Watched, tmp_path: Path
) -> None:
    page = watched.page
    sign_in(page, console, console.key_a)
    page.get_by_role("link", name="New run").click()
    page.get_by_label("Agent", exact=True).select_option("default")
    page.locator("#model").fill("scripted:demo")
    page.get_by_label("Task").fill("Analyse sales.csv: units per region and the best month.")
    csv = tmp_path / "sales.csv"
    csv.write_text(SALES)
    page.get_by_label("Files for the workspace").set_input_files(str(csv))
    page.get_by_role("button", name="Start").click()

    page.locator("li.step").first.wait_for()
    status_at_first_step = page.get_by_test_id("status").text_content()
    assert status_at_first_step == "in_progress", "the first step showed only once the run had ended"
    expect(page.get_by_test_id("status")).to_have_text("completed", timeout=120_000)
    interaction_id = page.url.rsplit("/", 1)[-1]

    stored = _wait_completed(console.key_a, console, interaction_id)
    steps = stored["steps"]
    assert isinstance(steps, list)
    assert _indexes(page) == list(range(1, len(steps)))  # every step after the input, in order, once
    shown = page.locator("li.step").evaluate_all("steps => steps.map(s => s.dataset.stepType)")
    assert shown == [step["type"] for step in steps[1:]]
    expect(page.locator("li.step-code_execution_call pre.code").first).to_contain_text("summarize_csv.py")
    expect(page.locator("li.step-code_execution_result").first).to_contain_text("rows: 4")
    python = page.locator("li.step-code_execution_call pre.code[data-language=python]").first
    expect(python.locator(".tok-keyword", has_text="import").first).to_be_visible()  # highlighted
    expect(python.locator(".tok-string").first).to_be_visible()
    expect(page.locator("img.shot")).to_be_visible()  # the browser's screenshot, inline
    expect(page.get_by_test_id("tokens")).to_contain_text(f"{stored['usage']['total_tokens']:,}")  # type: ignore[index]

    page.get_by_role("link", name=str(stored["environment_id"])).click()  # what the run made
    page.get_by_role("button", name="report.html", exact=True).click()
    report = page.frame_locator("[data-testid=preview] iframe")
    expect(report.locator("h1")).to_have_text("Sales report")

    page.get_by_role("link", name="Interactions").click()
    row = page.locator("table.list tbody tr", has_text=interaction_id)
    expect(row).to_contain_text("completed")
    expect(row).to_contain_text("default")
    assert watched.dialogs == [] and watched.errors == []


def test_a_cut_stream_resumes_after_the_last_event_without_gap_or_repeat(
    console: Console, watched: Watched
) -> None:
    with console.http(console.key_a) as client:
        created = client.post(
            "/v1beta/interactions",
            json={"model": "scripted:echo", "input": "first line\n\nsecond paragraph", "background": True},
        ).json()
    stored = _wait_completed(console.key_a, console, created["id"])
    streams: list[str] = []

    def cut_first_stream(route: Route) -> None:
        streams.append(route.request.url)
        if len(streams) > 1:
            route.continue_()
            return
        whole = route.fetch().text()
        frames = [frame for frame in whole.split("\n\n") if frame.startswith("event:")]
        kept = frames[: len(frames) // 2]  # the connection "drops" half-way, before [DONE]
        route.fulfill(
            status=200, headers={"content-type": "text/event-stream"}, body="\n\n".join(kept) + "\n\n"
        )

    page = watched.page
    page.route("**/v1beta/interactions/*?stream=true*", cut_first_stream)
    sign_in(page, console, console.key_a)
    page.goto(f"{console.url}/console#/interactions/{created['id']}")
    expect(page.get_by_test_id("status")).to_have_text("completed")
    assert len(streams) == 2 and "last_event_id=" in streams[1], streams
    steps = stored["steps"]
    assert isinstance(steps, list)
    assert _indexes(page) == list(range(1, len(steps)))
    expect(page.locator("li.step-model_output")).to_have_count(1)
    expect(page.locator("li.step-model_output .markdown p")).to_have_count(2)


def test_continue_starts_a_turn_that_names_the_previous_one(console: Console, watched: Watched) -> None:
    with console.http(console.key_a) as client:
        first = client.post("/v1beta/interactions", json={"model": "scripted:echo", "input": "one"}).json()
    page = watched.page
    sign_in(page, console, console.key_a)
    page.goto(f"{console.url}/console#/interactions/{first['id']}")
    page.get_by_label("Continue the conversation").fill("two")
    page.get_by_role("button", name="Send").click()
    expect(page).not_to_have_url(f"{console.url}/console#/interactions/{first['id']}")
    expect(page.get_by_test_id("status")).to_have_text("completed")
    second_id = page.url.rsplit("/", 1)[-1]
    with console.http(console.key_a) as client:
        second = client.get(f"/v1beta/interactions/{second_id}").json()
    assert second["previous_interaction_id"] == first["id"]
    expect(page.locator("li.step-model_output")).to_contain_text("two")
    assert json.dumps(second).count("scripted:echo") >= 1


def test_a_stream_cut_mid_run_resumes_without_gap_or_repeat(console: Console, watched: Watched) -> None:
    """The first stream is cut after a few events while the run is still going; the console must
    reconnect with `last_event_id` and end with every step exactly once."""
    with console.http(console.key_a) as client:
        created = client.post(
            "/v1beta/interactions",
            json={
                "agent": "default",
                "agent_config": {"type": "antigravity", "model": "scripted:demo"},
                "input": "Analyse sales.csv",
                "background": True,
                "environment": {
                    "type": "remote",
                    "network": "disabled",
                    "sources": [{"type": "inline", "target": "sales.csv", "content": SALES}],
                },
            },
        ).json()
    streams: list[str] = []
    status_at_cut: list[str] = []

    def cut_first_stream(route: Route) -> None:
        streams.append(route.request.url)
        if len(streams) > 1:
            route.continue_()
            return
        frames: list[str] = []
        with console.http(console.key_a) as client:
            with client.stream("GET", f"/v1beta/interactions/{created['id']}?stream=true") as answer:
                buffer = ""
                for chunk in answer.iter_text():
                    buffer += chunk
                    *done, buffer = buffer.split("\n\n")
                    frames += [frame for frame in done if frame.startswith("event:")]
                    if sum("event: step.stop" in frame for frame in frames) >= 3:
                        break
            status_at_cut.append(client.get(f"/v1beta/interactions/{created['id']}").json()["status"])
        route.fulfill(
            status=200, headers={"content-type": "text/event-stream"}, body="\n\n".join(frames) + "\n\n"
        )

    page = watched.page
    page.route("**/v1beta/interactions/*?stream=true*", cut_first_stream)
    sign_in(page, console, console.key_a)
    page.goto(f"{console.url}/console#/interactions/{created['id']}")
    expect(page.get_by_test_id("status")).to_have_text("completed", timeout=120_000)
    assert status_at_cut == ["in_progress"], "the cut came after the run had ended"
    assert len(streams) == 2 and "last_event_id=" in streams[1], streams
    stored = _wait_completed(console.key_a, console, created["id"])
    steps = stored["steps"]
    assert isinstance(steps, list)
    assert _indexes(page) == list(range(1, len(steps)))
    shown = page.locator("li.step").evaluate_all("steps => steps.map(s => s.dataset.stepType)")
    assert shown == [step["type"] for step in steps[1:]]
    expect(page.locator("li.step.running")).to_have_count(0)  # every step closed, none left half-built
    texts = [
        "".join(part.get("text", "") for part in step.get("content", []))
        for step in steps[1:]
        if step["type"] == "model_output"
    ]
    shown_texts = page.locator("li.step-model_output .markdown").all_inner_texts()
    assert [t.strip() for t in shown_texts] == [t.strip() for t in texts]  # no delta lost or doubled
