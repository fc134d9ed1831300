"""The store seam: one small async interface that SQLite and PostgreSQL both implement.

Vocabulary:
- *kind*: the resource's URL plural (``checks``, ``users``, ``events``) or an internal kind that
  starts with ``_`` (``_sessions``, ``_config``). Cluster-wide kinds use namespace ``""``.
- *name*: the resource name; for events it is ``"<entity>/<check>"`` (entity and check names
  cannot contain ``/``), and the SQL backends keep events in their own table keyed
  (namespace, entity, check).
- *revision*: a store-wide, strictly increasing integer. Every write stamps the rows it
  touches with a fresh revision; an ETag is derived from it and conditional writes compare it.

Writes are all-or-nothing batches of ``Op``s (``apply``); the single-op helpers wrap it.
Reads return ``Record``s whose ``value`` is the stored JSON (bytes), unparsed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from vigil.selector.ast import Selection

# A key is (kind, namespace, name).
Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Record:
    kind: str
    namespace: str
    name: str
    revision: int
    value: bytes


@dataclass(frozen=True, slots=True)
class Put:
    """Create or replace ``key``.

    ``if_revision``: None = unconditional; 0 = only if absent (create); N = only if the stored
    revision is N (conditional update). A failed condition raises AlreadyExists (for 0) or
    PreconditionFailed / NotFound (for N), and the whole batch is rolled back.
    ``fields`` and ``labels`` are the flat string maps that selectors read.
    """

    kind: str
    namespace: str
    name: str
    value: bytes
    fields: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    if_revision: int | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete ``key``; NotFound if absent (unless ``missing_ok``); ``if_revision`` as in Put."""

    kind: str
    namespace: str
    name: str
    if_revision: int | None = None
    missing_ok: bool = False


Op = Put | Delete


@dataclass(frozen=True, slots=True)
class ListQuery:
    """One page of a keyset-paginated, optionally filtered list.

    ``namespace`` None lists across all namespaces. Results are ordered by (namespace, name).
    ``after`` is the (namespace, name) of the last item of the previous page: the page starts
    strictly after it. ``name_prefix`` restricts names (events of one entity: ``"web1/"``).
    The selection is applied inside the query, before the limit, so pages are pages of the
    filtered result. ``limit`` None or 0 = everything.
    """

    kind: str
    namespace: str | None = None
    limit: int | None = None
    after: tuple[str, str] | None = None
    name_prefix: str | None = None
    selection: Selection | None = None


class Store(Protocol):
    """Implemented by ``store.sqlite.SQLiteStore`` and ``store.postgres.PostgresStore``."""

    async def get(self, kind: str, namespace: str, name: str) -> Record | None: ...

    async def get_many(self, keys: Sequence[Key]) -> list[Record | None]:
        """``get`` of each (kind, namespace, name), in order; one round trip where that
        matters (PostgreSQL), so a caller needing several rows pays for one."""
        ...

    async def list(self, query: ListQuery) -> list[Record]: ...

    async def count(self, kind: str, namespace: str | None = None) -> int: ...

    async def apply(self, ops: Sequence[Op]) -> int:
        """Run ``ops`` atomically; return the revision stamped on every row written."""
        ...

    async def is_leader(self, job: str) -> bool:
        """True while this process should run the cluster-wide periodic ``job``."""
        ...

    async def health(self) -> Mapping[str, object]:
        """``{"healthy": bool, "backend": "sqlite"|"postgres", ...}``; never raises."""
        ...

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Call ``callback(payload)`` for every ``notify`` on ``channel`` by any backend."""
        ...

    async def notify(self, channel: str, payload: str) -> None: ...

    async def close(self) -> None: ...
