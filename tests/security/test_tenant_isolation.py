"""Two tenants: every route called with the other tenant's ids answers 404, and no list shows them.

SECURITY-CHECKLIST "IDOR / BOLA"; issue 3, acceptance "Two tenants". The routes come from the
OpenAPI document, not from a list in this file: a new route with an id parameter is called too, and
the test fails until `ID_PARAMETERS` says how to fill that parameter with one of tenant A's ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from tests.unit.api_app.conftest import App

pytestmark = [pytest.mark.security, pytest.mark.integration]

V = "/v1beta"


@dataclass
class TenantA:
    """Ids of resources tenant A owns, by the parameter name that carries them."""

    ids: dict[str, str]


ID_PARAMETERS = {
    "agent_id": "agent",
    "environment_id": "environment",
    "interaction_id": "interaction",
    "upload_id": "upload",
    "file_path": "file",
    "credential_id": "credential",
    "trigger_id": "trigger",
    "webhook_id": "webhook",
}
"""Each path or required query parameter that names a tenant's resource, and which of A's it gets."""

FIXED_PARAMETERS = {"api_version": "v1beta", "port": "8000", "path": "index.html"}
"""Parameters that name no tenant resource."""

VARIANTS: dict[str, list[dict[str, str]]] = {
    "interactions-get": [{}, {"stream": "true"}, {"include_input": "true"}],
    "files-get": [{}, {"alt": "media"}],
}
"""Optional query parameters that take another code path, per operation id."""

BODIES: dict[str, bytes] = {"preview-open_port": b'{"port": 8000}'}
"""Bodies of operations whose required fields are checked before the tenant (every other gets `{}`)."""


async def _upload(c: httpx.AsyncClient, env_id: str, path: str, data: bytes, *, finish: bool = True) -> str:
    start = await c.put(
        f"/upload{V}/environments/{env_id}/files/{path}",
        headers={
            "x-goog-upload-protocol": "resumable",
            "x-goog-upload-header-content-length": str(len(data)),
        },
    )
    assert start.status_code == 200, start.text
    url = start.headers["x-goog-upload-url"]
    upload_id = url.split("upload_id=", 1)[1]
    if finish:
        done = await c.post(url, content=data, headers={"x-goog-upload-command": "upload, finalize"})
        assert done.status_code == 200, done.text
    return upload_id


async def _tenant_a(api: App) -> TenantA:
    a = api.a
    agent = await a.post(f"{V}/agents", json={"id": "a-secret-agent", "description": "A's"})
    env = await a.post(f"{V}/environments", json={})
    done = await a.post(f"{V}/interactions", json={"model": "scripted:echo", "input": "A's secret"})
    credential = await a.post(f"{V}/credentials", json={"type": "bearer_token", "token": "A's token"})
    trigger = await a.post(
        f"{V}/triggers",
        json={"interaction": {"agent": "default", "input": "x"}, "schedule": "0 0 1 1 *", "time_zone": "UTC"},
    )
    webhook = await a.post(
        f"{V}/webhooks",
        json={"uri": "https://hooks.example.com/a", "subscribed_events": ["interaction.completed"]},
    )
    for response in (agent, env, done, credential, trigger, webhook):
        assert response.status_code == 200, response.text
    assert done.json()["status"] == "completed"
    env_id = env.json()["id"]
    opened = await a.post(f"{V}/environments/{env_id}/ports", json={"port": 8000})
    assert opened.status_code == 200, opened.text
    await _upload(a, env_id, "secret.txt", b"tenant A only")
    pending_upload = await _upload(a, env_id, "later.txt", b"x", finish=False)
    return TenantA(
        {
            "agent": agent.json()["id"],
            "environment": env_id,
            "interaction": done.json()["id"],
            "upload": pending_upload,
            "file": "secret.txt",
            "credential": credential.json()["id"],
            "trigger": trigger.json()["id"],
            "webhook": webhook.json()["id"],
        }
    )


@dataclass
class Operation:
    """One method of one OpenAPI path."""

    method: str
    path: str
    operation_id: str
    parameters: list[dict[str, Any]]

    def names(self, where: str, *, required_only: bool = False) -> list[str]:
        return [
            p["name"]
            for p in self.parameters
            if p["in"] == where and (p.get("required") or not required_only)
        ]


def _operations(openapi: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method.upper(), path, op["operationId"], op.get("parameters", []))
        for path, item in openapi["paths"].items()
        for method, op in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    ]


def _fill(op: Operation, tenant_a: TenantA) -> tuple[str, dict[str, str], bool]:
    """The URL and required query of `op` with A's ids; True when it names one of A's resources."""
    values: dict[str, str] = {}
    names_a_resource = False
    for name in op.names("path") + op.names("query", required_only=True):
        if name in FIXED_PARAMETERS:
            values[name] = FIXED_PARAMETERS[name]
        elif name in ID_PARAMETERS:
            values[name] = tenant_a.ids[ID_PARAMETERS[name]]
            names_a_resource = True
        else:
            pytest.fail(
                f"{op.operation_id}: parameter {name!r} is new; add it to ID_PARAMETERS or FIXED_PARAMETERS"
            )
    url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], op.path)
    query = {n: values[n] for n in op.names("query", required_only=True)}
    return url, query, names_a_resource


def test_every_route_is_in_the_openapi_document(sandbox_api: App) -> None:
    """A route hidden from the schema would escape the enumeration below."""
    documented = {
        (path, method.upper()) for path, item in sandbox_api.app.openapi()["paths"].items() for method in item
    }
    for route in sandbox_api.app.routes:
        if isinstance(route, APIRoute):
            for method in route.methods:
                path = route.path_format.replace(":path", "")
                assert (path, method) in documented, f"{method} {route.path} is not in the OpenAPI document"
    websockets = [r for r in sandbox_api.app.routes if type(r).__name__ == "WebSocketRoute"]
    assert not websockets, f"WebSocket routes need their own two-tenant test: {websockets}"


async def test_another_tenants_ids_answer_404_on_every_route(sandbox_api: App) -> None:
    api = sandbox_api
    tenant_a = await _tenant_a(api)
    operations = _operations(api.app.openapi())
    called, problems = [], []
    for op in operations:
        url, query, names_a_resource = _fill(op, tenant_a)
        if not names_a_resource:
            continue
        for extra in VARIANTS.get(op.operation_id, [{}]):
            content = b"" if op.method in ("GET", "DELETE") else BODIES.get(op.operation_id, b"{}")
            response = await api.b.request(
                op.method,
                url,
                params=query | extra,
                content=content,
                headers={"content-type": "application/json"},
            )
            called.append(f"{op.method} {url} {extra}")
            if response.status_code != 404:
                answer = f"{response.status_code} {response.text[:200]}"
                problems.append(f"{op.operation_id} {op.method} {url} {extra}: {answer}")
            elif response.json()["error"]["code"] != "not_found":
                problems.append(f"{op.operation_id}: 404 with code {response.json()['error']['code']}")
    assert called, "no route takes an id: the enumeration is broken"
    assert {"agents-get", "environments-get", "interactions-get", "files-get"} <= {
        op.operation_id for op in operations if _fill(op, tenant_a)[2]
    }
    assert not problems, "tenant B reached tenant A's resources:\n" + "\n".join(problems)

    # Control: the ids are real, so B's 404s come from tenant scoping (and B's deletes did nothing).
    ids = tenant_a.ids
    for url in (
        f"{V}/agents/{ids['agent']}",
        f"{V}/environments/{ids['environment']}",
        f"{V}/interactions/{ids['interaction']}",
        f"{V}/environments/{ids['environment']}/files/{ids['file']}",
        f"{V}/credentials/{ids['credential']}",
        f"{V}/triggers/{ids['trigger']}",
        f"{V}/webhooks/{ids['webhook']}",
    ):
        response = await api.a.get(url)
        assert response.status_code == 200, f"A lost {url}: {response.text}"
    download = await api.a.get(
        f"{V}/environments/{ids['environment']}/files/{ids['file']}", params={"alt": "media"}
    )
    assert download.content == b"tenant A only"


async def test_lists_never_show_another_tenants_rows(sandbox_api: App) -> None:
    api = sandbox_api
    tenant_a = await _tenant_a(api)
    lists = [
        op
        for op in _operations(api.app.openapi())
        if op.method == "GET" and not _fill(op, tenant_a)[2] and op.path != "/healthz"
    ]
    assert len(lists) >= 2, [op.path for op in lists]
    for op in lists:
        url, query, _ = _fill(op, tenant_a)
        mine = await api.a.get(url, params=query)
        theirs = await api.b.get(url, params=query)
        assert theirs.status_code == 200, theirs.text
        leaked = [name for name, value in tenant_a.ids.items() if value in theirs.text and name != "file"]
        assert not leaked, f"{op.operation_id} as B shows A's {leaked}: {theirs.text[:300]}"
        assert mine.status_code == 200
    assert tenant_a.ids["agent"] in (await api.a.get(f"{V}/agents")).text, "control: A sees its own agent"
    assert tenant_a.ids["environment"] in (await api.a.get(f"{V}/environments")).text


async def test_a_request_body_naming_another_tenants_ids_finds_nothing(sandbox_api: App) -> None:
    """Ids inside bodies are scoped too: B cannot continue, base on, or run in A's resources."""
    api = sandbox_api
    ids = (await _tenant_a(api)).ids
    before = await api.settled_counts()
    for route, body, field in (
        (
            f"{V}/interactions",
            {"model": "scripted:echo", "input": "x", "previous_interaction_id": ids["interaction"]},
            "previous_interaction_id",
        ),
        (f"{V}/agents", {"base_agent": ids["agent"]}, "base_agent"),
        (f"{V}/interactions", {"agent": ids["agent"], "input": "x"}, "agent"),
        (
            f"{V}/interactions",
            {"agent": "default", "input": "x", "environment": ids["environment"]},
            "environment",
        ),
    ):
        response = await api.b.post(route, json=body)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["message"].startswith(f"{field}: ")
    assert await api.settled_counts() == before
