"""An environment's settings as stored: the wire's create fields after the create-time checks.

Typed from the route edge to the sandbox: the route builds one from the request, the environment
service puts in the prepared sources, the store keeps it as JSON and gives it back validated. What
the network policy means is decided here once (`egress_allowlist`): the sandbox's network mode, the
runner's proxy variables and the egress proxy all read it from this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["EnvironmentSpec", "allowlist_entries"]


def allowlist_entries(network: object) -> list[Mapping[str, Any]] | None:
    """The allowlist entries of a wire `network` value; None when it gives no egress at all.

    `"disabled"`, `{"allowlist": "disabled"}` and an absent value all mean no egress: Warren never
    gives a sandbox unrestricted network, only an allowlist through its egress proxy.
    """
    if not isinstance(network, Mapping) or not isinstance(network.get("allowlist"), list):
        return None
    return [entry for entry in network["allowlist"] if isinstance(entry, Mapping)]


class EnvironmentSpec(BaseModel):
    """What an environment was made from (the wire `CreateEnvironmentRequest` or inline
    `EnvironmentConfig`, already checked), plus the parent of a fork."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: str | None = None
    """The wire's `mode` (echoed back)."""
    network: Literal["disabled"] | dict[str, Any] | None = None
    """The wire's network policy (`disabled` or `{"allowlist": ...}`); read it via `egress_allowlist`."""
    sources: list[dict[str, Any]] | None = None
    """The checked sources, as stored by `Sources.prepare` (uploaded skill files are on disk)."""
    custom_config: dict[str, Any] | None = None
    """The wire's opaque `custom_config` (echoed back)."""
    env: dict[str, Any] | None = None
    """Variables: plain strings go into the sandbox; credential references stay with the proxy."""
    system_instruction: str | None = None
    """The wire's `system_instruction` (kept as sent; only `self_hosted` environments would use it)."""
    forked_from: str | None = None
    """The environment whose workspace this one started as a copy of."""

    @property
    def egress_allowlist(self) -> list[Mapping[str, Any]] | None:
        """The allowlist entries when the sandbox may reach out through the egress proxy, else None."""
        return allowlist_entries(self.network)

    @property
    def variables(self) -> dict[str, str]:
        """The plain-string variables, which the sandbox gets as they are."""
        return {k: v for k, v in (self.env or {}).items() if isinstance(v, str)}

    def stored(self) -> dict[str, Any]:
        """The JSON the store keeps (unset fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)
