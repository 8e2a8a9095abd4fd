"""The "Use Warren from ..." snippets of docs/clients.md, run unchanged by tests/partners/test_snippets.py."""
