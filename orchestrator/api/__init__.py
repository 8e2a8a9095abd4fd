"""Warren's HTTP API: the wire models, the error mapping and (beside them) the routes.

from orchestrator.api.wire import CreateInteraction, to_wire
request = CreateInteraction.model_validate({"agent": "default", "input": "Run the tests"})
body = to_wire(interaction)  # JSON-ready dict, unset fields omitted
"""
