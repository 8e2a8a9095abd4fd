"""Repository sources: the URL check and a locked-down, shallow `git clone` run by the orchestrator.

Untrusted code never clones: the orchestrator does, with no hooks, no submodules, no symlinks
written to disk (`core.symlinks=false` checks links out as small text files), no prompt, a minimal
environment that ignores the host's git configuration, only the protocols it allows, and a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import re
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from orchestrator.environments.tree import TreeTooLargeError, check_tree_size
from orchestrator.errors import WarrenError

__all__ = ["CloneError", "RepositoryUrl", "clone", "parse_repository"]

_REF = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9._/+-]{0,199}$")
_GIT_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.symlinks=false",
    "core.fsmonitor=false",
    "submodule.recurse=false",
    "transfer.fsckObjects=true",
    "credential.helper=",
)


class CloneError(WarrenError, ValueError):
    """A repository source cannot be used: a refused URL or a failed clone; the message says why."""


@dataclass(frozen=True)
class RepositoryUrl:
    """A checked repository location."""

    url: str
    """What `git clone` gets: `https://...`, `http://...` or `file://...`."""
    ref: str | None
    """The branch or tag to check out (the URL's `#fragment`); None for the default branch."""
    local_path: Path | None
    """For `file://`, the host folder (the caller checks it against the allowed roots)."""


def parse_repository(source: str) -> RepositoryUrl:
    """Check a repository source: `https://host/path[#ref]`, `host/path[#ref]` (https) or `file:///path`.

    Raises:
        CloneError: another scheme, credentials in the URL, or a malformed ref.
    """
    if not source or source.startswith("-") or any(c.isspace() or ord(c) < 32 for c in source):
        raise CloneError("must be a repository URL such as https://github.com/acme/app")
    if "://" not in source:
        source = "https://" + source
    parts = urlsplit(source)
    ref = parts.fragment or None
    if ref is not None and (not _REF.fullmatch(ref) or ".." in ref or ref.endswith((".lock", "/"))):
        raise CloneError(f"ref {ref!r} after '#' must be a branch or tag name")
    url = parts._replace(fragment="").geturl()
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise CloneError("a file:// repository must be an absolute local path (file:///srv/repo)")
        return RepositoryUrl(url=url, ref=ref, local_path=Path(parts.path))
    if scheme not in ("https", "http"):
        raise CloneError(f"scheme {scheme!r} is not allowed; use https:// (or file:// under a source root)")
    if parts.username or parts.password:
        raise CloneError("credentials in a repository URL are refused: they would reach the sandbox")
    if not parts.hostname:
        raise CloneError("the repository URL has no host")
    return RepositoryUrl(url=url, ref=ref, local_path=None)


async def check_public_host(url: str) -> None:
    """Refuse a host that resolves to a loopback, private, link-local or otherwise internal address.

    Raises:
        CloneError: the name does not resolve, or it resolves to an internal address.
    """
    host = urlsplit(url).hostname or ""
    port = urlsplit(url).port or 443
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise CloneError(f"cannot resolve host {host!r}: {exc.strerror or exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise CloneError(f"host {host!r} resolves to the internal address {address}; refused")


async def clone(repo: RepositoryUrl, dest: Path, *, timeout_s: float, max_bytes: int, max_files: int) -> None:
    """Shallow-clone `repo` into `dest` (which must not exist), then check its size.

    Raises:
        CloneError: git failed (its last error line is in the message), the deadline passed, or the
            tree is larger than `max_bytes` or holds more than `max_files` entries. `dest` is removed.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    protocols = "file" if repo.local_path is not None else "https:http"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(dest.parent),
        "LC_ALL": "C",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_ALLOW_PROTOCOL": protocols,
    }
    config = [arg for item in _GIT_CONFIG for arg in ("-c", item)]
    if repo.local_path is not None:
        config += ["-c", "protocol.file.allow=always"]
    branch = ["--branch", repo.ref] if repo.ref else []
    cmd = [
        "git",
        *config,
        "clone",
        "--depth=1",
        "--single-branch",
        "--no-tags",
        "--no-recurse-submodules",
        "--quiet",
        *branch,
        "--",
        repo.url,
        str(dest),
    ]
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise CloneError("git is not installed on the server") from exc
    try:
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        await proc.wait()
        await _remove(dest)
        raise CloneError(f"git clone did not finish within {timeout_s:g} s") from None
    if proc.returncode != 0:
        await _remove(dest)
        raise CloneError(f"git clone failed: {_last_error(stderr)}")
    try:
        await asyncio.to_thread(check_tree_size, dest, max_bytes, max_files)
    except TreeTooLargeError as exc:
        await _remove(dest)
        raise CloneError(f"the repository holds {exc}") from exc


def _last_error(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return ((fatal or lines or ["no output"])[-1])[:300]


async def _remove(path: Path) -> None:
    await asyncio.to_thread(shutil.rmtree, path, True)
