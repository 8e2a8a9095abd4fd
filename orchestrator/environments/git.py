"""Repository sources: the URL check and a locked-down, shallow `git clone` run by the orchestrator.

Untrusted code never clones: the orchestrator does, with no hooks, no submodules, no symlinks
written to disk (`core.symlinks=false` checks links out as small text files), no prompt, no
credential helper, a minimal environment that ignores the host's git configuration, only the
protocol it checked, and a deadline.

A remote host is resolved once, checked, and pinned for git (`http.curloptResolve`), with redirects
off, so git cannot be sent anywhere Warren did not check. A local repository is cloned from the real
path Warren checked, never from the URL (git would decode `%2e%2e` in it). The clone folder is
measured every 50 ms while git runs and git is killed once it holds more than the byte cap, so an
endless pack stops at the cap, not at the deadline; `RLIMIT_FSIZE` bounds any one file git writes
in case that loop stalls.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import re
import resource
import shutil
import signal
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from orchestrator.environments.tree import TreeTooLargeError, check_tree_size
from orchestrator.errors import WarrenError

__all__ = [
    "CloneError",
    "CloneTarget",
    "RepositoryUrl",
    "clone",
    "local_target",
    "parse_repository",
    "remote_target",
]

_REF = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9._/+-]{0,199}$")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
"""An ASCII host name as curl will look it up, so the pinned entry matches it (IDN hosts: punycode)."""
_GIT_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.symlinks=false",
    "core.fsmonitor=false",
    "core.askPass=",
    "submodule.recurse=false",
    "transfer.fsckObjects=true",
    "credential.helper=",
    "http.followRedirects=false",
    "http.emptyAuth=false",
)
_POLL_S = 0.05
"""How often the clone folder is measured while git runs, in seconds."""
_FILE_SLACK = 64 << 20
"""How far past the byte cap one file may grow before the kernel stops git (`RLIMIT_FSIZE`)."""
_STDERR_TAIL = 8192
"""Bytes of git's stderr kept for the error message (a hostile server may send endless progress)."""


class CloneError(WarrenError, ValueError):
    """A repository source cannot be used: a refused URL or a failed clone; the message says why."""


@dataclass(frozen=True)
class RepositoryUrl:
    """A parsed repository location, not yet checked against the server's policy."""

    url: str
    """The URL without its fragment: `https://...`, `http://...` or `file://...`."""
    ref: str | None
    """The branch or tag to check out (the URL's `#fragment`); None for the default branch."""
    local_path: Path | None
    """For `file://`, the host path as written (the caller checks it against the allowed roots)."""

    @property
    def scheme(self) -> str:
        """`https`, `http` or `file`."""
        return urlsplit(self.url).scheme.lower()


@dataclass(frozen=True)
class CloneTarget:
    """What `clone` fetches: an address Warren checked, so git has nothing left to decide."""

    location: str
    """An `http(s)://` URL, or the real path of a local repository."""
    ref: str | None
    """The branch or tag to check out; None for the default branch."""
    protocol: str
    """The one transport git may use (`GIT_ALLOW_PROTOCOL`): `https`, `http` or `file`."""
    resolve: str | None = None
    """`host:port:address[,address]` curl must use for the URL's host: the addresses Warren checked."""


def parse_repository(source: str) -> RepositoryUrl:
    """Check a repository source: `https://host/path[#ref]`, `host/path[#ref]` (https) or `file:///path`.

    Raises:
        CloneError: another scheme, credentials in the URL, percent-encoding in a `file://` path,
            or a malformed ref.
    """
    if not source or source.startswith("-") or any(c.isspace() or ord(c) < 32 for c in source):
        raise CloneError("must be a repository URL such as https://github.com/acme/app")
    if "://" not in source:
        source = "https://" + source
    parts = urlsplit(source)
    ref = parts.fragment or None
    if ref is not None and (not _REF.fullmatch(ref) or ".." in ref or ref.endswith((".lock", "/"))):
        raise CloneError("the ref after '#' must be a branch or tag name")
    url = parts._replace(fragment="").geturl()
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise CloneError("a file:// repository must be an absolute local path (file:///srv/repo)")
        if "%" in parts.path or parts.query:
            # git decodes %XX (so `%2e%2e` is `..`): the checked path must be the one git opens.
            raise CloneError("a file:// repository path may not hold '%' escapes or a '?' query")
        return RepositoryUrl(url=url, ref=ref, local_path=Path(parts.path))
    if scheme not in ("https", "http"):
        raise CloneError(f"scheme {scheme!r} is not allowed; use https:// (or file:// under a source root)")
    if parts.username or parts.password:
        raise CloneError("credentials in a repository URL are refused: they would reach the sandbox")
    try:
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        raise CloneError("the repository URL has a malformed port") from None
    if not parts.hostname:
        raise CloneError("the repository URL has no host")
    if not (_HOST.fullmatch(parts.hostname) or _is_literal(parts.hostname)):
        raise CloneError("the repository host must be a plain ASCII name (punycode for IDN) or an address")
    return RepositoryUrl(url=url, ref=ref, local_path=None)


def local_target(repo: RepositoryUrl, real_path: Path) -> CloneTarget:
    """The target of a `file://` repository whose real path the caller checked against its roots."""
    return CloneTarget(location=str(real_path), ref=repo.ref, protocol="file")


