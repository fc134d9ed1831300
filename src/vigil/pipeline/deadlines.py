"""Deadlines in the store (keepalives, check TTLs) and what is attached to an entity.

Shared by the event processor (``eventd``), the monitors (``keepalive``) and the API, so the
rules live once: which records a check result arms or drops, and what deleting an entity
deletes with it (its events, their TTL deadlines and its keepalive deadline).
"""

from __future__ import annotations

from typing import Any

import msgspec

from vigil.model.entities import Entity
from vigil.model.events import Event
from vigil.store.base import Delete, ListQuery, Op, Put, Record, Store

Doc = dict[str, Any]

KEEPALIVE = "keepalive"
KIND = "_keepalives"  # (namespace, entity name) -> deadline record
TTL_KIND = "_check_ttls"  # (namespace, "<entity>/<check>") -> deadline record
BURIAL = -1  # a keepalive with this timestamp (or a check with this ttl) stops monitoring


def _name(doc: Doc) -> str:
    return str((doc.get("metadata") or {}).get("name") or "")


async def entity_removal_ops(
    store: Store,
    namespace: str,
    entity: str,
    *,
    with_entity: bool = True,
    keepalive_revision: int | None = None,
) -> tuple[list[Op], list[Record]]:
    """The deletes that remove ``entity`` with everything attached to it, and the events
    they remove (their owners may want to hand on resolutions). ``keepalive_revision``
    makes the write fail when a keepalive refreshed the deadline meanwhile."""
    events = await store.list(
        ListQuery(Event.PLURAL, namespace=namespace, name_prefix=f"{entity}/")
    )
    ops: list[Op] = [Delete(Event.PLURAL, namespace, r.name, missing_ok=True) for r in events]
    ops.extend(Delete(TTL_KIND, namespace, r.name, missing_ok=True) for r in events)
    ops.append(Delete(KIND, namespace, entity, keepalive_revision, missing_ok=True))
    if with_entity:
        ops.append(Delete(Entity.PLURAL, namespace, entity, missing_ok=True))
    return ops, events


def deadline_record(
    entity: str, timeout: int, ttl: int, last_seen: int, deadline: int, due: float | None = None
) -> Doc:
    """``deadline`` in whole seconds (what reads show); ``due`` the exact instant it passes."""
    return {
        "entity": entity,
        "timeout": timeout,
        "ttl": ttl,
        "last_seen": last_seen,
        "deadline": deadline,
        "due": float(deadline) if due is None else due,
    }


def is_due(record: Doc, clock: float) -> bool:
    """Whether a deadline record has passed at ``clock``.

    ``due`` is sub-second: comparing whole seconds would fire up to a second early (a 1 s
    timeout armed at x.9 would pass at x+1.0).
    """
    due = record.get("due")
    if due is None:
        due = record.get("deadline") or 0
    return float(due) <= clock


def record_put(namespace: str, record: Doc, if_revision: int | None = None) -> Put:
    value = msgspec.json.encode(record)
    return Put(KIND, namespace, str(record["entity"]), value, if_revision=if_revision)


def check_ttl_ops(
    namespace: str, event: Doc, previous: Doc | None, now: int, clock: float | None = None
) -> list[Op]:
    """The TTL record writes that go with storing ``event`` (armed, re-armed or dropped).

    ``clock`` is the exact time of the write (``now`` when not given), so the deadline is
    not rounded down to the second.
    """
    check = event["check"]
    name = f"{_name(event['entity'])}/{_name(check)}"
    ttl = int(check.get("ttl") or 0)
    if _name(check) == KEEPALIVE:
        return []
    if ttl > 0 and not _round_robin_agent(event):
        due = (float(now) if clock is None else clock) + ttl
        record = {"name": name, "ttl": ttl, "deadline": now + ttl, "due": due}
        return [Put(TTL_KIND, namespace, name, msgspec.json.encode(record))]
    previous_ttl = int(((previous or {}).get("check") or {}).get("ttl") or 0)
    if previous_ttl > 0 or ttl == BURIAL:
        return [Delete(TTL_KIND, namespace, name, missing_ok=True)]
    return []


def _round_robin_agent(event: Doc) -> bool:
    """Sensu keys round-robin TTLs without the entity and does not support them."""
    return bool(event["check"].get("round_robin")) and event["entity"].get("entity_class") != (
        "proxy"
    )
