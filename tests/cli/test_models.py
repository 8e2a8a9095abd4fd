"""`warren models` against the fake vendors: configuration listed, one check per provider, no key shown."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner, Result

from orchestrator.cli.models import models
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.gemini import FakeGemini
from tests.fakes.openai import FakeOpenAI
from tests.fakes.server import FakeVendor, Status

KEYS = {
    "GEMINI_API_KEY": "gemini-cli-sentinel-key-0001",
    "OPENAI_API_KEY": "sk-openai-cli-sentinel-key-0002",
    "ANTHROPIC_API_KEY": "sk-ant-cli-sentinel-key-0003",
}
VENDOR_VARS = (
    *KEYS,
    "GOOGLE_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GEMINI_BASE_URL",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
)

app = typer.Typer()
app.command()(models)


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, FakeVendor]]:
    started: dict[str, FakeVendor] = {
        "gemini": FakeGemini(),
        "openai": FakeOpenAI(),
        "anthropic": FakeAnthropic(),
    }
    for fake in started.values():
        fake.start()
    yield started
    for fake in started.values():
        fake.stop()


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, fakes: dict[str, FakeVendor]) -> dict[str, FakeVendor]:
    """Every provider pointed at its fake with a sentinel key, as the server's environment would be."""
    for var in VENDOR_VARS:
        monkeypatch.delenv(var, raising=False)
    for var, key in KEYS.items():
        monkeypatch.setenv(var, key)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fakes["gemini"].url)
    monkeypatch.setenv("OPENAI_BASE_URL", fakes["openai"].url + "/v1")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fakes["anthropic"].url)
    for fake in fakes.values():
        fake.reset()
    return fakes


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _no_key_in(result: Result) -> None:
    text = result.stdout + result.stderr
    assert [k for k in KEYS.values() if k in text or k[:12] in text] == []


def test_lists_each_provider_with_its_url_and_whether_a_key_is_set(
    configured: dict[str, FakeVendor],
) -> None:
    result = run("--no-check")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert set(lines) == {"gemini", "openai", "anthropic", "scripted", "bare"}  # "bare names: gemini ..."
    assert f"{configured['openai'].url}/v1 (custom)" in lines["openai"]
    assert "OpenAI-compatible" in lines["openai"]
    assert "key set in ANTHROPIC_API_KEY" in lines["anthropic"]
    assert "key not needed" in lines["scripted"]
    assert all(fake.requests == [] for fake in configured.values()), "--no-check makes no call"
    _no_key_in(result)


def test_checks_every_configured_provider_by_default(configured: dict[str, FakeVendor]) -> None:
    result = run()
    assert result.exit_code == 0, result.output
    checks = [line for line in result.stdout.splitlines() if line.startswith(("ok", "FAIL"))]
    assert sorted(line.split()[1] for line in checks) == [
        "anthropic:claude-sonnet-4-5",
        "gemini:gemini-3-pro",
        "openai:gpt-5",
    ]
    assert all(line.startswith("ok") for line in checks)
    for fake in configured.values():
        assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake.requests] in (
            [("GET", "gemini-3-pro")],
            [("GET", "gpt-5")],
            [("GET", "claude-sonnet-4-5")],
        ), "one cheap model lookup per provider"
    _no_key_in(result)


