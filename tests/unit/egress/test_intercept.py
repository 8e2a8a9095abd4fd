"""The Warren CA and TLS interception in-process: a TLS client on the proxy's socket, HTTPS listeners
on 127.0.0.1 with certificates from a test CA that `SSL_CERT_FILE` makes the host trust.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID
from pydantic import ValidationError

from orchestrator.api.wire.network import AllowlistEntry
from orchestrator.config import Settings
from orchestrator.egress import EgressProxy
from orchestrator.egress.ca import BUNDLE_NAME, CA_CERT_NAME, CA_FILE, WarrenCA
from orchestrator.egress.policy import Rule
from orchestrator.store import Store
from orchestrator.store.environment_spec import EnvironmentSpec
from tests.unit.egress.listener import listening
from tests.unit.egress.tls import TestCA

TOKEN = "tok-9f2c-only-in-the-orchestrator"
NAME = "api.warren.test"


@pytest.fixture
def trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestCA:
    """The host trusts this CA alone (`SSL_CERT_FILE`), as the orchestrator's store."""
    ca = TestCA()
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.write(tmp_path / "host-store.pem")))
    return ca


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}") as store:
        yield store


async def _proxy(store: Store, tmp_path: Path, entries: list[dict[str, Any]]) -> tuple[EgressProxy, Path]:
    await store.environments.create(
        "tenant-a", "env_a", EnvironmentSpec.model_validate({"network": {"allowlist": entries}})
    )
    settings = Settings(
        data_dir=tmp_path / "data",
        egress_allow_addresses=["127.0.0.1:*"],
        egress_hosts={NAME: "127.0.0.1", "plain.warren.test": "127.0.0.1"},
    )
    proxy = EgressProxy.from_settings(store, settings)
    folder = tmp_path / "env_a"
    folder.mkdir()
    await proxy.serve("env_a", folder)
    return proxy, folder / "egress.sock"


async def _https(
    socket: Path, host: str, port: int, trust: Path, request: str
) -> tuple[str, x509.Certificate]:
    """CONNECT, TLS for `host` trusting the PEM file `trust`, one request; the answer and the
    certificate the client was shown."""
    reader, writer = await asyncio.open_unix_connection(str(socket))
    writer.write(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    await writer.drain()
    established = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert established.startswith(b"HTTP/1.1 200"), established
    context = ssl.create_default_context(cafile=str(trust))
    await writer.start_tls(context, server_hostname=host)
    tls = writer.get_extra_info("ssl_object")
    shown = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
    writer.write(request.encode())
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer.decode(), shown


def test_the_ca_is_made_once_private_and_published_with_the_host_store(
    tmp_path: Path, trusted: TestCA
) -> None:
    first = WarrenCA.load_or_create(tmp_path)
    again = WarrenCA.load_or_create(tmp_path)
    assert again.pem == first.pem, "the second start loads the same CA"
    assert (tmp_path / "ca").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "ca" / CA_FILE).stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in (tmp_path / "ca" / CA_FILE).read_bytes()
    published = list((tmp_path / "trust").iterdir())
    assert sorted(p.name for p in published) == [BUNDLE_NAME, CA_CERT_NAME]
    assert all(b"PRIVATE" not in p.read_bytes() for p in published), "no key in what sandboxes mount"
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in published)
    bundle = x509.load_pem_x509_certificates((tmp_path / "trust" / BUNDLE_NAME).read_bytes())
    assert [c.subject for c in bundle] == [trusted.certificate.subject, first.certificate.subject]
    assert first.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_leaf_certificates_name_one_host_are_short_lived_and_cached(tmp_path: Path) -> None:
    ca = WarrenCA.load_or_create(tmp_path)
    context = ca.server_context(NAME)
    assert ca.server_context(NAME) is context, "cached"
    assert ca.server_context("127.0.0.1") is not context
    leaf = ca._mint(NAME, ca.certificate.not_valid_before_utc)
    names = leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert names.get_values_for_type(x509.DNSName) == [NAME]
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days <= 1
    leaf.verify_directly_issued_by(ca.certificate)
    assert not list((tmp_path / "ca").glob(".leaf-*")), "no leaf key file stays behind"


async def test_a_credential_host_is_intercepted_and_the_token_injected(
    store: Store, tmp_path: Path, trusted: TestCA
) -> None:
    await store.credentials.create("tenant-a", "api", "bearer_token", TOKEN, {})
    async with listening("secure", trusted.server_context(NAME)) as upstream:
        entry = {"domain": f"{NAME}:{upstream.port}", "credential": "api"}
        _, socket = await _proxy(store, tmp_path, [entry])
        bundle = tmp_path / "data" / "trust" / BUNDLE_NAME
        answer, shown = await _https(
            socket,
            NAME,
            upstream.port,
            bundle,
            f"GET /v1/me?x=1 HTTP/1.1\r\nHost: {NAME}\r\nAuthorization: Bearer forged\r\n\r\n",
        )
    assert answer.startswith("HTTP/1.1 200") and "hello from secure" in answer, answer
    assert "Connection: close" in answer
    assert "Warren egress CA" in shown.issuer.rfc4514_string(), "the sandbox was shown a Warren leaf"
    (head,) = upstream.heads
    assert head.startswith("GET /v1/me?x=1 HTTP/1.1\r\n")
    assert f"Authorization: Bearer {TOKEN}" in head and "forged" not in head
    assert f"Host: {NAME}:{upstream.port}" in head


