"""Observability: Prometheus metrics, OpenTelemetry traces and JSON logs, below every service.

A low layer (beside `config`): services import its instruments and helpers, it imports none of them.
"""
