"""Interaction endings as webhook events, written into the outbox in the ending's own transaction.

`WebhookEvents` implements the interaction engine's `InteractionEvents` port: `ending` gives the
`Finisher` a writer that `store.steps.append_batch` runs in the transaction that stores the final
status, so an ended interaction always has its deliveries queued (and a crash loses neither).
A request's `webhook_config.uris` replace the tenant's webhooks for that interaction (as the SDK
documents); its `user_metadata` travels in every event's `data`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from orchestrator.store import Store
from orchestrator.store.interactions import InteractionRecord
from orchestrator.store.models import utcnow
from orchestrator.store.webhook_outbox import EventWriter

__all__ = ["EVENT_OF_STATUS", "INTERACTION_EVENTS", "WebhookEvents", "event_body"]

EVENT_OF_STATUS = {
    "completed": "interaction.completed",
    "incomplete": "interaction.completed",
    "failed": "interaction.failed",
    "requires_action": "interaction.requires_action",
    "cancelled": "interaction.cancelled",
}
"""The event an ending status sends (`incomplete`, a completed turn cut short, counts as completed)."""

INTERACTION_EVENTS = frozenset(EVENT_OF_STATUS.values())


def event_body(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """A delivery's JSON body, in the Standard Webhooks shape `{type, timestamp, data}`."""
    return {"type": event_type, "timestamp": utcnow().isoformat().replace("+00:00", "Z"), "data": data}


class WebhookEvents:
    """Turns endings into outbox rows and wakes the deliverer once they are committed.

    Args:
        store: the outbox.
        wake: called after an ending's transaction committed (the deliverer's `wake`).
        check_uri: refuses a URI deliveries may not go to (`WebhookService.check_uri`).
    """

    def __init__(self, store: Store, wake: Callable[[], None], check_uri: Callable[[str, str], str]) -> None:
        self._store = store
        self._wake = wake
        self._check_uri = check_uri
        self._queued = 0
        """Rows written since the deliverer was last woken (most endings have no webhook at all)."""

    def ending(self, tenant: str, interaction: InteractionRecord) -> EventWriter | None:
        """The outbox rows of this ending, to write in its transaction; None when it sends no event."""
        event_type = EVENT_OF_STATUS.get(interaction.status)
        if event_type is None:
            return None
        config = interaction.request.get("webhook_config") or {}
        data: dict[str, Any] = {"interaction_id": interaction.id, "status": interaction.status}
        if config.get("user_metadata"):
            data["user_metadata"] = config["user_metadata"]
        uris = [str(u) for u in config.get("uris") or []]
        return self._store.outbox.writer(
            tenant, event_type, event_body(event_type, data), uris=uris, wrote=self._count
        )

    def _count(self, rows: int) -> None:
        self._queued += rows

    def check_targets(self, config: Mapping[str, Any]) -> None:
        """Each of `webhook_config.uris` by its form and, for an IP literal, the address policy.

        Raises:
            InvalidArgument: naming `webhook_config.uris[i]`, with the reason.
        """
        for index, uri in enumerate(config.get("uris") or []):
            self._check_uri(str(uri), f"webhook_config.uris[{index}]")

    def written(self) -> None:
        """The ending is committed: deliver now rather than at the next poll, if it queued anything
        (waking the deliverer costs a write transaction of its own)."""
        if self._queued:
            self._queued = 0
            self._wake()