async def test_an_upstream_the_host_does_not_trust_gets_nothing_and_the_sandbox_a_502(
    store: Store, tmp_path: Path, trusted: TestCA
) -> None:
    stranger = TestCA("nobody trusts this CA")
    await store.credentials.create("tenant-a", "api", "bearer_token", TOKEN, {})
    async with listening("impostor", stranger.server_context(NAME)) as upstream:
        entry = {"domain": f"{NAME}:{upstream.port}", "credential": "api"}
        _, socket = await _proxy(store, tmp_path, [entry])
        bundle = tmp_path / "data" / "trust" / BUNDLE_NAME
        answer, _ = await _https(
            socket, NAME, upstream.port, bundle, f"GET / HTTP/1.1\r\nHost: {NAME}\r\n\r\n"
        )
    assert answer.startswith("HTTP/1.1 502"), answer
    assert "X-Warren-Egress: refused; reason=upstream-certificate" in answer
    assert "certificate is not trusted" in answer and "unable to get local issuer certificate" in answer
    assert upstream.heads == [], "the upstream was never sent the request (nor the token)"


async def test_a_certificate_for_another_name_is_refused(
    store: Store, tmp_path: Path, trusted: TestCA
) -> None:
    await store.credentials.create("tenant-a", "api", "bearer_token", TOKEN, {})
    async with listening("wrong-name", trusted.server_context("other.warren.test")) as upstream:
        _, socket = await _proxy(
            store, tmp_path, [{"domain": f"{NAME}:{upstream.port}", "credential": "api"}]
        )
        bundle = tmp_path / "data" / "trust" / BUNDLE_NAME
        answer, _ = await _https(
            socket, NAME, upstream.port, bundle, f"GET / HTTP/1.1\r\nHost: {NAME}\r\n\r\n"
        )
    assert answer.startswith("HTTP/1.1 502") and "reason=upstream-certificate" in answer, answer
    assert upstream.heads == []


async def test_a_host_without_credential_is_a_tunnel(store: Store, tmp_path: Path, trusted: TestCA) -> None:
    async with listening("tunnelled", trusted.server_context("plain.warren.test")) as upstream:
        _, socket = await _proxy(store, tmp_path, [{"domain": f"plain.warren.test:{upstream.port}"}])
        answer, shown = await _https(
            socket,
            "plain.warren.test",
            upstream.port,
            tmp_path / "host-store.pem",
            "GET / HTTP/1.1\r\nHost: plain.warren.test\r\n\r\n",
        )
    assert "hello from tunnelled" in answer
    assert shown.issuer == trusted.certificate.subject, "the upstream's own certificate"


async def test_inside_the_tunnel_only_origin_form_requests_pass(
    store: Store, tmp_path: Path, trusted: TestCA
) -> None:
    await store.credentials.create("tenant-a", "api", "bearer_token", TOKEN, {})
    async with listening("secure", trusted.server_context(NAME)) as upstream:
        _, socket = await _proxy(
            store, tmp_path, [{"domain": f"{NAME}:{upstream.port}", "credential": "api"}]
        )
        bundle = tmp_path / "data" / "trust" / BUNDLE_NAME
        request = f"GET http://evil.test/ HTTP/1.1\r\nHost: {NAME}\r\n\r\n"
        answer, _ = await _https(socket, NAME, upstream.port, bundle, request)
        smuggled = (
            f"GET / HTTP/1.1\r\nHost: {NAME}\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        refused, _ = await _https(socket, NAME, upstream.port, bundle, smuggled)
    assert answer.startswith("HTTP/1.1 400") and "origin-form" in answer, answer
    assert refused.startswith("HTTP/1.1 400"), refused
    assert upstream.heads == []


async def test_an_entry_s_match_limits_the_credential_to_its_requests(
    store: Store, tmp_path: Path, trusted: TestCA
) -> None:
    """Warren extension: `match` (method, path prefix) decides which requests get the credential;
    others pass without it, and a dot segment never counts as under the prefix."""
    await store.credentials.create("tenant-a", "api", "bearer_token", TOKEN, {})
    async with listening("secure", trusted.server_context(NAME)) as upstream:
        entry = {
            "domain": f"{NAME}:{upstream.port}",
            "credential": "api",
            "match": [{"method": "GET", "path_prefix": "/v1/"}],
        }
        _, socket = await _proxy(store, tmp_path, [entry])
        bundle = tmp_path / "data" / "trust" / BUNDLE_NAME
        for line in ("GET /v1/me", "POST /v1/me", "GET /v2/me", "GET /v1/../admin", "GET /v1/%2e%2e/admin"):
            request = f"{line} HTTP/1.1\r\nHost: {NAME}\r\nContent-Length: 0\r\n\r\n"
            answer, _ = await _https(socket, NAME, upstream.port, bundle, request)
            assert "hello from secure" in answer, (line, answer)
    with_token = [head.split(" ")[0:2] for head in upstream.heads if TOKEN in head]
    assert with_token == [["GET", "/v1/me"]], upstream.heads


def test_match_is_checked_on_the_wire_and_parsed_into_the_rule() -> None:
    entry = {
        "domain": "api.example.com",
        "credential": "c",
        "match": [{"method": "POST", "path_prefix": "/up"}],
    }
    rule = Rule.parse(AllowlistEntry.model_validate(entry).model_dump(exclude_none=True))
    assert rule is not None and rule.matchers == (("POST", "/up"),)
    assert rule.applies("POST", "/upload?x=1") and not rule.applies("GET", "/upload")
    for bad in ({"method": "TRACE"}, {"path_prefix": "up"}, {"path_prefix": "/a b"}):
        with pytest.raises(ValidationError):
            AllowlistEntry.model_validate({**entry, "match": [bad]})
    with pytest.raises(ValidationError):
        AllowlistEntry.model_validate({**entry, "match": []})
