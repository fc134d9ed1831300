"""``POST /api/core/v2/apikeys``: grant a key. The other API key routes are generic CRUD.

The key is a random UUID v4 and is also the resource name (Sensu 6.x); deleting the
resource revokes the key at once because authentication reads the store on every request.
Differences from Sensu: errors are JSON ``{"message", "code"}`` and malformed JSON is 400
(Sensu: plain text, 500).
"""

from __future__ import annotations

import time
import uuid

import orjson
from starlette.requests import Request
from starlette.responses import Response

from vigil.api.responses import empty
from vigil.api.users import caller_identity, store_of
from vigil.auth.accounts import load_user
from vigil.errors import InvalidArgument
from vigil.model.base import ObjectMeta
from vigil.model.users import APIKey
from vigil.store.objects import put_of


async def grant(request: Request) -> Response:
    """Body ``{"username": ...}`` (other fields ignored) -> 201, ``Location`` of the key."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"malformed JSON body: {exc}") from None
    username = body.get("username") if isinstance(body, dict) else None
    store = store_of(request)
    if not isinstance(username, str) or await load_user(store, username) is None:
        raise InvalidArgument("user does not exist")
    caller = caller_identity(request)
    key = APIKey(
        metadata=ObjectMeta(name=str(uuid.uuid4()), created_by=caller.username if caller else ""),
        username=username,
        created_at=int(time.time()),
    )
    await store.apply([put_of(key, if_revision=0)])
    return empty(201, headers={"Location": f"{request.url.path.rstrip('/')}/{key.metadata.name}"})
