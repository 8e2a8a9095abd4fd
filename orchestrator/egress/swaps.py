"""Placeholders of `environment_variable` credentials: what the sandbox sees, and the proxy's swap.

    env = placeholder_variables(spec.env)        # {"API_KEY": "wcred_3f2a..."} for the sandbox
    swaps = await swaps_for(store.credentials, tenant, spec.env, "api.example.com")
    request = swap_head(request, swaps); body = swap_body(body, swaps)

An environment's `env` may name a credential (`{"API_KEY": {"credential": "key"}}`). The sandbox
gets a placeholder in that variable, never the value: `wcred_` and 32 hex digits derived from the
credential's id (URL-, header- and JSON-safe, so it survives being put anywhere in a request). The
egress proxy swaps it for the value only in requests to a host in the credential's
`trusted_domains` (exact names), only in the `injection_location`s it declares: header values, the
URL's query (percent-encoded) and the body. Toward any other host, and in other places, the
placeholder goes out as it is. Only credentials the environment's `env` names are swapped, and only
`environment_variable` ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from orchestrator.egress.answers import Refused
from orchestrator.egress.framing import ProxyRequest, valid_header
from orchestrator.egress.logsafe import printable
from orchestrator.egress.policy import split_domain
from orchestrator.store.credentials import CredentialRepository
from orchestrator.store.sealing import SealError

__all__ = ["Swap", "placeholder", "placeholder_variables", "swap_body", "swap_head", "swaps_for"]

log = logging.getLogger("orchestrator.egress")


@dataclass(frozen=True)
class Swap:
    """One credential's placeholder, its value, and where it may be swapped."""

    placeholder: str
    value: str
    locations: frozenset[str]


def placeholder(credential_id: str) -> str:
    """The placeholder a sandbox sees for `credential_id`."""
    return "wcred_" + hashlib.sha256(credential_id.encode()).hexdigest()[:32]


def _references(env: Mapping[str, Any] | None) -> dict[str, str]:
    """`{variable: credential id}` of the variables that name a credential."""
    found = {}
    for name, value in (env or {}).items():
        if isinstance(value, Mapping) and isinstance(value.get("credential"), str) and value["credential"]:
            found[name] = value["credential"]
    return found


def placeholder_variables(env: Mapping[str, Any] | None) -> dict[str, str]:
    """The sandbox's variables for an environment's credential references: their placeholders."""
    return {name: placeholder(credential) for name, credential in _references(env).items()}


async def swaps_for(
    credentials: CredentialRepository, tenant: str, env: Mapping[str, Any] | None, host: str
) -> list[Swap]:
    """The swaps due in a request to `host`: the environment's `environment_variable` credentials
    that trust `host`."""
    swaps = []
    for credential in sorted(set(_references(env).values())):
        try:
            secret = await credentials.secret(tenant, credential)
        except SealError:
            log.warning("credential %s does not open under this key", printable(credential))
            continue
        if secret is None or secret.type != "environment_variable":
            continue
        trusted = [split_domain(str(domain))[0] for domain in secret.config.get("trusted_domains") or []]
        if host not in trusted:
            continue
        locations = frozenset(secret.config.get("injection_location") or ["header"])
        swaps.append(Swap(placeholder(credential), secret.secret, locations))
    return swaps


def swap_head(request: ProxyRequest, swaps: Sequence[Swap]) -> ProxyRequest:
    """The request with placeholders swapped in header values and the query, where allowed.

    Raises:
        Refused: a swapped header would not be a valid header (403 `credential-refused`).
    """
    headers, target = list(request.headers), request.target
    for swap in swaps:
        if "header" in swap.locations:
            headers = [(name, value.replace(swap.placeholder, swap.value)) for name, value in headers]
        path, mark, query = target.partition("?")
        if "query" in swap.locations and mark:
            target = path + mark + query.replace(swap.placeholder, quote(swap.value, safe=""))
    if not all(valid_header(name, value) for name, value in headers):
        raise Refused(403, "credential-refused", "a swapped header is not a valid header")
    return dataclasses.replace(request, headers=tuple(headers), target=target)


def swap_body(body: bytes, swaps: Sequence[Swap]) -> bytes:
    """The body with placeholders swapped, where allowed."""
    for swap in swaps:
        if "body" in swap.locations:
            body = body.replace(swap.placeholder.encode(), swap.value.encode())
    return body
