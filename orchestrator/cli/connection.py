"""Where the server is and which key to send: flags, then the environment, then the config file.

A command that talks to a server reads its URL and key from flags, then `WARREN_URL` and
`WARREN_API_KEY`, then `~/.config/warren/config.yaml` (`url:` and `api_key:`). `warren run`
asks with `required=False`: no server configured means it starts an embedded one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from orchestrator.cli.client import WarrenClient
from orchestrator.cli.common import UsageProblem

__all__ = ["Connection", "config_path", "connection"]


def config_path() -> Path:
    """`$XDG_CONFIG_HOME/warren/config.yaml` (default `~/.config/warren/config.yaml`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "warren" / "config.yaml"


def _file_config() -> dict[str, str]:
    path = config_path()
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageProblem(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageProblem(f"{path} must be a mapping with `url:` and `api_key:`")
    return {str(k): str(v) for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class Connection:
    """Where the server is and how to authenticate."""

    url: str
    api_key: str

    def client(self) -> WarrenClient:
        """A client of this server (use it as an async context manager)."""
        return WarrenClient(self.url, self.api_key)


def connection(url: str | None, api_key: str | None, *, required: bool = True) -> Connection | None:
    """Resolve the server from flags/environment, then the config file.

    Raises:
        UsageProblem: `required` and no URL or no key is configured.
    """
    if url is None or api_key is None:
        file = _file_config()
        url = url or file.get("url")
        api_key = api_key or file.get("api_key")
    if not url:
        if not required:
            return None
        raise UsageProblem(f"no server: pass --url, set WARREN_URL, or put `url:` in {config_path()}")
    if not url.startswith(("http://", "https://")):
        raise UsageProblem(f"--url must start with http:// or https://, got {url!r}")
    if not api_key:
        raise UsageProblem(
            f"no API key: pass --api-key, set WARREN_API_KEY, or put `api_key:` in {config_path()}"
        )
    return Connection(url, api_key)
