"""Red-team regressions (issue 13, and part of 11): model names, script files, error text, API docs.

Before the fix `scripted:<absolute path>` read any host file as the orchestrator's user: in the
agent form the lines of `/etc/shadow`, or a JSON file's secret value in full (pydantic's
`input_value`), came back in the interaction's error; a FIFO as the name froze the event loop for
every tenant and `/dev/zero` read until out of memory. A model name is now `provider:model` in at
most 128 characters, a scripted model a bare script name found only in the operator's
`WARREN_SCRIPTS_DIR` or the bundled scripts, checked when the interaction or agent is created.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import Settings
from orchestrator.gateway.registry import ProviderRegistry
from orchestrator.store.environment_spec import EnvironmentSpec
from tests.unit.api_app.conftest import App, start_app

pytestmark = [pytest.mark.security, pytest.mark.timeout(60)]

V = "/v1beta"
SECRET = "sk-live-redteam-0123456789abcdef"
"""A secret-looking value the host files below hold; no response may ever contain it."""
QUICK_S = 5.0
"""A refusal is a pattern check: well under this, even on a loaded machine."""


@pytest.fixture
def host_files(tmp_path: Path) -> dict[str, str]:
    """Host paths a tenant might name: a secret JSON and YAML, a FIFO with no writer, a device."""
    folder = tmp_path / "host"
    folder.mkdir()
    (folder / "secret.json").write_text(f'{{"turns": [], "api_key": "{SECRET}"}}')
    (folder / "shadow").write_text(f"root:{SECRET}:19000:0:99999:7:::\n")
    os.mkfifo(folder / "fifo")
    return {
        "absolute json": str(folder / "secret.json"),
        "absolute shadow": str(folder / "shadow"),
        "dot-dot": "../../../../../../" + str(folder / "shadow").lstrip("/"),
        "dot-dot inside": "demo/../../../../" + str(folder / "secret.json").lstrip("/"),
        "fifo": str(folder / "fifo"),
        "dev zero": "/dev/zero",
        "huge": "x" * 100_000,
    }


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[App]:
    """The app without sandboxes, with an operator scripts folder holding one script that quotes a secret."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "leaky.json").write_text(f'{{"turns": [{{"text": "x"}}], "api_key": "{SECRET}"}}')
    settings = Settings(data_dir=tmp_path / "data", sandboxes=False, scripts_dir=scripts)
    async for started in start_app(settings):
        yield started


def _assert_refused(response: Any, field: str, elapsed_s: float, status: int = 400) -> None:
    """400 (404 for a well-formed name of a provider Warren lacks) naming `field`, fast, and no trace
    of the file, its path or pydantic's input echo."""
    assert response.status_code == status, response.text[:500]
    error = response.json()["error"]
    violations = error["details"][0]["fieldViolations"]
    assert [v["field"] for v in violations] == [field], error
    assert error["message"].startswith(f"{field}: ")
    assert elapsed_s < QUICK_S, f"refusal took {elapsed_s:.1f} s"
    for leak in (SECRET, "root:", "/host/", "input_value", "x" * 200):
        assert leak not in response.text


async def _post(api: App, path: str, body: dict[str, Any]) -> tuple[Any, float]:
    started = time.monotonic()
    response = await api.a.post(f"{V}/{path}", json=body)
    return response, time.monotonic() - started


@pytest.mark.parametrize(
    "case", ["absolute json", "absolute shadow", "dot-dot", "dot-dot inside", "fifo", "dev zero", "huge"]
)
async def test_hostile_scripted_names_are_refused_in_every_form(
    api: App, host_files: dict[str, str], case: str
) -> None:
    """Model form, agent form and agent create: a 400 naming the field, quickly, nothing read."""
    model = f"scripted:{host_files[case]}"
    before = await api.settled_counts()
    response, took = await _post(api, "interactions", {"model": model, "input": "hi"})
    _assert_refused(response, "model", took)
    body = {"agent": "default", "agent_config": {"type": "antigravity", "model": model}, "input": "hi"}
    response, took = await _post(api, "interactions", body)
    _assert_refused(response, "agent_config.model", took)
    body = {"id": "hostile", "agent_config": {"type": "antigravity", "model": model}}
    response, took = await _post(api, "agents", body)
    _assert_refused(response, "agent_config.model", took)
    assert await api.settled_counts() == before, "a refused create wrote nothing"


@pytest.mark.parametrize(
    "model",
    ["gemini:../../v1beta/files", "openai:gpt-5?x=1", "gemini:" + "g" * 130, "mistral:large", "scripted:a.b"],
)
async def test_vendor_names_outside_the_grammar_are_refused(api: App, model: str) -> None:
    """A vendor name ends up in a URL path: no `..` segment, no query, bounded, known providers only,
    checked when an agent is defined too (it was stored, to fail at its first run)."""
    status = 404 if model == "mistral:large" else 400  # well-formed, unknown: `model_not_found`
    response, took = await _post(api, "interactions", {"model": model, "input": "hi"})
    _assert_refused(response, "model", took, status)
    body = {"id": "vendor", "agent_config": {"type": "antigravity", "model": model}}
    response, took = await _post(api, "agents", body)
    _assert_refused(response, "agent_config.model", took, status)


