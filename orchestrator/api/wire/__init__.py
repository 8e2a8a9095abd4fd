"""Warren's wire models: the JSON of spec/managed-agents-wire.md, sections 4-11, under the spec's names.

Request models refuse unknown fields; responses go out through `common.to_wire`, which omits unset
fields. Import a model from the module that defines it; the modules follow the resources:
`agents`, `environments`, `files`, `credentials`, `interactions`, `steps` (+ `server_steps`),
`deltas` (+ `server_deltas`), `events` (SSE); shared pieces are `common` (the base model, scalars,
`to_wire`), `content`, `annotations`, `media`, `results`, `tools`, `generation`, `usage`,
`error_body`, and `paths` (validation errors as `input[0].call_id` field paths).

    from orchestrator.api.wire.common import to_wire
    from orchestrator.api.wire.interactions import CreateInteraction
    request = CreateInteraction.model_validate({"agent": "default", "input": "Run the tests"})
"""
