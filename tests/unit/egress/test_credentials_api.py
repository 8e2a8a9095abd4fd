"""`/{v}/credentials`: values are write-only and tenant-scoped."""

from __future__ import annotations

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
