"""Ad hoc execution through the store: the API queues, every backend delivers to its agents.

``POST .../checks/{name}/execute`` stores the request (``_adhoc``) and notifies every backend
(``vigil_adhoc``); each one sends it to the agents connected to it that hold one of the
request's subscriptions. A backend that missed the notification finds the row on its next
sweep. Rows are removed a few minutes after they were queued.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from vigil.store.base import Put, Store

KIND = "_adhoc"
CHANNEL = "vigil_adhoc"
KEEP = 300.0  # seconds a queued request stays in the store
FRESH = 60.0  # a backend delivers requests at most this old that it has not seen yet


async def queue(
    store: Store,
    check: Mapping[str, Any],
    subscriptions: Sequence[str] | None,
    creator: str,
    reason: str,
) -> int:
    """Queue one run of ``check`` (the stored config, subscriptions replaced when the request
    names some); return the ``issued`` time Sensu answers with."""
    config = dict(check)
    if subscriptions:
        config["subscriptions"] = list(subscriptions)
    issued = int(time.time())
    namespace = str(config["metadata"]["namespace"])
    name = uuid.uuid4().hex
    row = {
        "config": config,
        "issued": issued,
        "queued": time.time(),
        "creator": creator,
        "reason": reason,
    }
    await store.apply([Put(KIND, namespace, name, msgspec.json.encode(row))])
    await store.notify(CHANNEL, f"{namespace}/{name}")
    return issued
