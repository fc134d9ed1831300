"""A backend that loses its database says 503 meanwhile and recovers alone, losing nothing.

The backend reaches PostgreSQL through a proxy the test cuts (every connection reset, new
ones refused) and restores, while a writer posts events continuously.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.cluster.conftest import cluster, database
from tests.cluster.proxy import CuttableProxy
from tests.support import ServerProcess, client_for, token_for

API = "/api/core/v2"
EVENTS = f"{API}/namespaces/default/events"


def through(proxy: CuttableProxy, url: str) -> str:
    return make_conninfo(url, host="127.0.0.1", port=str(proxy.port))


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


class Writer(threading.Thread):
    """Posts events with fresh names until stopped; remembers the acknowledged ones."""

    def __init__(self, backend: ServerProcess, token: str, prefix: str = "web") -> None:
        super().__init__(daemon=True)
        self.client = client_for(backend.url, token)
        self.acknowledged: list[str] = []
        self.statuses: dict[int, int] = {}
        self.unavailable_bodies: list[dict[str, object]] = []
        self.stop = threading.Event()
        self.prefix = prefix

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            entity = f"{self.prefix}{i}"
            event = {
                "entity": {"metadata": {"name": entity}},
                "check": {"metadata": {"name": "ping"}, "status": 0, "output": "ok"},
            }
            try:
                response = self.client.post(EVENTS, json=event)
            except httpx.TransportError:
                response = None
            if response is not None:
                self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
                if response.status_code in (200, 201):
                    self.acknowledged.append(entity)
                elif response.status_code == 503:
                    self.unavailable_bodies.append(response.json())
            i += 1
            time.sleep(0.005)

    def count(self, status: int) -> int:
        return self.statuses.get(status, 0)


def test_outage_answers_503_then_recovers_with_no_acknowledged_write_lost(
    tmp_path: Path,
) -> None:
    with database() as url:
        params = conninfo_to_dict(url)
        proxy = CuttableProxy(str(params.get("host", "127.0.0.1")), int(params.get("port") or 5432))
        proxy.start()
        try:
            with cluster(tmp_path, through(proxy, url), database=url) as (backend,):
                run_outage(backend, proxy)
        finally:
            proxy.close()


def run_outage(backend: ServerProcess, proxy: CuttableProxy) -> None:
    writer = Writer(backend, token_for(backend.url))
    writer.start()
    try:
        assert wait_for(lambda: writer.count(201) >= 20)
        proxy.cut()
        assert wait_for(lambda: writer.count(503) >= 5), writer.statuses
        health = httpx.get(f"{backend.url}/health", timeout=10)
        assert health.status_code == 503
        assert health.json()["ClusterHealth"][0]["Healthy"] is False
        assert health.json()["PostgresHealth"][0]["Healthy"] is False
        time.sleep(2)  # a few seconds of outage, writes still coming
        acknowledged_before = writer.count(201)
        proxy.restore()
        assert wait_for(lambda: writer.count(201) >= acknowledged_before + 20), writer.statuses
        assert httpx.get(f"{backend.url}/health", timeout=10).status_code == 200
    finally:
        writer.stop.set()
        writer.join(timeout=30)
        writer.client.close()
    assert set(writer.statuses) == {201, 503}, writer.statuses
    assert all(body.get("message") for body in writer.unavailable_bodies)
    with client_for(backend.url, token_for(backend.url)) as client:
        stored = {e["entity"]["metadata"]["name"] for e in client.get(EVENTS).json()}
    lost = [name for name in writer.acknowledged if name not in stored]
    assert lost == [], f"{len(lost)} acknowledged writes lost"


def terminate_connections(url: str) -> None:
    """Kill every server connection of the database but ours (a database hiccup)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_connections_killed_again_and_again_lose_no_acknowledged_write(tmp_path: Path) -> None:
    """Connections die mid-transaction here, so some writes end with an unknown outcome:
    those must not be acknowledged, and every acknowledged one must be stored."""
    with database() as url, cluster(tmp_path, url, url, database=url) as backends:
        writers = [
            Writer(backend, token_for(backend.url), prefix=f"b{i}-")
            for i, backend in enumerate(backends)
        ]
        for writer in writers:
            writer.start()
        try:
            assert wait_for(lambda: all(w.count(201) >= 10 for w in writers))
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                terminate_connections(url)
                time.sleep(0.05)
            before = [w.count(201) for w in writers]
            assert wait_for(
                lambda: all(w.count(201) >= n + 10 for w, n in zip(writers, before, strict=True))
            )
        finally:
            for writer in writers:
                writer.stop.set()
                writer.join(timeout=30)
                writer.client.close()
        with client_for(backends[0].url, token_for(backends[0].url)) as client:
            stored = {e["entity"]["metadata"]["name"] for e in client.get(EVENTS).json()}
        for writer in writers:
            assert set(writer.statuses) <= {201, 503}, writer.statuses
            assert all(body.get("message") for body in writer.unavailable_bodies)
            assert [n for n in writer.acknowledged if n not in stored] == []
