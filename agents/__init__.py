"""The agent runtime that runs inside each sandbox. It imports nothing from `orchestrator`."""
