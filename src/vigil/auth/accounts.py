"""Reading and writing stored users and API keys (cluster-wide kinds ``users``, ``apikeys``).

Stored users keep only ``password_hash`` (bcrypt); ``User.public()`` is the only form that
leaves the server.
"""

from __future__ import annotations

import msgspec

from vigil.model.users import APIKey, User
from vigil.store.base import Store

USERS = User.PLURAL
APIKEYS = APIKey.PLURAL


async def load_user(store: Store, username: str) -> tuple[User, int] | None:
    """The stored user and its revision, or None."""
    if not username:
        return None
    record = await store.get(USERS, "", username)
    if record is None:
        return None
    try:
        return msgspec.json.decode(record.value, type=User), record.revision
    except msgspec.ValidationError:
        return None


async def load_api_key(store: Store, key: str) -> APIKey | None:
    record = await store.get(APIKEYS, "", key)
    if record is None:
        return None
    try:
        return msgspec.json.decode(record.value, type=APIKey)
    except msgspec.ValidationError:
        return None


def active_groups(user: User | None) -> tuple[str, ...] | None:
    """The user's stored groups, or None when the user is missing or disabled."""
    if user is None or user.disabled:
        return None
    return tuple(user.groups)
