"""`store: false`: the interaction answers its create, then is gone (issue 15, `interactions/unstored.py`).

Once it has ended, `get` answers 404, `previous_interaction_id` cannot name it, and its row, steps
and events are deleted; a create that streams still gets every event, even if the interaction ended
before the stream began. `store: true` (and absent) keeps it, as before.
"""

from __future__ import annotations

import json
from typing import Any

from tests.unit.api_app.conftest import App

INTERACTIONS = "/v1beta/interactions"


def _model(**fields: Any) -> dict[str, Any]:
    return {"model": "scripted:echo", "input": "hello there", **fields}


async def test_an_unstored_interaction_answers_then_is_gone(api: App) -> None:
    before = await api.row_counts()
    created = await api.a.post(INTERACTIONS, json=_model(store=False))
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["status"] == "completed" and body["steps"][-1]["type"] == "model_output"
    assert (await api.a.get(f"{INTERACTIONS}/{body['id']}")).status_code == 404
    assert (await api.a.get(f"{INTERACTIONS}/{body['id']}", params={"stream": "true"})).status_code == 404
    follow = await api.a.post(INTERACTIONS, json=_model(previous_interaction_id=body["id"]))
    assert follow.status_code == 404, follow.text
    assert follow.json()["error"]["message"].startswith("previous_interaction_id: ")
    after = await api.settled_counts()
    for table in ("interactions", "steps", "events"):
        assert after[table] == before[table], f"{table} kept rows of an unstored interaction"


async def test_a_streamed_unstored_interaction_sends_every_event(api: App) -> None:
    async with api.a.stream("POST", INTERACTIONS, json=_model(store=False, stream=True)) as response:
        assert response.status_code == 200
        events = [
            json.loads(line[len("data: ") :])
            async for line in response.aiter_lines()
            if line.startswith("data: {")
        ]
    kinds = [event["event_type"] for event in events]
    assert kinds[0] == "interaction.created" and kinds[-1] == "interaction.completed", kinds
    assert [event["event_id"] for event in events] == [str(i) for i in range(len(events))]
    interaction_id = events[0]["interaction"]["id"]
    await api.services.interactions.wait("tenant-a", interaction_id)  # the job has ended and forgotten it
    assert (await api.a.get(f"{INTERACTIONS}/{interaction_id}")).status_code == 404


async def test_stored_interactions_are_kept(api: App) -> None:
    for fields in ({"store": True}, {}):
        created = (await api.a.post(INTERACTIONS, json=_model(**fields))).json()
        got = await api.a.get(f"{INTERACTIONS}/{created['id']}")
        assert got.status_code == 200 and got.json()["status"] == "completed"
        follow = await api.a.post(INTERACTIONS, json=_model(previous_interaction_id=created["id"]))
        assert follow.status_code == 200, follow.text
