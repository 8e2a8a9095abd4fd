"""`webhook_config` is checked when the interaction is created: bounded, and each URI by its form and
(for an IP literal) the address policy, before anything is stored (issue 15)."""

from __future__ import annotations

from tests.unit.api_app.conftest import App
from tests.unit.api_app.refusal_checks import assert_refused

ROUTE = "/v1beta/interactions"


def _body(config: object) -> dict[str, object]:
    return {"model": "scripted:echo", "input": "hi", "webhook_config": config}


async def test_webhook_config_is_refused_at_create_naming_the_uri(api: App) -> None:
    many = [f"https://hooks.example.com/{i}" for i in range(9)]
    await assert_refused(
        api,
        [
            # a metadata address is refused by the policy's decision on the literal: nothing connects
            (
                "metadata",
                ROUTE,
                _body({"uris": ["http://169.254.169.254/x"]}),
                "webhook_config.uris[0]",
                "policy",
            ),
            (
                "loopback",
                ROUTE,
                _body({"uris": ["https://a.example.com/", "http://127.0.0.1:9/"]}),
                "webhook_config.uris[1]",
                "policy",
            ),
            (
                "scheme",
                ROUTE,
                _body({"uris": ["ftp://hooks.example.com/"]}),
                "webhook_config.uris[0]",
                "http",
            ),
            (
                "user info",
                ROUTE,
                _body({"uris": ["https://u:p@hooks.example.com/"]}),
                "webhook_config.uris[0]",
                "user info",
            ),
            ("too many", ROUTE, _body({"uris": many}), "webhook_config.uris", "8"),
            (
                "metadata size",
                ROUTE,
                _body({"user_metadata": {"x": "y" * 20_000}}),
                "webhook_config.user_metadata",
                "bytes",
            ),
        ],
    )


async def test_a_named_public_uri_is_accepted(api: App) -> None:
    response = await api.a.post(ROUTE, json=_body({"uris": ["https://hooks.example.com/w"]}))
    assert response.status_code == 200, response.text
