"""Optional modules the runner's process does without: each is a shared library the standard library
or a dependency loads only if it can (`try: import ... except ImportError`), and the runner never
uses. Under gVisor every shared library costs a cold start 5-25 ms of `mmap` and page faults, and its
touched pages stay in the sandbox's memory for as long as it lives (measured in a runsc sandbox,
peak RSS of a bare interpreter importing one module: `ssl` +6.8 MB, `hashlib`'s OpenSSL +4.4 MB;
the runner's own tokens come from `os.urandom`, not `secrets`, whose hmac loads OpenSSL).

Only the runner's own process is changed (`hold_back`, from `agents.boot`): the agent's Python and
shell are processes of their own and see a normal interpreter. `ssl` is the one the runner may need
later (an http hook to an `https` URL), so `with_ssl` brings it back for that caller.
"""

from __future__ import annotations

import sys

__all__ = ["HELD_BACK", "hold_back", "with_ssl"]

HELD_BACK = (
    "ssl",  # asyncio's optional TLS (`_ssl`: libssl and libcrypto); back through `with_ssl`
    "bz2",  # shutil's optional archive formats (libbz2)
    "lzma",  # ... (liblzma)
    "_uuid",  # uuid's libuuid node lookup, imported by pydantic; uuid4 needs none of it
    "yaml._yaml",  # PyYAML's libyaml loaders; `yaml.safe_load` is the pure-Python one
    "msvcrt",  # Windows and Jython names the standard library probes for: each miss walks the path
    "_winapi",
    "nt",
    "org",
)
"""Names that fail to import in the runner's process, as `sys.modules[name] = None` makes them."""


def hold_back() -> None:
    """Make every `HELD_BACK` module fail to import in this process (ImportError, what their callers
    expect when a module is missing); a module imported already is left as it is."""
    for name in HELD_BACK:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # the import system's "absent"


def with_ssl() -> None:
    """Bring `ssl` back, and into the asyncio modules that imported it while it was held back: their
    TLS then works as if it had always been there. Idempotent; a no-op where `ssl` was never held."""
    if sys.modules.get("ssl", False) is None:
        del sys.modules["ssl"]
    import ssl
    from asyncio import base_events, selector_events, sslproto

    for module in (base_events, selector_events, sslproto):
        module.ssl = ssl  # type: ignore[attr-defined]
    sslproto.SSLAgainErrors = (ssl.SSLWantReadError, ssl.SSLSyscallError)
