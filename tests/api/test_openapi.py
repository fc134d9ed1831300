"""``/api/openapi.json`` is valid OpenAPI 3.1 and names exactly the routes the server answers."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_spec_validator import validate

from tests.support import LiveServer
from vigil.api import routes


def _document(live: LiveServer) -> dict[str, Any]:
    response = httpx.get(f"{live.url}/api/openapi.json")  # open, like /version
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    doc: dict[str, Any] = response.json()
    return doc


def test_document_is_valid_openapi_31(live: LiveServer) -> None:
    doc = _document(live)
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_document_and_route_table_name_the_same_operations(live: LiveServer) -> None:
    doc = _document(live)
    table = {(r.path, m.lower()) for r in routes.build().routes for m in r.methods}
    described = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert described == table


def test_every_described_operation_is_answered(live: LiveServer, admin: httpx.Client) -> None:
    """Each path of the document reaches its route: never 405 for a documented method, and
    an undocumented method on a documented path is 405."""
    doc = _document(live)
    for path, item in doc["paths"].items():
        concrete = path.replace("{namespace}", "default")
        for name in ("name", "entity", "check", "hook_type", "hook", "group_name"):
            concrete = concrete.replace("{" + name + "}", "nothing-here")
        concrete = concrete.replace("{subscription}", "nothing-here")
        if "get" in item and not path.startswith("/auth") and path != "/metrics":
            assert admin.get(concrete).status_code != 405, path
        if "patch" not in item and "{" in path:
            assert admin.patch(concrete, json={}).status_code == 405, path


def test_lists_take_paging_and_selectors(live: LiveServer) -> None:
    op = _document(live)["paths"]["/api/core/v2/namespaces/{namespace}/checks"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"namespace", "limit", "continue", "labelSelector", "fieldSelector"} <= names
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"type": "array", "items": {"$ref": "#/components/schemas/CheckConfig"}}