async def remote_target(repo: RepositoryUrl, *, allow_private: bool) -> CloneTarget:
    """Resolve the host once and pin the address git will use.

    Plain `http://` is refused unless `allow_private` (an internal git server), and even then only
    to a host that resolves to an internal address: never across the internet in clear text.

    Raises:
        CloneError: `http://` without `allow_private`, a name that does not resolve, or an internal
            address without `allow_private` (or a public one over `http://`).
    """
    parts = urlsplit(repo.url)
    scheme = parts.scheme.lower()
    if scheme == "http" and not allow_private:
        raise CloneError("plain http:// repositories are refused on this server; use https://")
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise CloneError(f"cannot resolve host {host!r}") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise CloneError(f"cannot resolve host {host!r}")
    if not allow_private and any(not address.is_global for address in addresses):
        raise CloneError(f"host {host!r} resolves to an internal address; refused")
    if scheme == "http" and any(address.is_global for address in addresses):
        raise CloneError("plain http:// is allowed only to an internal git server; use https://")
    if _is_literal(host):
        return CloneTarget(location=repo.url, ref=repo.ref, protocol=scheme)  # no name to look up again
    pinned = ",".join(dict.fromkeys(f"[{a}]" if a.version == 6 else str(a) for a in addresses))
    return CloneTarget(location=repo.url, ref=repo.ref, protocol=scheme, resolve=f"{host}:{port}:{pinned}")


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def clone(target: CloneTarget, dest: Path, *, timeout_s: float, max_bytes: int, max_files: int) -> None:
    """Shallow-clone `target` into `dest` (which must not exist), capping its size while git runs.

    Raises:
        CloneError: git failed (its last error line, with host paths hidden, is in the message), the
            deadline passed, or the tree grew past `max_bytes` or `max_files` entries. `dest` is removed.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        await _run_git(target, dest, timeout_s, max_bytes, max_files)
        await asyncio.to_thread(check_tree_size, dest, max_bytes, max_files)
    except TreeTooLargeError as exc:
        await _remove(dest)
        raise CloneError(f"the repository holds {exc}") from exc
    except BaseException:
        await _remove(dest)
        raise


def _environment(target: CloneTarget, dest: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(dest.parent),
        "LC_ALL": "C",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_ALLOW_PROTOCOL": target.protocol,
        "GIT_PROTOCOL_FROM_USER": "0",
    }


def _command(target: CloneTarget, dest: Path) -> list[str]:
    config = [arg for item in _GIT_CONFIG for arg in ("-c", item)]
    if target.resolve is not None:
        config += ["-c", f"http.curloptResolve={target.resolve}"]
    local = ["--no-local"] if target.protocol == "file" else []  # the git transport, so --depth applies
    branch = ["--branch", target.ref] if target.ref else []
    return [
        "git",
        *config,
        "clone",
        "--depth=1",
        "--single-branch",
        "--no-tags",
        "--no-recurse-submodules",
        "--quiet",
        *local,
        *branch,
        "--",
        target.location,
        str(dest),
    ]


async def _run_git(target: CloneTarget, dest: Path, timeout_s: float, max_bytes: int, max_files: int) -> None:
    try:
        proc = await asyncio.create_subprocess_exec(
            *_command(target, dest),
            env=_environment(target, dest),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise CloneError("git is not installed on the server") from exc
    _limit_file_size(proc.pid, max_bytes + max(max_bytes, _FILE_SLACK))
    assert proc.stderr is not None
    tail = asyncio.create_task(_tail(proc.stderr))
    exited = asyncio.create_task(proc.wait())
    try:
        async with asyncio.timeout(timeout_s):
            while not exited.done():
                await asyncio.wait({exited}, timeout=_POLL_S)
                await asyncio.to_thread(_measure, dest, max_bytes, max_files)
    except TimeoutError:
        raise CloneError(f"git clone did not finish within {timeout_s:g} s") from None
    finally:
        if not exited.done():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        await exited
        stderr = await tail
    if proc.returncode != 0:
        raise CloneError(f"git clone failed: {_last_error(stderr, dest, target.location)}")


def _measure(root: Path, max_bytes: int, max_files: int) -> None:
    """`check_tree_size` of a folder git is writing: files it renames or removes meanwhile are skipped.

    Raises:
        TreeTooLargeError: with which cap was passed.
    """
    total = count = 0
    pending = [str(root)]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                total += entry.stat(follow_symlinks=False).st_size
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
            except OSError:
                continue
            count += 1
        if count > max_files:
            raise TreeTooLargeError(f"more than {max_files} files and folders")
        if total > max_bytes:
            raise TreeTooLargeError(f"more than {max_bytes} bytes")


def _limit_file_size(pid: int, limit: int) -> None:
    """No file git (or a child it starts later, such as `index-pack`) writes may pass `limit` bytes.

    A backstop for the measuring loop (if the event loop stalls, the disk still holds): set on the
    running process, which its children inherit, because `preexec_fn` is unsafe in a threaded server.
    Git forks `index-pack` only after it has talked to the server, long after this call.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, limit))


async def _tail(stream: asyncio.StreamReader) -> bytes:
    kept = b""
    while chunk := await stream.read(65536):
        kept = (kept + chunk)[-_STDERR_TAIL:]
    return kept


def _last_error(stderr: bytes, dest: Path, location: str) -> str:
    text = stderr.decode(errors="replace").replace(str(dest), "<clone>")
    if location.startswith("/"):
        text = text.replace(location, "<repository>")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return ((fatal or lines or ["no output"])[-1])[:300]


async def _remove(path: Path) -> None:
    await asyncio.to_thread(shutil.rmtree, path, True)