async def test_a_script_error_never_quotes_the_script(api: App) -> None:
    """An operator's malformed script fails the interaction with where it is wrong, not what it holds."""
    response, _ = await _post(api, "interactions", {"model": "scripted:leaky", "input": "hi"})
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["status"] == "failed"
    assert "script 'leaky' is malformed: api_key: Extra inputs are not permitted" in response.text
    assert SECRET not in response.text and "input_value" not in response.text
    assert str(api.services.settings.scripts_dir) not in response.text


async def test_validation_errors_never_echo_the_value(api: App) -> None:
    """A bad value (a pasted key in the wrong field, a huge string) is named by its field, not repeated."""
    bodies = [
        {"model": "scripted:echo", "input": "hi", "tools": [{"type": SECRET}]},
        {"agent": "default", "input": [{"type": SECRET, "text": "x"}]},
        {"model": "scripted:echo", "input": "hi", "generation_config": {"temperature": SECRET}},
        {"model": SECRET, "input": "hi"},
    ]
    for body in bodies:
        response, _ = await _post(api, "interactions", body)
        assert response.status_code == 400, response.text[:500]
        assert SECRET not in response.text and "input_value" not in response.text


async def test_operator_scripts_play_by_name(api: App, tmp_path: Path) -> None:
    """The operator's folder is how tests and demos add scripts: by name, never by path."""
    assert api.services.settings.scripts_dir is not None
    (api.services.settings.scripts_dir / "hello.yaml").write_text("turns: [{text: 'hello from a script'}]")
    response, _ = await _post(api, "interactions", {"model": "scripted:hello", "input": "hi"})
    assert response.status_code == 200, response.text[:500]
    assert response.json()["status"] == "completed"
    assert "hello from a script" in response.text


async def test_the_provider_cache_stays_bounded(api: App) -> None:
    """Part of issue 11: every distinct model name was kept; 2,000 names of 100 KB held 400 MB."""
    registry = ProviderRegistry()
    for i in range(2_000):
        registry.resolve(f"scripted:s{i}")
    assert registry.cached <= 64
    assert registry.resolve("scripted:s1999") is registry.resolve("scripted:s1999"), "recent names are reused"
    gateway = api.services.interactions.gateway
    for i in range(50):  # through the API, 100 KB names never reach the registry
        response = await api.a.post(f"{V}/interactions", json={"model": f"openai:{i}{'m' * 100_000}"})
        assert response.status_code == 400
    assert gateway.cached == 0


async def test_base_environment_of_another_tenant_is_refused(api: App) -> None:
    """An agent may not name tenant B's environment; the answer is the one for a missing environment."""
    await api.services.store.environments.create("tenant-b", "env_of_b", EnvironmentSpec())
    for base, field in (
        ("env_of_b", "base_environment"),
        ("environments/env_of_b", "base_environment"),
        ({"type": "remote", "environment_id": "env_of_b"}, "base_environment.environment_id"),
        ("env_nowhere", "base_environment"),
    ):
        response = await api.a.post(f"{V}/agents", json={"id": "borrower", "base_environment": base})
        assert response.status_code == 404, response.text
        assert response.json()["error"]["details"][0]["fieldViolations"][0]["field"] == field
    await api.services.store.environments.create("tenant-a", "env_of_a", EnvironmentSpec())
    response = await api.a.post(f"{V}/agents", json={"id": "owner", "base_environment": "env_of_a"})
    assert response.status_code == 200, response.text


async def test_api_docs_are_off_by_default(api: App) -> None:
    """Issue 13 (low): `/docs` and `/openapi.json` answered anyone; now only with `WARREN_PUBLIC_DOCS`."""
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert (await api.a.get(path)).status_code == 404


async def test_api_docs_served_when_the_operator_asks(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", sandboxes=False, public_docs=True)
    async for api in start_app(settings):
        assert (await api.a.get("/openapi.json")).json()["info"]["title"] == "Warren"
        assert (await api.a.get("/docs")).status_code == 200


@pytest.mark.integration
async def test_agent_form_does_not_read_host_files(sandbox_api: App, host_files: dict[str, str]) -> None:
    """The reproduction of issue 13: with sandboxes, the agent form returned `/etc/shadow`'s lines
    (here a stand-in file) in the interaction's error. Now it is refused before anything runs."""
    for case in ("absolute shadow", "absolute json"):
        body = {
            "agent": "default",
            "agent_config": {"type": "antigravity", "model": f"scripted:{host_files[case]}"},
            "input": "hi",
        }
        response, took = await _post(sandbox_api, "interactions", body)
        _assert_refused(response, "agent_config.model", took)
