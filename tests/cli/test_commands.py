"""Every command: `--help` with an example, one-line usage errors, and the resource commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from orchestrator.cli.agent_file import load_agent_file
from orchestrator.cli.common import UsageProblem
from orchestrator.cli.main import app
from tests.cli.conftest import Server, base_env, warren


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for info in group.registered_commands:
        found.append((*prefix, info.name or (info.callback.__name__ if info.callback else "")))
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        found += _commands(sub.typer_instance, (*prefix, str(sub.name)))
    return found


@pytest.mark.parametrize("command", _commands(app)[1:], ids=" ".join)
def test_every_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Example: warren" in result.output or len(command) == 1


@pytest.mark.parametrize(
    "args",
    [["agents", "list", "--bogus"], ["files", "ls"], ["logs"], ["envs", "nope"], ["run", "--agent"]],
)
def test_wrong_usage_is_one_line_and_exit_2(args: list[str], sandbox_free_env: dict[str, str]) -> None:
    done = warren(*args, env=sandbox_free_env)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("error: ")


@pytest.mark.parametrize("args", [["agents", "list"], ["envs", "get", "env_x"], ["logs", "int_x"]])
def test_missing_config_is_one_line_and_exit_2(args: list[str], sandbox_free_env: dict[str, str]) -> None:
    done = warren(*args, env=sandbox_free_env)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: no server: pass --url, set WARREN_URL, or put `url:` in "
        f"{sandbox_free_env['XDG_CONFIG_HOME']}/warren/config.yaml"
    )


def test_config_file_is_read(sandbox_free_env: dict[str, str]) -> None:
    config = Path(sandbox_free_env["XDG_CONFIG_HOME"]) / "warren" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("url: http://127.0.0.1:9\n")
    done = warren("agents", "list", env=sandbox_free_env)
    assert done.returncode == 2 and "no API key" in done.stderr
    config.write_text("url: http://127.0.0.1:9\napi_key: k\n")
    done = warren("agents", "list", env=sandbox_free_env)
    assert done.returncode == 1 and "cannot reach http://127.0.0.1:9" in done.stderr


@pytest.fixture
def sandbox_free_env() -> dict[str, str]:
    return base_env("unused")


def test_agent_file_errors_name_the_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text("id: good\nmodel: scripted:demo\nbase_environment:\n  network: disabled\n  colour: red\n")
    with pytest.raises(UsageProblem) as caught:
        load_agent_file(path)
    assert str(caught.value) == f"{path}:5: base_environment.colour: Extra inputs are not permitted"
    path.write_text("id: good\nmax_total_tokens: lots\n")
    with pytest.raises(
        UsageProblem, match=r"agent.yaml:2: max_total_tokens: Input should be a valid integer"
    ):
        load_agent_file(path)


def test_agent_file_inlines_local_sources(tmp_path: Path) -> None:
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "a.txt").write_text("A")
    path = tmp_path / "agent.yaml"
    path.write_text(
        "id: fixer\nmodel: scripted:demo\ntools: [code_execution]\n"
        "base_environment:\n  sources:\n    - {path: fixtures, target: fx}\n"
    )
    body = load_agent_file(path)
    assert body["agent_config"] == {"type": "antigravity", "model": "scripted:demo"}
    assert body["tools"] == [{"type": "code_execution"}]
    assert body["base_environment"]["sources"] == [
        {"type": "inline", "target": "fx/a.txt", "content": "QQ==", "encoding": "base64"}
    ]


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_agents_envs_and_files_round_trip(server: Server, tmp_path: Path) -> None:
    env = server.env()
    agent_file = tmp_path / "agent.yaml"
    agent_file.write_text("id: cli-agent\ndescription: from the CLI\nmodel: scripted:demo\n")
    assert warren("agents", "create", "-f", str(agent_file), env=env).stdout.strip() == "cli-agent"
    assert json.loads(warren("agents", "get", "cli-agent", env=env).stdout)["description"] == "from the CLI"
    listed = json.loads(warren("agents", "list", "--json", env=env).stdout)
    assert [a["id"] for a in listed] == ["default", "research", "cli-agent"], "built-ins, then the tenant's"
    assert "cli-agent" not in warren("agents", "list", env=server.env(server.other_key)).stdout
    assert warren("agents", "delete", "cli-agent", env=env).returncode == 0
    gone = warren("agents", "get", "cli-agent", env=env)
    assert gone.returncode == 1 and gone.stderr.startswith("error: the server said 404")

    with server.http() as client:
        environment_id = client.post("/v1beta/environments", json={}).json()["id"]
    folder = tmp_path / "tree"
    (folder / "sub").mkdir(parents=True)
    (folder / "top.txt").write_text("top")
    (folder / "sub" / "deep.txt").write_text("deep")
    assert warren("files", "put", environment_id, str(folder), "tree", env=env).returncode == 0
    assert warren("files", "put", environment_id, str(folder / "top.txt"), "one.txt", env=env).returncode == 0
    tree = warren("files", "ls", environment_id, "-r", env=env).stdout
    assert "deep.txt" in tree and "one.txt" in tree
    entries = json.loads(warren("files", "ls", environment_id, "tree", "--json", env=env).stdout)
    assert sorted(e["path"] for e in entries) == ["tree/sub", "tree/top.txt"]
    fetched = warren("files", "get", environment_id, "tree", str(tmp_path / "back"), env=env)
    assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "back" / "sub" / "deep.txt").read_text() == "deep"

    assert environment_id in warren("envs", "list", env=env).stdout
    assert json.loads(warren("envs", "get", environment_id, env=env).stdout)["status"] == "active"
    other = warren("envs", "get", environment_id, env=server.env(server.other_key))
    assert other.returncode == 1 and "not found" in other.stderr
    assert warren("envs", "delete", environment_id, env=env).returncode == 0
