"""Unit tests of the HTTP API layer: wire models and error mapping."""
