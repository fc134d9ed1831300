"""Which namespaces exist: asked on every namespaced request, so it is answered from memory.

The set is reloaded after ``ttl`` seconds, dropped at once when this backend writes a
namespace, and dropped when another backend says RBAC or namespaces changed (the
authorizer's notification channel). A name missing from the set is looked up in the store
before a 404, so a namespace just created elsewhere is never refused; a deleted one may be
accepted for at most ``ttl`` seconds if a notification is lost.
"""

from __future__ import annotations

import time

from vigil.errors import NotFound
from vigil.model.namespaces import Namespace
from vigil.rbac.authorizer import CHANNEL
from vigil.store.base import ListQuery, Store


class NamespaceCache:
    def __init__(self, store: Store, *, ttl: float = 2.0) -> None:
        self._store = store
        self._ttl = ttl
        self._names: frozenset[str] | None = None
        self._loaded_at = 0.0
        self._listening = False

    async def require(self, namespace: str) -> None:
        """NotFound unless ``namespace`` exists."""
        if not await self.exists(namespace):
            raise NotFound(f"namespace {namespace} does not exist")

    async def exists(self, namespace: str) -> bool:
        if not self._listening:
            self._listening = True
            await self._store.listen(CHANNEL, self.drop)
        names = self._names
        if names is None or time.monotonic() - self._loaded_at >= self._ttl:
            records = await self._store.list(ListQuery(kind=Namespace.PLURAL, namespace=""))
            names = self._names = frozenset(r.name for r in records)
            self._loaded_at = time.monotonic()
        if namespace in names:
            return True
        return await self._store.get(Namespace.PLURAL, "", namespace) is not None

    def drop(self, _payload: str = "") -> None:
        self._names = None
