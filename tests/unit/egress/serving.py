"""An egress proxy serving one environment's socket, for the in-process egress tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.config import Settings
from orchestrator.egress import EgressProxy
from orchestrator.store import Store
from orchestrator.store.environment_spec import EnvironmentSpec

__all__ = ["serve_environment"]


async def serve_environment(
    store: Store, folder: Path, spec: dict[str, Any], names: list[str]
) -> tuple[EgressProxy, Path]:
    """Store `env_a` of `tenant-a` with `spec`, serve its socket from a proxy whose operator allows
    127.0.0.1 and names `names` there (data folder `folder/data`); the proxy and the socket."""
    await store.environments.create("tenant-a", "env_a", EnvironmentSpec.model_validate(spec))
    settings = Settings(
        data_dir=folder / "data",
        egress_allow_addresses=["127.0.0.1:*"],
        egress_hosts=dict.fromkeys(names, "127.0.0.1"),
    )
    proxy = EgressProxy.from_settings(store, settings)
    (folder / "env").mkdir()
    await proxy.serve("env_a", folder / "env")
    return proxy, folder / "env" / "egress.sock"
