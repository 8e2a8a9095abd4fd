"""Warren's HTTP API: the wire models, the error mapping and (beside them) the routes.

from orchestrator.api.wire.common import to_wire
from orchestrator.api.wire.interactions import CreateInteraction
request = CreateInteraction.model_validate({"agent": "default", "input": "Run the tests"})
body = to_wire(interaction)  # JSON-ready dict, unset fields omitted
"""
