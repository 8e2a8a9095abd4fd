"""A test CA for egress tests: HTTPS listeners on 127.0.0.1 with certificates the test signs.

The orchestrator verifies intercepted upstreams against the host's store, which `SSL_CERT_FILE`
overrides: a test points it at `TestCA.write(...)` so its listeners are trusted, and a second
`TestCA` nobody trusts makes a listener whose certificate must be refused.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["TestCA"]


class TestCA:
    """A throwaway CA that signs server certificates for the names a test listens under."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, name: str = "Warren test upstream CA") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def write(self, path: Path) -> Path:
        """The CA certificate as a PEM file (for `SSL_CERT_FILE`)."""
        path.write_bytes(self.pem)
        return path

    def server_context(self, *names: str) -> ssl.SSLContext:
        """A server context with a certificate for `names` (DNS names or IP literals) signed here."""
        key = ec.generate_private_key(ec.SECP256R1())
        alts: list[x509.GeneralName] = []
        for name in names:
            try:
                alts.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alts.append(x509.DNSName(name))
        now = datetime.datetime.now(datetime.UTC)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(alts), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.NamedTemporaryFile(suffix=".pem") as file:
            file.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                + leaf.public_bytes(serialization.Encoding.PEM)
            )
            file.flush()
            context.load_cert_chain(file.name)
        return context
