"""Signed preview links: a token opens one port of one environment until it expires, and nothing else."""

from __future__ import annotations

from orchestrator.environments.preview_links import PreviewLinks, PreviewTarget

KEY = b"k" * 32
TARGET = PreviewTarget("tenant-a", "env_1", 8000)


def test_a_token_names_its_tenant_for_its_port_until_it_expires() -> None:
    links = PreviewLinks(KEY, ttl_s=600)
    token, expires = links.mint(TARGET, now=1_000_000)
    assert expires == 1_000_600
    assert links.check(token, "env_1", 8000, now=1_000_599) == "tenant-a"
    assert links.check(token, "env_1", 8000, now=1_000_601) is None, "expired"


def test_a_token_opens_no_other_port_environment_or_installation() -> None:
    links = PreviewLinks(KEY, ttl_s=600)
    token, _ = links.mint(TARGET, now=1_000_000)
    assert links.check(token, "env_1", 8001, now=1_000_001) is None
    assert links.check(token, "env_2", 8000, now=1_000_001) is None
    assert PreviewLinks(b"o" * 32, ttl_s=600).check(token, "env_1", 8000, now=1_000_001) is None


def test_a_changed_tenant_expiry_or_signature_is_refused() -> None:
    links = PreviewLinks(KEY, ttl_s=600)
    token, _ = links.mint(TARGET, now=1_000_000)
    version, tenant, expires, signature = token.split(".")
    other, _ = links.mint(PreviewTarget("tenant-b", "env_1", 8000), now=1_000_000)
    forged = [
        f"{version}.{other.split('.')[1]}.{expires}.{signature}",  # B's tenant on A's signature
        f"{version}.{tenant}.{int(expires) + 10_000}.{signature}",  # a later expiry
        f"{version}.{tenant}.{expires}.{signature[:-2]}AA",
        f"v2.{tenant}.{expires}.{signature}",
        "garbage",
        "v1.!!.x.y",
        "",
    ]
    for token in forged:
        assert links.check(token, "env_1", 8000, now=1_000_001) is None, token
