"""The hardening profile's defaults, as Docker create arguments (no engine needed)."""

from __future__ import annotations

import pytest

from orchestrator.sandbox import Limits, Mount, SandboxError, SandboxSpec
from orchestrator.sandbox.hardening import GVISOR_HOST_PIDS_BASE, GVISOR_HOST_PIDS_PER_TASK, container_kwargs


def kwargs(**fields: object) -> dict:
    spec = SandboxSpec(environment_id="env_1", tenant="t1", **fields)  # type: ignore[arg-type]
    return container_kwargs(spec, "img:tag", "warren-env_1-x", "vol")


def test_defaults_are_hardened() -> None:
    k = kwargs()
    assert k["user"] == "1000:1000"
    assert k["cap_drop"] == ["ALL"] and "cap_add" not in k
    assert k["security_opt"] == ["no-new-privileges:true"]
    assert k["privileged"] is False and k["read_only"] is True
    assert k["entrypoint"] == ["/usr/bin/dumb-init", "--single-child", "--"]  # the image's init,
    assert "init" not in k  # not the engine's tini as well
    assert k["network_mode"] == "none"
    assert k["mem_limit"] == k["memswap_limit"] == "2048m"
    assert k["pids_limit"] == 512 and k["nano_cpus"] == 1_000_000_000
    assert "size=512m" in k["tmpfs"]["/tmp"]
    assert k["log_config"]["config"]["max-size"] == "10m"
    assert k["volumes"] == {"vol": {"bind": "/workspace", "mode": "rw"}}
    assert "runtime" not in k


def test_labels_identify_environment_tenant_and_version() -> None:
    labels = kwargs(labels={"extra": "1"})["labels"]
    assert labels["dev.warren.environment"] == "env_1"
    assert labels["dev.warren.tenant"] == "t1"
    assert labels["dev.warren.managed"] == "true"
    assert labels["extra"] == "1"


def test_runtime_is_configurable_for_gvisor() -> None:
    assert kwargs(runtime="runsc")["runtime"] == "runsc"
    assert kwargs(runtime="runc")["runtime"] == "runc"


def test_under_gvisor_the_process_limit_is_its_rlimit_nproc() -> None:
    """The engine's pids limit counts gVisor's sentry on the host: it keeps bounded headroom, and the
    sandbox's own process limit is RLIMIT_NPROC, which gVisor's kernel enforces."""
    k = kwargs(runtime="runsc", limits=Limits(pids=64))
    assert k["ulimits"] == [{"Name": "nproc", "Soft": 64, "Hard": 64}]
    assert k["pids_limit"] == 64 * GVISOR_HOST_PIDS_PER_TASK + GVISOR_HOST_PIDS_BASE
    default = kwargs(runtime="runsc")["pids_limit"]
    # A fork bomb at the default 512 tasks peaked at 10,003 host threads: room for it, and a bound.
    assert 12_000 <= default <= 16_384, "the sentry's headroom, bounded: the host's threads stay safe"


@pytest.mark.parametrize("runtime", [None, "runc"])
def test_under_runc_nproc_is_never_set(runtime: str | None) -> None:
    """RLIMIT_NPROC on the host counts every process of uid 1000, across sandboxes."""
    k = kwargs(runtime=runtime, limits=Limits(pids=64))
    assert "ulimits" not in k and k["pids_limit"] == 64


def test_limits_and_read_only_mounts_apply() -> None:
    k = kwargs(
        limits=Limits(memory_mb=256, cpus=0.5, pids=64), mounts=(Mount(source="/srv/s", target="/skills"),)
    )
    assert (k["mem_limit"], k["nano_cpus"], k["pids_limit"]) == ("256m", 500_000_000, 64)
    assert k["volumes"]["/srv/s"] == {"bind": "/skills", "mode": "ro"}


@pytest.mark.parametrize(
    "source",
    ["/var/run/docker.sock", "/run/docker.sock", "/var/run/docker.sock/", "/var/run/../run/docker.sock"],
)
def test_docker_socket_is_never_mounted(source: str) -> None:
    with pytest.raises(SandboxError, match="Docker socket"):
        kwargs(mounts=(Mount(source=source, target="/x"),))


def test_a_symlink_to_the_docker_socket_is_refused(tmp_path) -> None:
    link = tmp_path / "innocent.sock"
    link.symlink_to("/var/run/docker.sock")
    with pytest.raises(SandboxError, match="Docker socket"):
        kwargs(mounts=(Mount(source=str(link), target="/x"),))
