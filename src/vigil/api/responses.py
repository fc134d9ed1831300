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
_JSON_TYPE = (b"content-type", JSON.encode())
_encoder = msgspec.json.Encoder()


class Reply(Response):
    """Starlette's ``Response`` with its header list written directly: the same headers in
    the same order (ours, then content-length, then content-type), without the generic
    ``init_headers`` pass that costs more than the rest of a small GET's response."""

    def __init__(self, body: bytes, status: int, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status
        self.body = body
        self.background = None
        self.raw_headers = raw_headers


def _reply(
    body: bytes,
    status: int,
    headers: Mapping[str, str] | None,
    media: str | None = JSON,
    etag: str | None = None,
) -> Response:
    if headers:
        if etag is not None:
            headers = {**headers, "ETag": etag}
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        if any(k in (b"content-length", b"content-type") for k, _ in raw):
            return Response(body, status_code=status, media_type=media, headers=headers)
    else:
        raw = [] if etag is None else [(b"etag", etag.encode("latin-1"))]
    if not (status < 200 or status in (204, 304)):
        raw.append((b"content-length", str(len(body)).encode()))
    if media is not None:
        raw.append(_JSON_TYPE if media is JSON else (b"content-type", media.encode("latin-1")))
    return Reply(body, status, raw)


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
    return _reply(_dumps(obj), status, headers, etag=etag)


def not_modified(etag: str, headers: Mapping[str, str] | None = None) -> Response:
    """304 for a conditional GET whose copy is fresh: the ETag, no body, no content type."""
    return _reply(b"", 304, headers, media=None, etag=etag)


def empty(status: int, *, headers: Mapping[str, str] | None = None) -> Response:
    """Sensu answers writes with an empty body but still says application/json."""
    return _reply(b"", status, headers)


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
    return _reply(body, status, headers)


def etag_for(revision: int) -> str:
    """A strong ETag derived from the store revision: new on every write of the resource."""
    return f'"{revision:x}"'
