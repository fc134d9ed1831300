"""On PostgreSQL, two ``vigil start`` backends and two ``vigil-agent``s, one on each: a round
robin check runs on one agent per tick, and on both agents over time."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.support import AgentProcess, Backend, poll
from tests.agent.test_end_to_end import put_check
from tests.cluster.conftest import postgres_flags
from tests.support import client_for, fresh_pg_database, init_state, token_for

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Backend]]:
    root: Path = tmp_path_factory.mktemp("agent-cluster")
    with fresh_pg_database() as url:
        init_state(root / "init", *postgres_flags(url))
        backends: list[Backend] = []
        try:
            for i in range(2):
                backends.append(Backend(root / f"backend{i}", *postgres_flags(url)).start())
            yield backends
        finally:
            for backend in backends:
                backend.stop()


def test_round_robin_across_backends(cluster: list[Backend], tmp_path: Path) -> None:
    sink = tmp_path / "runs.txt"
    agents = [
        AgentProcess(f"rr-{i}", [b.agent_url], tmp_path / f"cache{i}", "--subscriptions", "rr")
        for i, b in enumerate(cluster)
    ]
    try:
        for agent in agents:
            agent.start()
        record = (
            f'{sys.executable} -c "import json,sys; e=json.load(sys.stdin); '
            f"open('{sink}','a').write('%d %s\\n' % (e['check']['issued'], "
            "e['entity']['metadata']['name']))\""
        )
        with client_for(cluster[0].url, token_for(cluster[0].url)) as admin:
            put_check(admin, "rr-check", record, subscriptions=["rr"], stdin=True, round_robin=True)

            def both_ran() -> bool:
                lines = sink.read_text().split("\n") if sink.exists() else []
                return {"rr-0", "rr-1"} <= {line.split(" ")[-1] for line in lines if line}

            poll(both_ran, timeout=60)
            # The agent echoes the request's scheduler: the ring lives in PostgreSQL.
            event = admin.get("/api/core/v2/namespaces/default/events/rr-0/rr-check").json()
            assert event["check"]["scheduler"] == "postgres"
            put_check(admin, "rr-check", "true", subscriptions=["rr"], publish=False)
        runs = [line.split(" ") for line in sink.read_text().splitlines()]
        per_tick = Counter(issued for issued, _ in runs)
        assert max(per_tick.values()) == 1, per_tick  # one agent per tick
    finally:
        for agent in agents:
            if agent.proc is not None:
                agent.stop()
