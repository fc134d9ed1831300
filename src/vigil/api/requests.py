"""Reading what a request asks for: paging, selectors, conditions, bodies."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.types import Scope

from vigil.errors import InvalidArgument, PreconditionFailed
from vigil.selector.ast import Selection

MERGE_PATCH = "application/merge-patch+json"
# The largest page a client may ask for: more than any store holds, and small enough that
# ``limit + 1`` fits the 64-bit integers of SQLite and PostgreSQL.
MAX_LIMIT = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Page:
    limit: int | None
    after: tuple[str, str] | None


def encode_continue(namespace: str, name: str) -> str:
    """Opaque to clients (base64url without padding, like Sensu's), keyset position inside."""
    raw = orjson.dumps([namespace, name])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_continue(token: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        namespace, name = orjson.loads(raw)
        if isinstance(namespace, str) and isinstance(name, str):
            return namespace, name
    except (binascii.Error, ValueError, TypeError):
        pass
    raise InvalidArgument(f"invalid continue token {token!r}: use the Sensu-Continue header value")


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower case), read straight from the ASGI scope:
    what ``request.headers.get`` answers, without building a ``Headers`` per request."""
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def query_pairs(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(
        request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
    )


def page_of(pairs: list[tuple[str, str]]) -> Page:
    limit: int | None = None
    after: tuple[str, str] | None = None
    for key, value in pairs:
        if key == "limit":
            if not value.strip():
                continue  # ``limit=`` is how some clients say "no limit"
            try:
                limit = int(value)
            except ValueError:
                raise InvalidArgument(f"invalid limit {value!r}: must be an integer") from None
            if limit < 0:
                raise InvalidArgument(f"invalid limit {value!r}: must not be negative")
            if limit > MAX_LIMIT:
                raise InvalidArgument(f"invalid limit {value!r}: must be at most {MAX_LIMIT}")
        elif key == "continue" and value:
            after = decode_continue(value)
    return Page(limit or None, after)


def selection_of(pairs: list[tuple[str, str]]) -> Selection:
    """labelSelector / fieldSelector, each may repeat (ANDed).

    Sensu's docs also show ``--data-urlencode 'labelSelector:region == "us"'``, which sends
    one query key holding the whole text; we accept that spelling too.
    """
    from vigil.selector.parser import parse_selection

    fields: list[str] = []
    labels: list[str] = []
    for key, value in pairs:
        if key == "fieldSelector":
            fields.append(value)
        elif key == "labelSelector":
            labels.append(value)
        elif key.startswith("labelSelector:") and not value:
            labels.append(key.removeprefix("labelSelector:"))
        elif key.startswith("fieldSelector:") and not value:
            fields.append(key.removeprefix("fieldSelector:"))
    if not fields and not labels:
        return Selection()
    return parse_selection(fields, labels)


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


def check_conditions(request: Request, etag: str | None) -> None:
    """If-Match / If-None-Match against the current ETag (None = resource absent)."""
    if_match = request.headers.get("if-match")
    if if_match is not None:
        tags = _tags(if_match)
        ok = etag is not None and ("*" in tags or etag in tags)
        if not ok:
            raise PreconditionFailed(f"If-Match {if_match} does not match the current ETag")
    if_none = request.headers.get("if-none-match")
    if if_none is not None:
        tags = [t.removeprefix("W/") for t in _tags(if_none)]
        if etag is not None and ("*" in tags or etag in tags):
            raise PreconditionFailed(f"If-None-Match {if_none} matches the current ETag")


def not_modified(request: Request, etag: str) -> bool:
    """GET with If-None-Match naming the current tag: the client's copy is fresh (304)."""
    tags_header = header(request.scope, b"if-none-match")
    if tags_header is None:
        return False
    tags = [t.removeprefix("W/") for t in _tags(tags_header)]
    return "*" in tags or etag in tags


async def json_body(request: Request) -> Any:
    body = await request.body()
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"malformed JSON body: {exc}") from None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
