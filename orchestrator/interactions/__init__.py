"""The interaction engine: accept an interaction, run it, record its steps and events, answer reads.

    service = InteractionService(store, gateway, scheduler, agent_runner=runner)
    record = await service.create(tenant, {"model": "scripted:echo", "input": "hi"})
    answer = await service.wait(tenant, record.id)

`service.InteractionService` is the one entry point; `docs/architecture.md` maps the rooms behind it.
"""
