"""What makes a sandbox trust the Warren CA: a read-only mount of the trust folder and variables.

    mounts, env = sandbox_trust(ca)     # ca: the egress proxy's `WarrenCA`, or None

The trust folder (`ca.py`: the CA certificate and `bundle.pem`, the host's store plus the Warren
CA) is mounted read-only at `/etc/warren-ca`. The variables point the common clients at the bundle
(OpenSSL and Python's `ssl` through `SSL_CERT_FILE`, requests, curl, pip, git) and Node at the CA
(`NODE_EXTRA_CA_CERTS` adds to its own roots); the agent's Chromium, which reads none of them,
trusts chains holding the CA's key through `--ignore-certificate-errors-spki-list`
(`agents/tools/browser.py`, from `WARREN_CA_SPKI`). Nothing here is secret.
"""

from __future__ import annotations

from agents.protocol import CA_SPKI_ENV
from orchestrator.egress.ca import BUNDLE_NAME, CA_CERT_NAME, WarrenCA
from orchestrator.sandbox import Mount

__all__ = ["TRUST_TARGET", "sandbox_trust"]

TRUST_TARGET = "/etc/warren-ca"
"""Where the trust folder appears inside every sandbox."""
BUNDLE_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT", "GIT_SSL_CAINFO")
"""Variables that name the bundle (host store plus Warren CA)."""


def sandbox_trust(ca: WarrenCA | None) -> tuple[tuple[Mount, ...], dict[str, str]]:
    """The mount and the variables that make a sandbox trust `ca` (nothing without one)."""
    if ca is None:
        return (), {}
    bundle = f"{TRUST_TARGET}/{BUNDLE_NAME}"
    env = dict.fromkeys(BUNDLE_VARIABLES, bundle)
    env |= {"NODE_EXTRA_CA_CERTS": f"{TRUST_TARGET}/{CA_CERT_NAME}", CA_SPKI_ENV: ca.spki_sha256}
    return (Mount(source=str(ca.trust_folder), target=TRUST_TARGET, read_only=True),), env
