"""`DockerEngine`: the SDK client and the backend's own worker threads, with one error mapping.

Every SDK call runs in a worker thread of this pool (`threads`), so the event loop never blocks on
the engine and the calls never queue behind other work on asyncio's default executor (issue 13:
idle shells parked there starved every Docker call of the process). The other Docker rooms reach
the engine only through here, so the engine's `NotFound` is always `SandboxNotFoundError` and its
other API errors always `SandboxError`.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

import docker
import docker.errors
from docker.models.containers import Container

from orchestrator.sandbox.backend import SandboxError, SandboxNotFoundError

__all__ = ["DockerCall", "DockerEngine"]

T = TypeVar("T")


class DockerCall(Protocol):
    """Runs a blocking Docker SDK call off the event loop with the error mapping (`DockerEngine.call`)."""

    def __call__(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Awaitable[T]: ...


class DockerEngine:
    """The SDK client (made on first use) and the thread pool its calls run on.

    Args:
        client: an existing SDK client; by default one is made from the environment.
        threads: worker threads for SDK calls, and the size of the client's connection pool.
    """

    def __init__(self, client: docker.DockerClient | None, threads: int) -> None:
        self._client = client
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None

    async def client(self) -> docker.DockerClient:
        """The SDK client, connected on first use.

        Raises:
            SandboxError: no engine answers.
        """
        if self._client is None:
            try:
                self._client = await self.run(docker.from_env, version="auto", max_pool_size=self.threads)
            except docker.errors.DockerException as exc:
                raise SandboxError(f"no Docker engine answers: {exc} (run scripts/ensure-engine.sh)") from exc
        return self._client

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        """Start `fn` on the backend's own threads (not the default executor), in the caller's context."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="warren-docker")
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return asyncio.get_running_loop().run_in_executor(self._pool, call)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` on a worker thread; its exceptions pass unchanged."""
        return await self.submit(fn, *args, **kwargs)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` on a worker thread, with the engine's errors mapped to the seam's."""
        try:
            return await self.run(fn, *args, **kwargs)
        except docker.errors.NotFound as exc:
            raise SandboxNotFoundError(str(exc.explanation or exc)) from exc
        except docker.errors.APIError as exc:
            raise SandboxError(str(exc.explanation or exc)) from exc

    async def container(self, sandbox_id: str) -> Container:
        """The inspected container; `SandboxNotFoundError` when it is gone."""
        client = await self.client()
        container: Container = await self.call(client.containers.get, sandbox_id)
        return container

    async def close(self) -> None:
        """Close the client's connections and let the worker threads go."""
        if self._client is not None:
            await self.run(self._client.close)
            self._client = None
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
