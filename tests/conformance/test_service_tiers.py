"""`service_tier` through the google-genai SDK against a live `warren serve`: the SDK sends it, and
reads back the tier applied on the interaction and on its `interaction.created` event."""

from __future__ import annotations

import pytest
from google import genai
from google.genai import _interactions_errors as errors

pytestmark = pytest.mark.conformance


def test_the_sdk_reads_back_the_tier_it_asked_for_or_standard(client: genai.Client) -> None:
    flex = client.interactions.create(model="scripted:echo", input="hi", service_tier="flex")
    default = client.interactions.create(model="scripted:echo", input="hi")
    assert (flex.status, flex.service_tier, default.service_tier) == ("completed", "flex", "standard")
    assert client.interactions.get(id=flex.id).service_tier == "flex"


def test_the_created_event_carries_the_tier(client: genai.Client) -> None:
    events = list(
        client.interactions.create(model="scripted:echo", input="hi", stream=True, service_tier="priority")
    )
    assert events[0].event_type == "interaction.created"
    assert events[0].interaction.service_tier == "priority"


def test_an_unknown_tier_is_a_400_naming_the_field(client: genai.Client) -> None:
    with pytest.raises(errors.BadRequestError) as refused:
        client.interactions.create(model="scripted:echo", input="hi", service_tier="gold")  # type: ignore[arg-type]
    assert "service_tier" in str(refused.value)
