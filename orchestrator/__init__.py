"""Warren's control plane: the API, the store, the sandbox backends, the model gateway and the CLI.

from orchestrator.sandbox import DockerBackend, SandboxSpec
async with DockerBackend() as backend:
    sandbox = await backend.create(SandboxSpec(environment_id="env_1", tenant="t1"))
"""

__version__ = "0.1.0"
