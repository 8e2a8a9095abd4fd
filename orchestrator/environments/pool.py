"""The warm pool: started sandboxes, each with its runner waiting, handed to new environments.

A container's mounts, variables and labels are fixed when it is made, so a pool sandbox is made
for an environment id that does not exist yet (`new_environment_id()`): its labels, workspace
volume and channel folder (`run/<id>`, with the socket already served) are that id's. A new
environment takes the id of a ready slot (`reserve`, when its row is created); its first use
(`Provisioner.make`) hands the slot its settings (`assign`): the row names the
container, the runner gets its token and variables over the socket, `/skills` (a host folder
mounted read-only) is filled, and the sources are unpacked into `/workspace`. The pool refills in
the background, `refill_delay_s` after a slot is taken while another one is still ready: making a
sandbox costs the engine, gVisor and the new runner a few hundred ms of CPU, which at once would
compete with the hand-over and first command of the environment that took the slot. A pool sandbox
serves one environment and is destroyed with it, never recycled.

Only the default profile is pooled (every sandbox runs with `network_mode=none`, an allowlist
adds only a socket, so one profile serves both policies); a fork (`from_environment`) is made cold.
Unassigned sandboxes never count against a tenant, and the pool does not fill while the host's
available memory is below twice one sandbox's memory limit.

No credential is in a pool container's environment (every process there, and `docker exec`,
would inherit it). The slot's secret is armed as the one claim of its start: the runner claims it
over the socket, proves itself with it while it waits, and is handed the environment's runner token
with its assignment. Every pool container carries `dev.warren.pool=<id>`. When a pooled sandbox
restarts (stop, resume), its start arms a claim of a fresh runner token like any other sandbox's;
the runner claims it and asks again with it for its settings (`reassign.py`), which it gets once
the row names that very container, even after a server restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agents.protocol import POOLED_ENV, SOCKET_PATH, Assignment
from orchestrator.channel.server import ChannelServers
from orchestrator.egress.trust import sandbox_trust
from orchestrator.environments.owners import REPLICA_LABEL, Liveness, kept_by_another
from orchestrator.environments.pool_skills import bundled_skills, select_skills, skills_mount
from orchestrator.environments.reassign import POOL_LABEL
from orchestrator.environments.site import SandboxSite, new_environment_id
from orchestrator.sandbox import SandboxError, SandboxSpec
from orchestrator.sandbox.hardening import HOME
from orchestrator.skills import SkillSet, SkillStore
from orchestrator.store import Store
from orchestrator.store.environments import EnvironmentRecord, EnvironmentUpdate

__all__ = ["POOL_LABEL", "WarmPool", "available_memory_mb"]

log = logging.getLogger("orchestrator.pool")

ENV_FILE = f"{HOME}/.warren-env"
"""Where a pool sandbox's runner writes its environment's variables (`BASH_ENV`), so that
`docker exec bash` (the files API, `warren attach`) sees them too; never the runner token."""
_READY_TIMEOUT_S = 60.0
_RETRY_S = 5.0
REFILL_DELAY_S = 0.5
"""How long after a slot is taken the pool waits before it makes the next one (while one is ready)."""


def available_memory_mb() -> float | None:
    """`MemAvailable` of this host in MiB, or None where `/proc/meminfo` has none."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


@dataclass
class _Slot:
    environment_id: str
    sandbox_id: str
    secret: str
    skills: Path
    reserved_at: float = field(default=0.0)


