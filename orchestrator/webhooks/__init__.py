"""Webhooks: signed deliveries of a tenant's events from a durable outbox, through the address policy.

`service.WebhookService` is what the API uses; `deliverer.Deliverer` is the background loop that
claims due outbox rows and posts them; `events.WebhookEvents` turns an interaction's ending into
outbox rows written in the ending's own transaction.
"""