def test_json_output(configured: dict[str, FakeVendor]) -> None:
    result = run("--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["ok"] is True
    assert {c["provider"]: c["ok"] for c in body["checks"]} == {
        "gemini": True,
        "openai": True,
        "anthropic": True,
    }
    openai = next(p for p in body["providers"] if p["provider"] == "openai")
    assert (openai["key_set"], openai["key_variable"], openai["custom_url"]) == (True, "OPENAI_API_KEY", True)
    _no_key_in(result)


def test_a_failed_check_exits_1_with_the_vendor_message_and_no_key(
    configured: dict[str, FakeVendor],
) -> None:
    key = KEYS["ANTHROPIC_API_KEY"]
    configured["anthropic"].lookup_error = Status(401, f"invalid x-api-key: {key}")
    result = run()
    assert result.exit_code == 1, result.output
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1 and "anthropic:claude-sonnet-4-5" in failed[0]
    assert "HTTP 401" in failed[0] and "invalid x-api-key" in failed[0]
    assert sum(line.startswith("ok") for line in result.stdout.splitlines()) == 2
    _no_key_in(result)


def test_named_models_are_the_only_ones_checked(configured: dict[str, FakeVendor]) -> None:
    result = run("openai:qwen3")
    assert result.exit_code == 0, result.output
    assert [r.path for r in configured["openai"].requests] == ["/v1/models/qwen3"]
    assert configured["gemini"].requests == configured["anthropic"].requests == []
    assert "ok   openai:qwen3" in result.stdout


def test_a_missing_model_fails_its_check(configured: dict[str, FakeVendor]) -> None:
    configured["gemini"].lookup_error = Status(404, "models/gemini-9 is not found")
    result = run("gemini:gemini-9", "scripted:echo")
    assert result.exit_code == 1, result.output
    assert "FAIL gemini:gemini-9" in result.stdout and "HTTP 404" in result.stdout
    assert "ok   scripted:echo" in result.stdout


def test_an_unreachable_url_fails_with_a_clear_line(
    configured: dict[str, FakeVendor], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    result = run("openai:gpt-5")
    assert result.exit_code == 1, result.output
    assert "FAIL openai:gpt-5" in result.stdout and "connection failed" in result.stdout
    _no_key_in(result)


def test_nothing_configured_lists_hints_and_checks_nothing(
    configured: dict[str, FakeVendor], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in VENDOR_VARS:
        monkeypatch.delenv(var, raising=False)
    result = run()
    assert result.exit_code == 0, result.output
    assert result.stdout.count("not configured") == 3
    assert "set OPENAI_API_KEY, or OPENAI_BASE_URL" in result.stderr
    assert "nothing was checked" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope:x"], "unknown model provider 'nope'"),
        (["gpt-5"], "unknown model: a bare model name must be an operator alias"),
        (["openai:gpt 5"], "must look like 'provider:model'"),
        (["--no-check", "openai:gpt-5"], "drop --no-check"),
    ],
)
def test_bad_usage_exits_2(configured: dict[str, FakeVendor], args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert all(fake.requests == [] for fake in configured.values())


def test_bare_names_and_aliases_are_listed_and_checked(
    configured: dict[str, FakeVendor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: `warren models` shows how bare names are served and checks one as the server routes it."""
    monkeypatch.setenv("WARREN_MODEL_ALIASES", "fast=openai:gpt-5-mini")
    result = run("gemini-3-flash-preview", "fast")
    assert result.exit_code == 0, result.output
    assert "bare names: gemini (gemini-*, gemma-*, learnlm-*)" in result.stdout
    assert "alias      fast -> openai:gpt-5-mini" in result.stdout
    assert "ok   gemini:gemini-3-flash-preview" in result.stdout and "ok   openai:gpt-5-mini" in result.stdout
    assert any("gemini-3-flash-preview" in r.path for r in configured["gemini"].requests)
    as_json = json.loads(run("--no-check", "--json").stdout)
    assert as_json["default_provider"] == "gemini" and as_json["aliases"] == {"fast": "openai:gpt-5-mini"}
    _no_key_in(result)


def test_a_bad_alias_setting_exits_2_naming_it(
    configured: dict[str, FakeVendor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARREN_MODEL_ALIASES", "fast=scripted:/etc/shadow")
    result = run("--no-check")
    assert result.exit_code == 2 and "WARREN_MODEL_ALIASES: alias 'fast'" in result.stderr
    monkeypatch.setenv("WARREN_DEFAULT_PROVIDER", "scripted")
    monkeypatch.delenv("WARREN_MODEL_ALIASES")
    assert "WARREN_DEFAULT_PROVIDER must be empty" in run("--no-check").stderr
