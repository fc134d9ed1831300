"""Periodic jobs run on one backend; killing it hands them to the other within a bound."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.cluster.conftest import cluster, database, leader_pid
from tests.support import ServerProcess, client_for, token_for

API = "/api/core/v2"
SILENCES = f"{API}/namespaces/default/silenced"
JOB = "silence-expiry"
TAKEOVER_BOUND = 15.0  # seconds; the jobs tick every 0.2 s, so this is slack for a busy host


def wait_for(condition: Callable[[], bool], timeout: float = TAKEOVER_BOUND) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def silence_for_one_second(client: httpx.Client, subscription: str) -> str:
    entry = {
        "metadata": {"namespace": "default"},
        "subscription": subscription,
        "check": "disk",
        "expire": 1,
    }
    created = client.post(SILENCES, json=entry)
    assert created.status_code == 201, created.text
    return f"{SILENCES}/{subscription}:disk"


def test_killing_the_leader_hands_periodic_jobs_to_the_other(tmp_path: Path) -> None:
    with database() as url, cluster(tmp_path, url, url, database=url) as backends:
        by_pid: dict[int, ServerProcess] = {b.proc.pid: b for b in backends if b.proc}
        assert wait_for(lambda: leader_pid(url, JOB) in by_pid), "nobody took the lead"
        leader = by_pid[leader_pid(url, JOB) or 0]
        survivor = next(b for b in backends if b is not leader)
        with client_for(leader.url, token_for(leader.url)) as client:
            path = silence_for_one_second(client, "before")
            assert wait_for(lambda: client.get(path).status_code == 404)

        leader.stop(signal.SIGKILL)
        with client_for(survivor.url, token_for(survivor.url)) as client:
            path = silence_for_one_second(client, "after")
            assert client.get(path).status_code == 200
            assert wait_for(lambda: client.get(path).status_code == 404), "no takeover"
        assert leader_pid(url, JOB) == (survivor.proc.pid if survivor.proc else None)
