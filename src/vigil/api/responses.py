"""Every HTTP response Vigil writes goes through here, including the only error -> status map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import orjson
from starlette.responses import Response

from vigil.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    InvalidArgument,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    VigilError,
)

JSON = "application/json"
_encoder = msgspec.json.Encoder()


def _dumps(obj: Any) -> bytes:
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj)
    if isinstance(obj, msgspec.Struct) or (
        isinstance(obj, list) and obj and isinstance(obj[0], msgspec.Struct)
    ):
        return _encoder.encode(obj)
    return orjson.dumps(obj)


def json_response(
    obj: Any,
    status: int = 200,
    *,
    etag: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """200 with a compact JSON body; ``obj`` may be a Struct, plain data or encoded bytes."""
    out = dict(headers or {})
    if etag is not None:
        out["ETag"] = etag
    return Response(_dumps(obj), status_code=status, media_type=JSON, headers=out)


def empty(status: int, *, headers: Mapping[str, str] | None = None) -> Response:
    """Sensu answers writes with an empty body but still says application/json."""
    return Response(b"", status_code=status, media_type=JSON, headers=dict(headers or {}))


# The one error -> status table; a subclass not listed takes its nearest listed base's status.
STATUS: dict[type[VigilError], int] = {
    VigilError: 500,
    InvalidArgument: 400,
    NotFound: 404,
    AlreadyExists: 409,
    Conflict: 409,
    MethodNotAllowed: 405,
    Forbidden: 403,
    Unauthenticated: 401,
    PreconditionFailed: 412,
    PayloadTooLarge: 413,
    TooManyRequests: 429,
    Unavailable: 503,
}


def status_of(exc: VigilError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 500


def error_response(exc: VigilError) -> Response:
    """The one place a domain error becomes HTTP: ``{"message", "code"}`` and its status."""
    body = orjson.dumps({"message": exc.message, "code": exc.code})
    headers = {"X-Content-Type-Options": "nosniff"}
    status = status_of(exc)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="vigil"'
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def etag_for(revision: int) -> str:
    """A strong ETag derived from the store revision: new on every write of the resource."""
    return f'"{revision:x}"'
