"""Reading and writing stored users and API keys (cluster-wide kinds ``users``, ``apikeys``),
and telling the caches of them when they change (``AccountChanges``).

Stored users keep only ``password_hash`` (bcrypt); ``User.public()`` is the only form that
leaves the server.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import msgspec

from vigil.model.users import APIKey, User
from vigil.store.base import Op, Store
from vigil.store.layer import StoreLayer

log = logging.getLogger("vigil.auth")

USERS = User.PLURAL
APIKEYS = APIKey.PLURAL
CHANNEL = "vigil_accounts"  # notify payload: "changed"
_KINDS = frozenset({USERS, APIKEYS})


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


class AccountChanges(StoreLayer):
    """A Store that counts committed writes of users and API keys, here and on every other
    backend sharing the store, so that caches of them can tell they are stale.

    Every write goes through ``apply`` (as with ``vigil.agentd.notices.EntityNotices``): one
    that touches ``users`` or ``apikeys`` moves ``generation`` on once it has returned, and
    tells the other backends on one notify channel to do the same. A cache tags what it reads
    with the generation seen when the read began and trusts it only while that is still the
    current one, so revoking a key, disabling a user or changing their groups takes effect
    on this backend at once; other backends follow on the notice (a lost one is bounded by
    the caches' own ttl).
    """

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.generation = 0
        # Point reads are every request's: they go straight to the inner store, no layer here.
        self.get = inner.get  # type: ignore[method-assign]

    async def start(self) -> None:
        """Hear the other backends' changes (meanwhile the caches' ttl bounds staleness)."""
        await self.listen_once(CHANNEL, self._heard, "user and API key changes")

    def _heard(self, _payload: str) -> None:
        self.generation += 1

    async def apply(self, ops: Sequence[Op]) -> int:
        if not any(op.kind in _KINDS for op in ops):
            return await self.inner.apply(ops)
        try:
            return await self.inner.apply(ops)
        finally:  # also after a failure: the write may have been committed all the same
            self.generation += 1
            try:
                await self.inner.notify(CHANNEL, "changed")
            except Exception:
                log.warning("cannot tell other backends that users or API keys changed")
