"""The Warren CA: one per installation, for the egress proxy's TLS interception of credential hosts.

    ca = WarrenCA.load_or_create(settings.data_dir)      # made on first start
    context = ca.server_context("api.example.com")      # a short-lived certificate for that name
    ca.trust_folder                                      # warren-ca.pem and bundle.pem, mounted read-only

The CA's key and certificate live together in `data_dir/ca/warren-ca.key` (0600, in a 0700
folder), made atomically on first start (written aside, then linked into place) so two servers
starting at once agree on one CA. The key never leaves that file and this process; a sandbox gets
only the certificate. Leaf certificates are minted on demand for one exact name (or IP literal),
valid for a day, kept in memory and reused until an hour before they end; their key is one P-256
key per process, never written anywhere but the moment `ssl` needs a file to load it from.

`trust_folder` (`data_dir/trust`, world-readable) holds what sandboxes mount: the CA certificate
and `bundle.pem`, the host's CA store (the one `ssl` would verify with: `SSL_CERT_FILE` when set,
else the system bundle) followed by the Warren CA. It is rewritten at every start, so updates of
the host's store reach new sandboxes. Sandboxes verify tunnelled hosts against the same store the
proxy verifies intercepted upstreams with.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import ipaddress
import logging
import os
import secrets
import ssl
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from orchestrator.datadir import private_folder

__all__ = ["BUNDLE_NAME", "CA_CERT_NAME", "WarrenCA", "upstream_context"]

log = logging.getLogger("orchestrator.egress")
CA_FILE = "warren-ca.key"
"""Key and certificate of the CA, in `data_dir/ca` (0600)."""
CA_CERT_NAME = "warren-ca.pem"
"""The CA certificate alone, in the trust folder."""
BUNDLE_NAME = "bundle.pem"
"""The host's CA store plus the Warren CA, in the trust folder."""
_CA_DAYS = 3650
_LEAF = datetime.timedelta(days=1)
_RENEW = datetime.timedelta(hours=1)
_CACHE = 512
_ALPN = ["http/1.1"]


def upstream_context() -> ssl.SSLContext:
    """The context the proxy verifies upstreams with: the host's store (`SSL_CERT_FILE` honoured)."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(_ALPN)
    return context


@dataclass
class _Leaf:
    context: ssl.SSLContext
    ends: datetime.datetime


class WarrenCA:
    """The installation's CA: mints server certificates for the proxy and publishes its certificate.

    Args:
        key: the CA's private key.
        certificate: the CA's certificate.
        folder: the private folder (0700) the CA file lives in; leaf files pass through it.
        trust_folder: the world-readable folder sandboxes mount.
    """

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        certificate: x509.Certificate,
        folder: Path,
        trust_folder: Path,
    ) -> None:
        self._key = key
        self.certificate = certificate
        self._folder = folder
        self.trust_folder = trust_folder
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self._leaves: OrderedDict[str, _Leaf] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def load_or_create(cls, data_dir: Path) -> WarrenCA:
        """The installation's CA, made on first start; the trust folder written anew."""
        folder = data_dir / "ca"
        private_folder(folder)
        path = folder / CA_FILE
        if not path.exists():
            _create(path)
        if path.stat().st_mode & 0o077:
            log.warning("%s was readable by others; set it to 0600", CA_FILE)
            os.chmod(path, 0o600)
        data = path.read_bytes()
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{CA_FILE} does not hold an EC key")
        ca = cls(key, x509.load_pem_x509_certificate(data), folder, data_dir / "trust")
        ca.publish()
        return ca

    @property
    def pem(self) -> bytes:
        """The CA certificate in PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def spki_sha256(self) -> str:
        """Base64 SHA-256 of the CA's public key (Chromium's `--ignore-certificate-errors-spki-list`)."""
        spki = self.certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")

    def publish(self) -> None:
        """Write the trust folder: the CA certificate and the bundle (host store + Warren CA)."""
        self.trust_folder.mkdir(mode=0o755, parents=True, exist_ok=True)
        os.chmod(self.trust_folder, 0o755)  # noqa: S103 (public certificates the sandbox user reads)
        host = _host_store()
        if not host:
            log.warning("no CA store found on this host: sandboxes trust only the Warren CA")
        _replace(self.trust_folder / CA_CERT_NAME, self.pem)
        _replace(self.trust_folder / BUNDLE_NAME, host.rstrip(b"\n") + b"\n" + self.pem if host else self.pem)

    def server_context(self, host: str) -> ssl.SSLContext:
        """A TLS server context presenting a certificate for `host` (chain: leaf, then the CA)."""
        now = datetime.datetime.now(datetime.UTC)
        with self._lock:
            leaf = self._leaves.get(host)
            if leaf is not None and leaf.ends - now > _RENEW:
                self._leaves.move_to_end(host)
                return leaf.context
            leaf = _Leaf(self._context(self._mint(host, now)), now + _LEAF)
            self._leaves[host] = leaf
            while len(self._leaves) > _CACHE:
                self._leaves.popitem(last=False)
            return leaf.context

    def _mint(self, host: str, now: datetime.datetime) -> x509.Certificate:
        try:
            alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            alt = x509.DNSName(host)
        ski = x509.SubjectKeyIdentifier.from_public_key(self._key.public_key())
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(self.certificate.subject)
            .public_key(self._leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _LEAF)
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )

    def _context(self, leaf: x509.Certificate) -> ssl.SSLContext:
        """A server context for `leaf`; `ssl` loads keys only from files, so one passes through the
        private folder (0600) and is removed at once."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_alpn_protocols(_ALPN)
        key = self._leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        chain = leaf.public_bytes(serialization.Encoding.PEM) + self.pem
        fd, name = tempfile.mkstemp(dir=self._folder, prefix=".leaf-")  # 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(key + chain)
            context.load_cert_chain(name)
        finally:
            os.unlink(name)
        return context


def _create(path: Path) -> None:
    """Make the CA (P-256, ten years, CA for servers only) and link its file into place atomically."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Warren"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Warren egress CA {secrets.token_hex(4)}"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + certificate.public_bytes(serialization.Encoding.PEM)
    aside = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another server made it first: theirs wins
            os.link(aside, path)
    finally:
        aside.unlink(missing_ok=True)


def _host_store() -> bytes:
    """The PEM bundle `ssl` verifies with on this host (`SSL_CERT_FILE` first), or b"" when none."""
    paths = ssl.get_default_verify_paths()
    for candidate in (os.environ.get(paths.openssl_cafile_env), paths.cafile, paths.openssl_cafile):
        if candidate and os.path.isfile(candidate):
            return Path(candidate).read_bytes()
    return b""


def _replace(path: Path, data: bytes) -> None:
    """Write `path` (0644) by renaming a new file over it, so a mounted folder shows old or new."""
    aside = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    aside.write_bytes(data)
    os.chmod(aside, 0o644)
    os.replace(aside, path)