class WarmPool:
    """Keeps `size` started sandboxes waiting, and hands them to new environments.

    Args:
        store: the environment rows (a slot's assignment names its container there).
        site: the backend, limits, runtime and labels of every sandbox.
        skills: the bundled skills a slot shows while it waits, and the uploads it may get.
        channels: serves each slot's socket (the runner waits on it for its assignment).
        root: host folder of the slots' `/skills` folders.
        size: how many ready sandboxes to keep.
        command: the sandbox's main process (the runner).
        reserve_ttl_s: a reserved slot whose environment was not used in this many **seconds** is
            destroyed (the environment then gets a cold sandbox on first use); 0 keeps it.
        replica: with replicas on one host, labels each slot with this replica's id, and start-up
            leaves the folders of live replicas' slots alone (`owners.py`).
        refill_delay_s: after a slot is taken, the pool makes the next one no sooner than this many
            **seconds** later while another slot is still ready (an empty pool refills at once).
    """

    def __init__(
        self,
        store: Store,
        site: SandboxSite,
        skills: SkillStore,
        channels: ChannelServers,
        root: Path,
        size: int,
        command: tuple[str, ...],
        *,
        reserve_ttl_s: float = 600.0,
        replica: Liveness | None = None,
        refill_delay_s: float = REFILL_DELAY_S,
    ) -> None:
        self.store = store
        self.replica = replica
        self.site = site
        self.skills = skills
        self.channels = channels
        self.root = root
        self.size = size
        self.command = command
        self.reserve_ttl_s = reserve_ttl_s
        self.refill_delay_s = refill_delay_s
        self._hold_until = 0.0
        """No refill before this `time.monotonic()` while a slot is ready (`reserve` sets it)."""
        self.max_reserved = max(4, 2 * size)
        """Most slots held by environments not yet used: creating many environments cannot hoard more."""
        self._ready: list[_Slot] = []
        self._reserved: dict[str, _Slot] = {}
        self._unclaimed: set[str] = set()
        """Container ids of slots no row names yet (made, ready or reserved): the reaper leaves them."""
        self._making: set[str] = set()
        """`POOL_LABEL` values of slots whose container the engine may have made before it answered
        with the id (a reaper listing the engine meanwhile sees a container `_unclaimed` lacks)."""
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ---- state ---------------------------------------------------------------------------------

    @property
    def ready(self) -> int:
        """How many slots wait for an environment right now."""
        return len(self._ready)

    def holds(self, sandbox_id: str, labels: Mapping[str, str] | None = None) -> bool:
        """Whether the container is a slot of this pool that no environment row names yet: its id
        known, or (by its `labels`) one whose create call has not answered yet."""
        return sandbox_id in self._unclaimed or (labels or {}).get(POOL_LABEL) in self._making

    def _memory_ok(self) -> bool:
        available = available_memory_mb()
        return available is None or available >= 2 * self.site.limits.memory_mb

    # ---- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Drop folders of slots a previous process left, then fill in the background."""
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        others = await self._others_slots()
        for folder in await asyncio.to_thread(lambda: list(self.root.iterdir())):
            if folder.name in others:
                continue
            if await self.store.environments.get_across_tenants(folder.name) is None:
                await asyncio.to_thread(shutil.rmtree, folder, True)
                await asyncio.to_thread(shutil.rmtree, self.channels.folder(folder.name), True)
        self._task = asyncio.create_task(self._fill(), name="warren-pool")

    async def _others_slots(self) -> set[str]:
        """The environment ids of the slots live other replicas on this host made (theirs to keep)."""
        if self.replica is None:
            return set()
        me, live = self.replica.id, await self.replica.live()
        listed = await self.site.backend.list()
        return {info.environment_id for info in listed if kept_by_another(info, me, live)}

    async def close(self) -> None:
        """Stop filling and destroy every slot no environment uses yet (server shutdown)."""
        self._closing.set()  # the fill loop ends after the engine call in flight (never mid-create)
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), timeout=30)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        slots = [*self._ready, *self._reserved.values()]
        self._ready.clear()
        self._reserved.clear()
        await asyncio.gather(*(self._destroy(slot) for slot in slots), return_exceptions=True)

    async def _fill(self) -> None:
        while not self._closing.is_set():
            self._expire()
            held = bool(self._ready) and time.monotonic() < self._hold_until
            if len(self._ready) < self.size and not held and self._memory_ok():
                try:
                    slot = await self._make()
                except Exception:
                    if self._closing.is_set():
                        return
                    log.exception("could not make a warm-pool sandbox; retrying in %.0f s", _RETRY_S)
                    await asyncio.sleep(_RETRY_S)
                    continue
                self._ready.append(slot)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=_RETRY_S)

    def _expire(self) -> None:
        if not self.reserve_ttl_s:
            return
        cutoff = time.monotonic() - self.reserve_ttl_s
        for env_id, slot in list(self._reserved.items()):
            if slot.reserved_at < cutoff:
                del self._reserved[env_id]
                asyncio.get_running_loop().create_task(self._destroy(slot))

    async def _make(self) -> _Slot:
        """One started sandbox whose runner already waits for its assignment."""
        site = self.site
        env_id, secret = new_environment_id(), secrets.token_urlsafe(32)
        skills = self.root / env_id
        await asyncio.to_thread(bundled_skills, self.skills, skills)
        asked = await self.channels.serve_slot(env_id, secret)

        async def issue() -> str:
            return secret

        egress = self.channels.egress
        trust_mounts, trust_env = sandbox_trust(egress.ca if egress is not None else None)
        spec = SandboxSpec(
            environment_id=env_id,
            tenant="",
            env={**trust_env, "WARREN_SOCKET": SOCKET_PATH, POOLED_ENV: "1", "BASH_ENV": ENV_FILE},
            limits=site.limits,
            mounts=(self.channels.mount(env_id), skills_mount(skills), *trust_mounts),
            runtime=site.runtime,
            command=self.command,
            labels={**site.labels, POOL_LABEL: env_id, **self._maker()},
        )
        slot = _Slot(env_id, "", secret, skills)
        try:
            self._making.add(env_id)
            try:
                info = await site.backend.create(spec)
            finally:
                self._making.discard(env_id)
            slot.sandbox_id = info.id
            self._unclaimed.add(info.id)
            self.channels.hub.arm(env_id, issue)  # the runner's first request takes it
            await site.backend.start(info.id)
            ready = asyncio.ensure_future(asked.wait())
            closing = asyncio.ensure_future(self._closing.wait())
            await asyncio.wait(
                {ready, closing}, timeout=_READY_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
            )
            ready.cancel()
            closing.cancel()
            if not asked.is_set():
                raise SandboxError("the pool sandbox's runner did not ask for its assignment")
        except BaseException:
            await self._destroy(slot)
            raise
        return slot

    def _maker(self) -> dict[str, str]:
        return {} if self.replica is None else {REPLICA_LABEL: self.replica.id}

    async def _destroy(self, slot: _Slot) -> None:
        try:
            if slot.sandbox_id:
                await self.site.backend.destroy(slot.sandbox_id)
        except SandboxError as exc:
            log.warning("could not destroy warm-pool sandbox %s: %s", slot.sandbox_id, exc)
        finally:
            self._unclaimed.discard(slot.sandbox_id)
            self.channels.hub.disarm(slot.environment_id)
            await self.channels.close(slot.environment_id)
            await asyncio.to_thread(shutil.rmtree, slot.skills, True)

    # ---- handing slots out ---------------------------------------------------------------------

    def reserve(self) -> str | None:
        """The id a new environment should take to get a ready slot, or None (make it cold).

        Called before the environment's row is created; `release` undoes it.
        """
        if not self._ready or len(self._reserved) >= self.max_reserved:
            return None
        slot = self._ready.pop(0)
        slot.reserved_at = now = time.monotonic()
        self._reserved[slot.environment_id] = slot
        if not self._ready:
            self._hold_until = 0.0  # empty: refill at once, to full size
        elif now >= self._hold_until:  # the first slot taken of a burst sets when the refill may start
            self._hold_until = now + self.refill_delay_s
            asyncio.get_running_loop().call_later(self.refill_delay_s, self._wake.set)
        self._wake.set()
        return slot.environment_id

    def take(self, environment_id: str) -> _Slot | None:
        """The slot reserved for this environment (its first sandbox), or None: make it cold."""
        return self._reserved.pop(environment_id, None)

    async def assign(
        self,
        slot: _Slot,
        record: EnvironmentRecord,
        env: dict[str, str],
        skills: SkillSet,
        workspace_tar: bytes | None,
    ) -> str:
        """Give `slot` (from `take`) to `record`: the row names it, the sources and settings go in.

        On failure the slot is destroyed and the row cleared again. Returns the sandbox id.
        """
        store = self.store
        try:
            token = await store.environments.hand_over(record.tenant, record.id, slot.sandbox_id)
            self._unclaimed.discard(slot.sandbox_id)  # the row claims it now
            selected = skills.bundled is not None or bool(skills.uploaded)
            if selected:
                await asyncio.to_thread(select_skills, self.skills, slot.skills, skills)
            if workspace_tar is not None:
                await self.site.backend.put_archive(slot.sandbox_id, "/workspace", workspace_tar)

            async def check(token: str) -> bool:
                return await store.environments.check_runner_token(record.tenant, record.id, token)

            assignment = Assignment(env=env, token=token, skills_changed=selected)
            await self.channels.assign(record.id, check, assignment)
        except BaseException:
            await self._destroy(slot)
            with contextlib.suppress(Exception):
                await store.environments.update(record.tenant, record.id, EnvironmentUpdate(sandbox_id=None))
            raise
        return slot.sandbox_id

    async def release(self, environment_id: str) -> None:
        """The environment is gone (or its create failed): destroy an unused reserved slot, drop files."""
        slot = self._reserved.pop(environment_id, None)
        if slot is not None:
            await self._destroy(slot)
        await asyncio.to_thread(shutil.rmtree, self.root / environment_id, True)
