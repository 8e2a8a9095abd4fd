"""Triggers: agent interactions created on a cron schedule, each scheduled time exactly once."""
