"""`/{v}/credentials`: values are write-only and tenant-scoped."""

from __future__ import annotations

import json

from tests.unit.api_app.conftest import App

V = "/v1beta"


async def test_credentials_are_write_only_and_scoped(api: App) -> None:
    made = await api.a.post(f"{V}/credentials", json={"type": "bearer_token", "id": "gh", "token": "tok-123"})
    assert made.status_code == 200, made.text
    assert made.json()["id"] == "gh" and made.json()["type"] == "bearer_token"
    for response in (made, await api.a.get(f"{V}/credentials/gh"), await api.a.get(f"{V}/credentials")):
        assert response.status_code == 200 and "tok-123" not in response.text
    assert (await api.b.get(f"{V}/credentials/gh")).status_code == 404
    assert (await api.b.delete(f"{V}/credentials/gh")).status_code == 404
    assert "gh" not in (await api.b.get(f"{V}/credentials")).text
    again = await api.a.post(f"{V}/credentials", json={"type": "bearer_token", "id": "gh", "token": "x"})
    assert again.status_code == 409
    bad = await api.a.post(f"{V}/credentials", json={"type": "oauth2", "id": "o"})
    assert bad.status_code == 400
    assert (await api.a.delete(f"{V}/credentials/gh")).json() == {}
    assert (await api.a.get(f"{V}/credentials/gh")).status_code == 404
    secret = await api.services.store.credentials.secret("tenant-a", "gh")
    assert secret is None


async def test_update_changes_fields_and_secrets_of_the_same_type_only(api: App) -> None:
    made = await api.a.post(
        f"{V}/credentials",
        json={"type": "environment_variable", "id": "ev", "value": "old-v", "trusted_domains": ["a.example"]},
    )
    assert made.status_code == 200, made.text
    changed = await api.a.patch(
        f"{V}/credentials/ev",
        json={"type": "environment_variable", "value": "new-v", "injection_location": ["query", "body"]},
    )
    assert changed.status_code == 200 and "new-v" not in changed.text, changed.text
    assert changed.json()["update_time"] >= made.json()["update_time"]
    stored = await api.services.store.credentials.secret("tenant-a", "ev")
    assert stored is not None and stored.secret == "new-v"
    assert stored.config == {"trusted_domains": ["a.example"], "injection_location": ["body", "query"]}
    wrong = await api.a.patch(f"{V}/credentials/ev", json={"type": "bearer_token", "token": "t"})
    assert wrong.status_code == 400 and "type" in wrong.text
    assert (
        await api.b.patch(f"{V}/credentials/ev", json={"type": "environment_variable"})
    ).status_code == 404
    empty = await api.a.post(
        f"{V}/credentials",
        json={"type": "environment_variable", "id": "e2", "value": "v", "injection_location": []},
    )
    assert empty.status_code == 400


async def test_oauth2_secrets_are_write_only_and_its_token_url_is_checked(api: App) -> None:
    body = {
        "type": "oauth2",
        "id": "oa",
        "client_id": "cid",
        "client_secret": "cs-1",
        "refresh_token": "rt-1",
        "token_url": "https://auth.example.com/token",
        "scopes": ["read"],
    }
    made = await api.a.post(f"{V}/credentials", json=body)
    assert made.status_code == 200 and made.json()["type"] == "oauth2", made.text
    assert "cs-1" not in made.text and "rt-1" not in made.text
    renewed = await api.a.patch(f"{V}/credentials/oa", json={"type": "oauth2", "refresh_token": "rt-2"})
    assert renewed.status_code == 200 and "rt-2" not in renewed.text
    stored = await api.services.store.credentials.secret("tenant-a", "oa")
    assert stored is not None
    assert json.loads(stored.secret) == {"client_secret": "cs-1", "refresh_token": "rt-2"}, (
        "the other half kept"
    )
    assert stored.config["token_url"] == "https://auth.example.com/token" and stored.config["scopes"] == [
        "read"
    ]
    for url in ("http://169.254.169.254/token", "http://127.0.0.1:9/token", "ftp://auth.example.com/t"):
        refused = await api.a.post(f"{V}/credentials", json={**body, "id": "bad", "token_url": url})
        assert refused.status_code == 400 and "token_url" in refused.text, (url, refused.text)


async def test_update_mask_limits_the_change_to_the_fields_it_names(api: App) -> None:
    made = await api.a.post(
        f"{V}/credentials", json={"type": "bearer_token", "id": "b", "token": "t-1", "prefix": "Token"}
    )
    assert made.status_code == 200
    body = {"type": "bearer_token", "token": "t-2", "prefix": "Bearer"}
    changed = await api.a.patch(f"{V}/credentials/b", params={"update_mask": "token"}, json=body)
    assert changed.status_code == 200, changed.text
    stored = await api.services.store.credentials.secret("tenant-a", "b")
    assert stored is not None and stored.secret == "t-2" and stored.config["prefix"] == "Token"
    unknown = await api.a.patch(f"{V}/credentials/b", params={"update_mask": "token,colour"}, json=body)
    assert unknown.status_code == 400 and "update_mask" in unknown.text
