"""``GET /api/openapi.json``: the OpenAPI 3.1 description of every route the server answers.

Made once at start-up from the route table (paths, methods, who may call them) and the kinds'
msgspec models (request and response bodies), so it cannot drift from what is served. The
error statuses listed per operation are the ones the dispatcher and handlers can answer; the
body of every error is ``{"message", "code"}`` (``vigil.api.responses.error_response``).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
import orjson
from starlette.requests import Request
from starlette.responses import Response

from vigil import __version__
from vigil.api.context import services
from vigil.api.requests import MAX_LIMIT
from vigil.api.routes import Op, Route, Router

REF = "#/components/schemas/{name}"
JSON = "application/json"
ERROR = "Error"
# Paging and selectors every paged list takes (Sensu's query parameters).
LIST_PARAMETERS: list[dict[str, Any]] = [
    {"name": "limit", "in": "query",
     "schema": {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT},
     "description": "Items per page; 0 or absent = all. The next page's token comes in "
                    "the Sensu-Continue response header."},
    {"name": "continue", "in": "query", "schema": {"type": "string"},
     "description": "The Sensu-Continue token of the previous page."},
    {"name": "labelSelector", "in": "query", "schema": {"type": "string"},
     "description": 'Label selector, e.g. region == "eu".'},
    {"name": "fieldSelector", "in": "query", "schema": {"type": "string"},
     "description": 'Field selector, e.g. check.status != "0".'},
]  # fmt: skip
_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Invalid argument: malformed JSON, failed validation, bad query",
    401: "No or bad credentials",
    403: "Not allowed by RBAC",
    404: "Not found",
    409: "Already exists, or conflicts with the current state",
    412: "If-Match / If-None-Match failed, or a concurrent write won",
    413: "Request body over --api-request-limit",
    429: "Too many failed logins; try again later",
    503: "The store is unavailable",
}


class Error(msgspec.Struct):
    """The body of every error response."""

    message: str
    code: int


async def serve(request: Request) -> Response:
    return Response(services(request).openapi, media_type=JSON)


def document(router: Router) -> bytes:
    """The whole OpenAPI 3.1 document of ``router``, as JSON."""
    types: set[Any] = {Error}
    for route in router.routes:
        for op in route.methods.values():
            types |= {t for t in (op.body, op.returns) if _is_type(t)}
    _, schemas = msgspec.json.schema_components(sorted(types, key=repr), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for route in router.routes:
        item = paths.setdefault(route.path, {})
        for method, op in route.methods.items():
            item[method.lower()] = _operation(route, method, op)
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "Vigil API",
            "version": __version__,
            "description": "Sensu Go 6.x compatible observability API (core/v2).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "Key <api key>",
                },
                "basic": {"type": "http", "scheme": "basic"},
            },
        },
        "security": [{"bearer": []}, {"apiKey": []}],
    }
    return orjson.dumps(doc)


def _is_type(t: Any) -> bool:
    return t is not None and not isinstance(t, str)


def _schema(t: Any) -> dict[str, Any]:
    if t == "json":
        return {}
    if t == "text":
        return {"type": "string"}
    if isinstance(t, type):
        return {"$ref": REF.format(name=t.__name__)}
    (item,) = t.__args__  # list[Kind]
    return {"type": "array", "items": {"$ref": REF.format(name=item.__name__)}}


def _content(t: Any) -> dict[str, Any]:
    media = "text/plain" if t == "text" else JSON
    return {media: {"schema": _schema(t)}}


def _operation(route: Route, method: str, op: Op) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": _operation_id(method, route.path),
        "summary": op.summary or (op.handler.__doc__ or "").strip().split("\n")[0],
        "tags": [route.resource or route.path.strip("/").split("/")[0]],
        "parameters": [
            {
                "name": p,
                "in": "path",
                "required": True,
                "schema": {"type": "string", "minLength": 1},
            }
            for p in route.param_names
        ],
        "responses": _responses(route, method, op),
    }
    if method == "GET" and op.returns is not None and op.paged:
        operation["parameters"] += LIST_PARAMETERS
    if op.body is not None:
        body = {"schema": _schema(op.body)}
        operation["requestBody"] = {"required": True, "content": {op.media: body}}
    if op.auth == "open":
        operation["security"] = [{"basic": []}] if route.path.startswith("/auth") else []
    return operation


def _operation_id(method: str, path: str) -> str:
    return method.lower() + "_" + re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_")


def _responses(route: Route, method: str, op: Op) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": _REASONS.get(op.ok, "OK")}
    if op.returns is not None:
        ok["content"] = _content(op.returns)
    statuses = {400, 404, 413, 503}
    if op.auth != "open" or route.path.startswith("/auth"):
        statuses.add(401)
    if op.auth == "rbac":
        statuses.add(403)
    if route.path.startswith("/auth"):
        statuses.add(429)
    if method in ("POST", "PUT", "PATCH", "DELETE") and op.auth != "open":
        statuses |= {409, 412}
    if route.path == "/health":
        statuses = {400, 503}
    error = {"content": {JSON: {"schema": {"$ref": REF.format(name=ERROR)}}}}
    responses: dict[str, Any] = {str(op.ok): ok}
    if route.path == "/health":
        responses["503"] = {"description": _REASONS[503], "content": _content("json")}
        statuses.discard(503)
    for status in sorted(statuses - {op.ok}):
        responses[str(status)] = {"description": _REASONS[status], **error}
    return responses
