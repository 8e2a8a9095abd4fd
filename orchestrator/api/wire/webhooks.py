"""Webhooks (the SDK's `webhooks` resource): where a tenant's events are posted, signed.

`subscribed_events` takes the interaction events Warren sends (and `trigger.execution.*` for
triggers); the SDK's batch and video events are refused with a 400, since Warren never sends them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import WireModel
from .scalars import Timestamp

__all__ = [
    "CreateWebhook",
    "DeliveryAttempt",
    "RotateSigningSecret",
    "SigningSecret",
    "UpdateWebhook",
    "Webhook",
    "WebhookDelivery",
    "WebhookDeliveryList",
    "WebhookList",
    "WebhookRotateSigningSecretResponse",
]

Event = Literal[
    "interaction.completed",
    "interaction.failed",
    "interaction.requires_action",
    "interaction.cancelled",
    "trigger.execution.completed",
    "trigger.execution.failed",
]
"""An event a webhook may subscribe to."""

State = Literal["enabled", "disabled", "disabled_due_to_failed_deliveries"]


class CreateWebhook(WireModel):
    """`webhooks.create`."""

    uri: str = Field(min_length=1, max_length=2048)
    """Where events are posted: an http(s) URI; checked against the address policy."""
    subscribed_events: list[Event] = Field(min_length=1, max_length=16)
    """The events to post."""
    name: str | None = Field(None, max_length=256)
    """A label of the caller's."""


class UpdateWebhook(WireModel):
    """`webhooks.update` (with `update_mask` naming the fields to change; absent: those present)."""

    uri: str | None = Field(None, min_length=1, max_length=2048)
    """A new URI."""
    subscribed_events: list[Event] | None = Field(None, min_length=1, max_length=16)
    """New events."""
    name: str | None = Field(None, max_length=256)
    """A new label."""
    state: Literal["enabled", "disabled"] | None = None
    """Pause (`disabled`) or resume (`enabled`, also after `disabled_due_to_failed_deliveries`)."""


class RotateSigningSecret(WireModel):
    """`webhooks.rotate_signing_secret`."""

    revocation_behavior: (
        Literal["revoke_previous_secrets_after_h24", "revoke_previous_secrets_immediately"] | None
    ) = None
    """When the previous secrets stop signing; default after 24 hours."""


class SigningSecret(WireModel):
    """A signing secret as it may be shown."""

    truncated_secret: str
    """`whsec_...` and the last four characters."""
    expire_time: Timestamp | None = None
    """When it stops signing (absent for the current one)."""


class Webhook(WireModel):
    """A webhook."""

    id: str
    name: str | None = None
    uri: str
    subscribed_events: list[str]
    state: State
    signing_secrets: list[SigningSecret]
    new_signing_secret: str | None = None
    """Only in `create`'s answer: the secret, shown this once."""
    create_time: Timestamp
    update_time: Timestamp


class WebhookList(WireModel):
    """A page of webhooks."""

    webhooks: list[Webhook]
    next_page_token: str | None = None


class WebhookRotateSigningSecretResponse(WireModel):
    """The new secret, shown this once."""

    secret: str


class DeliveryAttempt(WireModel):
    """One attempt at a delivery."""

    attempt: int
    time: str
    status: int | None = None
    """The receiver's HTTP status; absent when no answer came."""
    error: str | None = None
    """Why the attempt failed (refused address, timeout, non-2xx)."""


class WebhookDelivery(WireModel):
    """Warren extension: one event to one destination, and its attempts."""

    id: str
    webhook_id: str | None = None
    uri: str | None = None
    message_id: str
    """The `webhook-id` header: the same on every attempt."""
    event_type: str
    state: Literal["pending", "delivered", "failed", "refused"]
    attempts: list[DeliveryAttempt]
    next_attempt_time: Timestamp | None = None
    create_time: Timestamp


class WebhookDeliveryList(WireModel):
    """A page of the delivery log."""

    deliveries: list[WebhookDelivery]
    next_page_token: str | None = None
