"""The control channel between the orchestrator and the runtime in each sandbox (hub, server, guards)."""
