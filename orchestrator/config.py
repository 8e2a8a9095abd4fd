"""Server settings: flags, then `WARREN_*` environment variables, then defaults."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from orchestrator.address_allowance import AddressAllowance

__all__ = ["Settings"]


def _data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "warren"


_ALIAS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+/-]{0,127}\*?")


def _name_pairs(value: object, setting: str) -> object:
    """`name=target,...` as a dict, refusing what an operator surely did not mean (an entry without
    `=`, an empty side, a name twice, a name outside the model-name alphabet) by the setting's name."""
    if not isinstance(value, str):
        return value
    pairs: dict[str, str] = {}
    for entry in (part.strip() for part in value.split(",") if part.strip()):
        name, sep, target = (side.strip() for side in entry.partition("="))
        if not sep or not target or not _ALIAS.fullmatch(name):
            raise ValueError(
                f"{setting}: {entry[:160]!r} must be 'name=target' (name: letters, digits, '._@+/-')"
            )
        if name in pairs:
            raise ValueError(f"{setting}: {name!r} is given twice")
        pairs[name] = target
    return pairs


class Settings(BaseModel):
    """Everything `warren serve` can be told; every field has a `WARREN_<NAME>` variable."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(default_factory=_data_dir)
    """Where the SQLite file, runner sockets and upload spool live."""
    database_url: str | None = None
    """SQLAlchemy URL; default a SQLite file in `data_dir`. PostgreSQL: `postgresql+asyncpg://...`."""
    dev: bool = False
    """Local single-user mode: create an API key at start-up and print it."""
    max_running: int = Field(64, ge=1)
    """Most interactions running at once."""
    max_running_per_tenant: int = Field(16, ge=1)
    """Most interactions of one tenant running at once."""
    sandboxes: bool = True
    """Run agent interactions and files in sandboxes (needs a Docker engine)."""
    sandbox_image: str | None = None
    """Sandbox image tag; default: build or find the image for this source tree."""
    runtime: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    """OCI runtime of every sandbox, as registered with the Docker engine (`runsc` for gVisor, which
    `make engine` registers). Default: `runsc` when the engine has it, else `runc` with one warning
    at start-up (`sandbox/runtimes.py`). A runtime the engine lacks stops the server at start-up."""
    retention_days: float = Field(55.0, gt=0)
    """Stored interactions older than this are deleted with their steps."""
    max_body_bytes: int = Field(32 << 20, ge=1024)
    """Largest request body accepted (uploads included); larger gets 413."""
    max_open_uploads: int = Field(8, ge=1)
    """Most resumable uploads one tenant may hold open at once (each buffers up to `max_body_bytes`
    in memory until finalized or expired after an hour); past it, 429."""
    upload_idle_s: float = Field(120.0, gt=0)
    """A resumable upload that received no bytes this many seconds after its start is dropped, so an
    abandoned handshake does not hold one of `max_open_uploads` for the hour."""
    max_queued_per_tenant: int = Field(100, ge=1)
    """Most interactions one tenant may have waiting for a slot (beyond `max_running_per_tenant`
    running); one more gets 429."""
    tier_aging_s: float = Field(60.0, gt=0)
    """Service tiers: each this many seconds of waiting moves a `flex` or `standard` interaction up
    one class (`flex` → `standard` → `priority`), so no tier starves."""
    deferred_aging_s: float = Field(300.0, ge=0)
    """Service tiers: a `deferred` interaction that waited this long counts as `flex` (before that it
    starts only when no other tier waits for the slot)."""
    trigger_max_per_tenant: int = Field(100, ge=0)
    """Triggers: the most one tenant may have; one more gets 429."""
    trigger_tick_s: float = Field(5.0, gt=0)
    """Triggers: how often the firing loop looks for due triggers and ended executions (seconds)."""
    secret_key: SecretStr | None = None
    """The key credential secrets are sealed with at rest: base64url of 32 random bytes. Default:
    `data_dir/secret.key`, made (0600) on first start. Replicas sharing a database need the same key."""
    metrics: bool = True
    """Count the Prometheus metrics and serve `GET /metrics` (`WARREN_METRICS`); off, every metric
    point is a no-op and `/metrics` is a 404 (for an operator who scrapes nothing)."""
    metrics_token: SecretStr | None = Field(None, min_length=16, max_length=256)
    """When set, `GET /metrics` needs `Authorization: Bearer <this>`; unset (the default), the
    metrics are open to anyone who reaches the API port (they hold agent, model and tenant names)."""
    rate_limit_per_s: float = Field(100.0, ge=0)
    """Sustained requests per second one API key may make (0 turns limiting off); past it, 429. On
    PostgreSQL the budget is shared by every server on the database (`store/rate_buckets.py`)."""
    rate_limit_burst: int = Field(300, ge=1)
    """Requests one API key may send at once before the per-second rate applies."""
    max_shells_per_environment: int = Field(4, ge=1)
    """Most shell WebSockets (`warren attach`) open at once on one environment; one more is closed
    with 4429."""
    max_shells_per_tenant: int = Field(8, ge=1)
    """Most shell WebSockets one tenant may have open at once, over all its environments; one more
    is closed with 4429."""
    max_preview_connections_per_environment: int = Field(16, ge=1)
    """Most preview-URL connections (HTTP requests in flight and WebSockets) open at once on one
    environment; one more is answered 429 (a WebSocket is closed with 4429)."""
    max_preview_connections_per_tenant: int = Field(64, ge=1)
    """Most preview-URL connections one tenant may have open at once, over all its environments."""
    preview_idle_s: float = Field(300.0, gt=0)
    """A preview connection on which neither side sent a byte for this long, in **seconds**, is closed."""
    preview_link_ttl_s: int = Field(3600, ge=60, le=7 * 86400)
    """Life of a signed preview link (the browser's `warren_preview` token), in **seconds**."""
    docker_threads: int = Field(16, ge=1)
    """Worker threads (and pooled engine connections) for Docker SDK calls, apart from the threads
    the rest of the server uses, so slow engine calls never queue other work or the reverse."""
    source_roots: list[Path] = Field(default_factory=list)
    """Host folders that `folder` sources (and `file://` repositories) may read from; empty refuses both.
    `WARREN_SOURCE_ROOTS` is an `os.pathsep`-separated list of absolute paths."""
    scripts_dir: Path | None = None
    """A folder of the operator's scripts for the offline `scripted` provider: `scripted:<name>` plays
    `<name>.yaml` (`.yml`, `.json`) from here, else from the bundled scripts. Never a path from a
    request; tests point it at their script folders."""
    default_provider: str = Field("gemini", pattern=r"^([a-z][a-z0-9_-]{0,31})?$")
    """The provider of bare model names of its family (`gemini-3-flash-preview` goes to `gemini`
    unchanged; `gateway/routing.py`); empty: bare names must be aliases. Never `scripted`."""
    model_aliases: dict[str, str] = Field(default_factory=dict)
    """Bare model names served by another model (`WARREN_MODEL_ALIASES`, comma-separated
    `name=provider:model`, e.g. `gemini-3-flash-preview=openai:qwen3`); checked at start-up."""
    agent_aliases: dict[str, str] = Field(default_factory=dict)
    """More agent names (`WARREN_AGENT_ALIASES`, comma-separated `name=agent`; a name ending in `*`
    is a prefix), over the built-in ones (`antigravity-*=default`, `deep-research-*=research`)."""
    skills_dir: Path | None = None
    """The bundled skills on this host (what the image holds at `/skills`); default the source tree's
    `skills/`. Needed to mount a selection of bundled skills."""
    max_source_bytes: int = Field(256 << 20, ge=1024)
    """Largest repository clone or folder a source may bring into a workspace, in bytes."""
    clone_timeout_s: float = Field(120.0, gt=0)
    """Deadline of one `git clone` of a repository source, in seconds."""
    allow_private_repository_hosts: bool = False
    """Let repository sources clone from hosts on loopback or private addresses (an internal git server),
    and over plain `http://` from such hosts only; otherwise only `https://` to public addresses."""
    max_clones_per_tenant: int = Field(2, ge=1)
    """Most environments of one tenant cloning repository sources at once; one more gets 429."""

    public_docs: bool = False
    """Serve the API reference (`/docs`, `/redoc`, `/openapi.json`); they need no API key, so they
    are off by default: a self-hosted server shows the unauthenticated no more than it must (the
    routes, their extensions and limits). Turn on for development or a public API reference."""

    max_multipart_parts: int = Field(1000, ge=1)
    """Most parts a `multipart/*` request body may have; more gets 413 (counted as the body streams)."""
    tenant_max_sandboxes: int = Field(10, ge=1)
    """Most sandboxes one tenant may have running (or being made) at once; one more gets 429."""
    tenant_token_limit: int = Field(0, ge=0)
    """Most model tokens one tenant may use in `tenant_token_window_s`; past it new interactions get
    429. 0 (the default) means unlimited."""
    tenant_token_window_s: float = Field(86400.0, gt=0)
    """The rolling window of `tenant_token_limit`, in seconds (counted from per-UTC-day usage rows,
    the oldest day weighted by the part of it inside the window)."""
    workspace_bytes: int = Field(2 << 30, ge=0)
    """Size of every sandbox's `/workspace`, in bytes: a loop-mounted ext4 image of this size, so a
    full workspace fails with ENOSPC and never fills the host disk. 0 turns the bound off (a plain
    Docker volume). Needs root (losetup); without it Warren warns and falls back to a plain volume."""
    workspace_dir: Path = Path("/var/lib/warren/workspaces")
    """Host folder of the workspace images (sparse files: they use only what is written)."""

    idle_stop_s: float = Field(600.0, ge=0)
    """Stop an environment's sandbox after this many seconds unused (it resumes, `/workspace` intact,
    on the next use); 0 never stops one."""
    idle_keep_memory: bool = True
    """Pause an idle sandbox with its processes and memory (a gVisor checkpoint on the host's disk,
    about the sandbox's memory in size) so its next use finds the Python kernel's variables and
    running servers where they were. Needs gVisor and the engine's experimental features (`make
    engine` turns them on); elsewhere, or when the checkpoint fails, the sandbox is stopped as with
    false: files and installed packages kept, processes lost."""
    lifecycle_interval_s: float = Field(30.0, gt=0)
    """How often, in seconds, idle sandboxes are stopped and unclaimed containers and volumes reaped."""
    orphan_grace_s: float = Field(120.0, ge=0)
    """A container or volume no environment claims is removed once older than this, in seconds."""
    pool_size: int = Field(2, ge=0)
    """Warm pool: how many started sandboxes (runner waiting) to keep for new environments, refilled
    in the background; none is made while the host's available memory is below twice a sandbox's
    memory limit. 0 turns the pool off (every sandbox is made on first use)."""
    replica_beat_s: float = Field(2.0, gt=0, le=60)
    """On PostgreSQL: seconds between a replica's heartbeats (each renews its interaction leases) and
    between its takeover rounds."""
    replica_dead_after_s: float = Field(10.0, gt=0, le=600)
    """On PostgreSQL: a replica silent this many seconds is dead; its interactions' leases lapse and
    another replica on the same host takes them over. Must exceed twice `replica_beat_s`."""
    shutdown_grace_s: float = Field(10.0, ge=0)
    """On SIGTERM, running interactions get this many seconds to finish; agent interactions still
    running then are left to their sandboxes and resume when the server starts again."""
    runner_timeout_s: float = Field(30.0, gt=0)
    """An agent interaction resumed after a restart fails if its sandbox's runner stays silent this
    many seconds."""
    model_call_timeout_s: float = Field(120.0, gt=0)
    """Most seconds one model call may take before it is abandoned (and retried, within the deadline)."""
    model_deadline_s: float = Field(300.0, gt=0)
    """Most seconds one model turn may take across all its retries (429, 5xx, timeouts); past it the
    turn fails with a clear error."""
    max_steps: int = Field(50, ge=1)
    """Default step budget of an agent interaction: most model calls; past it, `budget_exceeded`."""
    max_wall_s: float = Field(1800.0, gt=0)
    """Default wall-clock budget of an agent interaction, in seconds; past it, `budget_exceeded`."""
    max_total_tokens: int = Field(2_000_000, ge=1)
    """Default token budget of an agent interaction (input + output of all its model calls) when
    its agent sets no `max_total_tokens`; past it, `budget_exceeded`."""
    hooks_fail_closed: bool = False
    """A tool hook (`.agents/hooks.json`, a skill's `hooks.json`) that fails, or a hooks file that
    cannot be read, refuses the tool call (`WARREN_HOOKS_FAIL_CLOSED`); default: it is skipped
    (fail open, as Google's agents do)."""

    sandbox_labels: dict[str, str] = Field(default_factory=dict)
    """Extra labels on every container and volume this server makes (`WARREN_SANDBOX_LABELS`, a
    comma-separated list of `key=value`), e.g. to tell one deployment's sandboxes from another's
    on a shared engine; the test suite tags its own this way and removes only those."""

    egress_allow_addresses: list[str] = Field(default_factory=list)
    """Addresses or ranges (CIDR), each with the one port it opens, that the egress proxy may
    connect to although they are private, loopback, link-local or this host's own: `127.0.0.1:8443`,
    `10.1.2.0/24:443`, `[fd00::1]:443`; `10.1.2.0/24:*` opens every port, and a bare range is an
    error. Empty (the default) refuses all of them. `WARREN_EGRESS_ALLOW_ADDRESSES` is a
    comma-separated list."""
    egress_hosts: dict[str, str] = Field(default_factory=dict)
    """Fixed answers the egress proxy uses instead of DNS for these names (`name=address`); the
    answers still pass the address rules. `WARREN_EGRESS_HOSTS` is a comma-separated list of
    `name=address` pairs. Tests map a name to their own listener on 127.0.0.1 this way."""
    webhook_backoff_base_s: float = Field(10.0, gt=0)
    """Webhooks: the wait after a delivery's first failed attempt; it doubles per attempt (with jitter)."""
    webhook_backoff_max_s: float = Field(3600.0, gt=0)
    """Webhooks: the longest wait between two attempts of one delivery."""
    webhook_give_up_s: float = Field(86400.0, gt=0)
    """Webhooks: a delivery this old is given up, and a webhook failing this long is disabled
    (`disabled_due_to_failed_deliveries`). Deliveries pass the egress address rules
    (`egress_allow_addresses`, `egress_hosts`)."""
    webhook_timeout_s: float = Field(10.0, gt=0)
    """Webhooks: one delivery attempt's deadline."""
    webhook_poll_s: float = Field(1.0, gt=0)
    """Webhooks: how often the outbox is read when no new event wakes the deliverer."""
    model_url_allowlist: list[str] = Field(default_factory=list)
    """Hosts the model form's `url_context` may fetch, in the grammar of an environment's network
    allowlist domains (`example.com`, `*.wikipedia.org`, `docs.internal:8080`);
    `WARREN_MODEL_URL_ALLOWLIST` is a comma-separated list. Fetches leave from the orchestrator and
    pass the egress address rules too (`egress_allow_addresses`). Empty (the default): `url_context`
    is refused in the model form."""
    search_url: str | None = Field(None, pattern=r"^https?://[^\s]{1,2000}$")
    """A SearXNG-compatible JSON search endpoint (`GET <url>?q=...&format=json`) for the model form's
    `google_search`; it passes the egress address rules, so a backend on loopback or a private
    network needs its `address:port` in `egress_allow_addresses`. None: `google_search` is refused."""

    @field_validator("workspace_bytes")
    @classmethod
    def _workspace_fits_a_filesystem(cls, size: int) -> int:
        if 0 < size < 16 << 20:
            raise ValueError("workspace_bytes must be 0 (unbounded) or at least 16 MiB (16777216)")
        return size

    @field_validator("egress_allow_addresses", mode="before")
    @classmethod
    def _split_ranges(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("egress_allow_addresses")
    @classmethod
    def _ranges_are_networks(cls, ranges: list[str]) -> list[str]:
        for item in ranges:
            AddressAllowance.parse(item)  # a ValueError names the entry and the form to write
        return ranges

    @field_validator("sandbox_labels", mode="before")
    @classmethod
    def _split_labels(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [part.strip().partition("=") for part in value.split(",") if part.strip()]
            return {key.strip(): label.strip() for key, _, label in pairs}
        return value

    @field_validator("model_url_allowlist", mode="before")
    @classmethod
    def _split_url_allowlist(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("egress_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [part.strip().partition("=") for part in value.split(",") if part.strip()]
            return {name.strip().lower(): address.strip() for name, _, address in pairs}
        return value

    @field_validator("model_aliases", "agent_aliases", mode="before")
    @classmethod
    def _split_aliases(cls, value: object, info: ValidationInfo) -> object:
        return _name_pairs(value, f"WARREN_{str(info.field_name).upper()}")

    @field_validator("egress_hosts")
    @classmethod
    def _hosts_are_addresses(cls, hosts: dict[str, str]) -> dict[str, str]:
        for name, address in hosts.items():
            try:
                ipaddress.ip_address(address)
            except ValueError as exc:
                raise ValueError(f"egress host {name!r} needs an IP address, not {address!r}") from exc
        return {name.lower().rstrip("."): address for name, address in hosts.items()}

    @field_validator("source_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.split(os.pathsep) if part]
        return value

    @field_validator("source_roots")
    @classmethod
    def _roots_are_safe(cls, roots: list[Path]) -> list[Path]:
        for root in roots:
            if not root.is_absolute():
                raise ValueError(f"source root {str(root)!r} must be an absolute path")
            if Path(os.path.realpath(root)) == Path("/"):
                raise ValueError("the filesystem root '/' cannot be a source root")
        return roots

    @model_validator(mode="after")
    def _leases_outlive_beats(self) -> Settings:
        """A lease renewed every beat must survive one missed beat, or live replicas lose their work."""
        if self.replica_dead_after_s <= 2 * self.replica_beat_s:
            raise ValueError("replica_dead_after_s must be more than twice replica_beat_s")
        return self

    @model_validator(mode="after")
    def _roots_hold_no_warren_data(self) -> Settings:
        """A source root may not hold Warren's own folders, nor lie inside them: a `folder` source or a
        `file://` repository would read the store, other tenants' clones or their workspaces."""
        own = {"data_dir": self.data_dir, "workspace_dir": self.workspace_dir}
        if self.database_url and self.database_url.startswith("sqlite") and ":///" in self.database_url:
            own["database_url"] = Path(self.database_url.split(":///", 1)[1].partition("?")[0])
        for root in self.source_roots:
            real_root = Path(os.path.realpath(root))
            for name, folder in own.items():
                real = Path(os.path.realpath(folder))
                if real.is_relative_to(real_root) or real_root.is_relative_to(real):
                    raise ValueError(
                        f"source root {str(root)!r} overlaps {name} {str(folder)!r}: "
                        "source roots must be apart from Warren's own data"
                    )
        return self

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from `WARREN_*` variables, with explicit `overrides` (flags) taking precedence."""
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = os.environ.get(f"WARREN_{name.upper()}")
            if raw is not None:
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)
