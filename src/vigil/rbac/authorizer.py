"""The RBAC decision (spec §7.4) and namespace visibility (§7.5).

``authorize`` walks the cluster role bindings that name the caller (user or group), then —
when the request has a namespace, or is about ``namespaces`` — the role bindings of that
namespace (of every namespace for a cluster-wide ``namespaces`` request). The first rule that
allows the request wins; a binding whose role is missing stops the walk with 403
``role not found: X`` / ``cluster role not found: X``; no allow is 403.

Roles and bindings are read from the store into one in-process snapshot. It is dropped by
``invalidate()`` (call it after any write to roles or bindings; it also tells the other
backends sharing the store through the store's notify/listen channel) and in any case after
``ttl`` seconds, which bounds staleness if a notification is lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from vigil.auth.identity import Identity
from vigil.errors import Forbidden
from vigil.model.base import Resource
from vigil.model.namespaces import Namespace
from vigil.model.rbac import ClusterRole, ClusterRoleBinding, Role, RoleBinding
from vigil.model.registry import kinds_where
from vigil.rbac.attributes import Attributes, attributes_for
from vigil.rbac.rules import Binding, Rule, rules_of
from vigil.store.base import ListQuery, Store

log = logging.getLogger("vigil.rbac")

CHANNEL = "vigil_rbac"
_VERDICTS_MAX = 10_000  # decisions remembered per snapshot; beyond it the memory restarts


@dataclass(slots=True)
class Snapshot:
    cluster_bindings: tuple[Binding, ...] = ()
    cluster_roles: dict[str, tuple[Rule, ...]] = field(default_factory=dict)
    bindings: dict[str, tuple[Binding, ...]] = field(default_factory=dict)  # by namespace
    all_bindings: tuple[Binding, ...] = ()  # ordered by (namespace, name)
    roles: dict[tuple[str, str], tuple[Rule, ...]] = field(default_factory=dict)
    # (method, request key, username, groups) -> "" (allowed) or the Forbidden message;
    # it lives and dies with the snapshot, so RBAC writes and the ttl drop it too.
    verdicts: dict[Hashable, str] = field(default_factory=dict)

    def rules(self, binding: Binding) -> tuple[Rule, ...]:
        """The rules the binding grants; Forbidden when its role does not exist."""
        if binding.role_type == "ClusterRole":
            found = self.cluster_roles.get(binding.role_name)
            if found is None:
                raise Forbidden(f"cluster role not found: {binding.role_name}")
            return found
        if binding.role_type == "Role":
            role = self.roles.get((binding.namespace, binding.role_name))
            if role is None:
                raise Forbidden(f"role not found: {binding.role_name}")
            return role
        raise Forbidden(f"unsupported role reference type: {binding.role_type}")


_RBAC_TYPES = (ClusterRoleBinding, ClusterRole, RoleBinding, Role)
RBAC_KINDS = tuple(cls.PLURAL for cls in _RBAC_TYPES)


def snapshot_of(objects: Iterable[tuple[str, str, Mapping[str, Any]]]) -> Snapshot:
    """A snapshot from ``(kind, namespace, json)`` triples, given in store order (namespace,
    name); bindings are visited in that order."""
    snap = Snapshot()
    cluster_bindings: list[Binding] = []
    all_bindings: list[Binding] = []
    for kind, namespace, value in objects:
        name = str((value.get("metadata") or {}).get("name", ""))
        if kind == ClusterRoleBinding.PLURAL:
            cluster_bindings.append(Binding.from_json(value))
        elif kind == ClusterRole.PLURAL:
            snap.cluster_roles[name] = rules_of(value)
        elif kind == RoleBinding.PLURAL:
            all_bindings.append(Binding.from_json(value, namespace))
        elif kind == Role.PLURAL:
            snap.roles[(namespace, name)] = rules_of(value)
    snap.cluster_bindings = tuple(cluster_bindings)
    snap.all_bindings = tuple(all_bindings)
    by_namespace: dict[str, list[Binding]] = {}
    for binding in all_bindings:
        by_namespace.setdefault(binding.namespace, []).append(binding)
    snap.bindings = {ns: tuple(items) for ns, items in by_namespace.items()}
    return snap


async def load_snapshot(store: Store) -> Snapshot:
    objects: list[tuple[str, str, Mapping[str, Any]]] = []
    for cls in _RBAC_TYPES:
        kind = cls.PLURAL
        namespace = None if cls.NAMESPACED else ""
        for record in await store.list(ListQuery(kind=kind, namespace=namespace)):
            value = orjson.loads(record.value)
            if isinstance(value, dict):
                objects.append((kind, record.namespace, value))
    return snapshot_of(objects)


def decide(snap: Snapshot, attrs: Attributes) -> None:
    """Raise Forbidden unless a rule reachable by the caller allows ``attrs``."""
    for binding in snap.cluster_bindings:
        if binding.matches(attrs.identity) and _any_allows(snap.rules(binding), attrs):
            return
    if not attrs.namespace and attrs.resource != Namespace.PLURAL:
        raise Forbidden()
    # A cluster-wide "namespaces" request also visits the bindings of every namespace.
    bindings = snap.bindings.get(attrs.namespace, ()) if attrs.namespace else snap.all_bindings
    for binding in bindings:
        if binding.matches(attrs.identity) and _any_allows(snap.rules(binding), attrs):
            return
    raise Forbidden()


def _any_allows(rules: tuple[Rule, ...], attrs: Attributes) -> bool:
    return any(rule.allows(attrs.verb, attrs.resource, attrs.name) for rule in rules)


def _reveals(cls: type[Resource]) -> bool:
    return cls.REVEALS_NAMESPACES


def visible(snap: Snapshot, identity: Identity, namespaces: Sequence[str]) -> list[str]:
    """The namespaces ``identity`` may see, in the order of ``namespaces`` (all of them)."""
    existing = set(namespaces)
    seen: set[str] = set()
    for binding in snap.cluster_bindings:
        if not binding.matches(identity):
            continue
        for rule in _rules_or_none(snap, binding):
            if not rule.allows_verb("get"):
                continue
            if rule.allows_resource(Namespace.PLURAL) and rule.resource_names:
                seen |= rule.resource_names & existing
            elif any(rule.allows_resource(r) for r in kinds_where(_reveals)):
                return list(namespaces)
    for binding in snap.all_bindings:
        if (
            binding.namespace in existing
            and binding.matches(identity)
            and any(rule.allows_verb("get") for rule in _rules_or_none(snap, binding))
        ):
            seen.add(binding.namespace)
    return [ns for ns in namespaces if ns in seen]


def _rules_or_none(snap: Snapshot, binding: Binding) -> tuple[Rule, ...]:
    try:
        return snap.rules(binding)
    except Forbidden:
        return ()  # a dangling binding grants nothing here


class Authorizer:
    """One per app: ``await authorize(attrs)``; ``invalidate()`` after RBAC writes."""

    def __init__(self, store: Store, *, ttl: float = 2.0) -> None:
        self._store = store
        self._ttl = ttl
        self._snapshot: Snapshot | None = None
        self._loaded_at = 0.0
        self._generation = 0
        self._lock = asyncio.Lock()
        self._listening = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def authorize(self, attrs: Attributes) -> None:
        decide(await self.snapshot(), attrs)

    async def authorize_request(
        self, method: str, params: Mapping[str, str], key: Hashable, identity: Identity
    ) -> None:
        """``authorize(attributes_for(method, params, identity))``, remembered: ``key`` must
        stand for ``params``; the decision depends on nothing else but the caller's username
        and groups."""
        snap = await self.snapshot()
        memo = (method, key, identity.username, identity.groups)
        verdict = snap.verdicts.get(memo)
        if verdict is None:
            try:
                decide(snap, attributes_for(method, params, identity))
                verdict = ""
            except Forbidden as exc:
                verdict = exc.message
            if len(snap.verdicts) >= _VERDICTS_MAX:
                snap.verdicts.clear()
            snap.verdicts[memo] = verdict
        if verdict:
            raise Forbidden(verdict)

    async def visible_namespaces(self, identity: Identity) -> list[str]:
        """For ``GET /namespaces``. None visible is ``[]`` (Sensu answers 500
        ``request unauthorized``; an empty list is what the caller may see)."""
        records = await self._store.list(ListQuery(kind=Namespace.PLURAL, namespace=""))
        return visible(await self.snapshot(), identity, [r.name for r in records])

    async def snapshot(self) -> Snapshot:
        if not self._listening:
            await self._listen()
        snap = self._snapshot
        if snap is not None and time.monotonic() - self._loaded_at < self._ttl:
            return snap
        async with self._lock:
            if self._snapshot is None or time.monotonic() - self._loaded_at >= self._ttl:
                generation = self._generation
                loaded = await load_snapshot(self._store)
                if generation == self._generation:  # not invalidated while loading
                    self._snapshot, self._loaded_at = loaded, time.monotonic()
                return loaded
            return self._snapshot

    async def invalidated(self) -> None:
        """``invalidate``, returning once the other backends have been told."""
        self._drop()
        try:
            await self._store.notify(CHANNEL, "changed")
        except Exception:  # the ttl still bounds staleness elsewhere
            log.warning("cannot tell other backends that RBAC changed")

    def invalidate(self) -> None:
        """Forget the snapshot here and tell the other backends to do the same."""
        self._drop()
        notify = getattr(self._store, "notify", None)
        if notify is not None:
            self._spawn(notify(CHANNEL, "changed"))

    def _drop(self, _payload: str = "") -> None:
        self._generation += 1
        self._snapshot = None

    async def _listen(self) -> None:
        self._listening = True
        listen: Callable[..., Coroutine[Any, Any, None]] | None = getattr(
            self._store, "listen", None
        )
        if listen is None:
            return
        try:
            await listen(CHANNEL, self._drop)
        except Exception:  # the ttl still bounds staleness
            log.warning("cannot listen for RBAC changes; relying on the %ss cache ttl", self._ttl)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:
            coro.close()  # no loop (called from sync code): the ttl covers other backends
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
