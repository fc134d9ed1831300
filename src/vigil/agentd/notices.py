"""Entity changes, announced to every backend sharing the store.

An agent's session must push a new ``entity_config`` when its entity changes, whichever
backend (and whichever code path: the API, a PATCH, registration, deregistration) wrote it.
So the store itself is wrapped: every committed write of an ``entities`` row is announced on
one notify channel as ``[namespace, name, digest]`` (digest "" for a deletion), where the
digest fingerprints the entity *config* (``wire.entity_config``). Keepalives rewrite the
entity on every beat (``last_seen``) without changing its config: an entity whose digest
equals the last one announced (by any backend) is not announced again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import orjson

from vigil.agentd import wire
from vigil.store.base import Delete, Op, Store
from vigil.store.layer import StoreLayer

log = logging.getLogger("vigil.agentd")

CHANNEL = "vigil_entities"
ENTITIES = "entities"
_REMEMBERED = 100_000  # digests kept; beyond it the memory restarts (a few extra notices)

Change = tuple[str, str, str]  # namespace, name, config digest ("" = deleted)
Watcher = Callable[[str, str, str], None]


def _change(op: Op) -> Change | None:
    if op.kind != ENTITIES:
        return None
    if isinstance(op, Delete):
        return op.namespace, op.name, ""
    try:
        doc = orjson.loads(op.value)
    except orjson.JSONDecodeError:
        return None
    return op.namespace, op.name, wire.digest(wire.entity_config(doc))


class EntityNotices(StoreLayer):
    """A Store that announces entity config changes (see the module docstring)."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self._known: dict[tuple[str, str], str] = {}
        self._watchers: list[Watcher] = []
        # Point reads are every API request's: they go straight to the inner store.
        self.get = inner.get  # type: ignore[method-assign]

    def watch(self, watcher: Watcher) -> None:
        """Call ``watcher(namespace, name, digest)`` for every announced change."""
        self._watchers.append(watcher)

    async def start(self) -> None:
        """Hear the other backends' entity notices."""
        await self.listen_once(CHANNEL, self._heard, "entity changes")

    def _heard(self, payload: str) -> None:
        try:
            namespace, name, digest = orjson.loads(payload)
        except (orjson.JSONDecodeError, ValueError, TypeError):
            log.warning("ignoring a malformed entity notice", extra={"payload": payload[:200]})
            return
        self._remember(namespace, name, digest)
        for watcher in self._watchers:
            try:
                watcher(namespace, name, digest)
            except Exception:
                log.exception("entity change watcher failed")

    def _remember(self, namespace: str, name: str, digest: str) -> None:
        if len(self._known) >= _REMEMBERED:
            self._known.clear()
        if digest:
            self._known[(namespace, name)] = digest
        else:
            self._known.pop((namespace, name), None)

    async def apply(self, ops: Sequence[Op]) -> int:
        revision = await self.inner.apply(ops)
        for op in ops:
            change = _change(op)
            if change is None:
                continue
            await self.start()  # hear the others before trusting what is remembered
            namespace, name, digest = change
            if digest and self._known.get((namespace, name)) == digest:
                continue
            self._remember(namespace, name, digest)
            try:
                await self.inner.notify(CHANNEL, orjson.dumps(list(change)).decode())
            except Exception:
                log.warning("cannot announce an entity change", extra={"entity_name": name})
        return revision
