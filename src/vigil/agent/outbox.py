"""The durable outbox: every event waits here, on disk, until a connection has taken it.

Results produced while no backend is reachable survive an agent restart too. The outbox is
bounded: past ``max_events`` the oldest are dropped and counted (the count is kept across
restarts and shown by the agent API's ``/metrics``). Messages leave in the order they came.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("vigil.agent.outbox")

# Events posted to the agent API wait under this type: they leave as ``event`` messages, paced
# by ``--events-rate-limit`` as sensu-agent paces its API queue.
API_EVENT = "api_event"


class Outbox:
    def __init__(self, path: Path, max_events: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.max_events = max(1, max_events)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        os.chmod(path, 0o600)  # events may carry check output nobody else should read
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "type TEXT NOT NULL, payload BLOB NOT NULL)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER)")
        self._size = int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def put(self, message_type: str, payload: bytes) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO outbox (type, payload) VALUES (?, ?)", (message_type, payload)
            )
            self._size += 1
            excess = self._size - self.max_events
            if excess > 0:
                self._db.execute(
                    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)",
                    (excess,),
                )
                self._db.execute(
                    "INSERT INTO counters VALUES ('dropped', ?) "
                    "ON CONFLICT(name) DO UPDATE SET n = n + excluded.n",
                    (excess,),
                )
                self._size -= excess
                log.warning("outbox full: dropped the %d oldest event(s)", excess)
            self._db.execute("COMMIT")

    def peek(self, limit: int = 100) -> list[tuple[int, str, bytes]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, type, payload FROM outbox ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [(int(r[0]), str(r[1]), bytes(r[2])) for r in rows]

    def remove(self, message_id: int) -> None:
        with self._lock:
            cursor = self._db.execute("DELETE FROM outbox WHERE id = ?", (message_id,))
            self._size -= cursor.rowcount

    def __len__(self) -> int:
        return self._size

    @property
    def dropped(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT n FROM counters WHERE name = 'dropped'").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            self._db.close()
