"""Reading and writing stored users and API keys (cluster-wide kinds ``users``, ``apikeys``),
and telling the caches of them when they change (``AccountChanges``).

Stored users keep only ``password_hash`` (bcrypt); ``User.public()`` is the only form that
leaves the server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import msgspec

from vigil.model.users import APIKey, User
from vigil.store.base import Key, ListQuery, Op, Record, Store

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


class AccountChanges:
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
        self.inner = inner
        self.generation = 0
        self._listening = False
        # Point reads are every request's: they go straight to the inner store, no layer here.
        self.get = inner.get

    async def start(self) -> None:
        """Listen for the other backends' changes; never raises (the ttl covers a failure)."""
        if self._listening:
            return
        self._listening = True
        try:
            await self.inner.listen(CHANNEL, self._heard)
        except Exception:
            log.warning("cannot listen for user and API key changes; relying on cache ttls")

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

    # --- the rest of the Store, delegated ---------------------------------------------------
    async def get_many(self, keys: Sequence[Key]) -> list[Record | None]:
        return await self.inner.get_many(keys)

    async def list(self, query: ListQuery) -> list[Record]:
        return await self.inner.list(query)

    async def count(self, kind: str, namespace: str | None = None) -> int:
        return await self.inner.count(kind, namespace)

    async def is_leader(self, job: str) -> bool:
        return await self.inner.is_leader(job)

    async def health(self) -> Mapping[str, object]:
        return await self.inner.health()

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        await self.inner.listen(channel, callback)

    async def notify(self, channel: str, payload: str) -> None:
        await self.inner.notify(channel, payload)

    async def close(self) -> None:
        await self.inner.close()
