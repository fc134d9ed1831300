"""Two ``vigil start`` processes on one database behave as one backend, whichever you ask."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.cluster.conftest import cluster, database
from tests.support import ADMIN, PASSWORD, ServerProcess, client_for, token_for

API = "/api/core/v2"
MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    with (
        database() as url,
        cluster(tmp_path_factory.mktemp("cluster"), url, url, database=url) as b,
    ):
        yield b


@pytest.fixture(scope="module")
def a(backends: list[ServerProcess]) -> Iterator[httpx.Client]:
    with client_for(backends[0].url, token_for(backends[0].url)) as client:
        yield client


@pytest.fixture(scope="module")
def b(backends: list[ServerProcess]) -> Iterator[httpx.Client]:
    with client_for(backends[1].url, token_for(backends[1].url)) as client:
        yield client


def check_doc(name: str, **labels: str) -> dict[str, object]:
    return {
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "command": "true",
        "interval": 60,
        "subscriptions": ["linux"],
    }


def test_a_write_through_a_is_read_at_once_through_b(a: httpx.Client, b: httpx.Client) -> None:
    for i in range(20):
        path = f"{API}/namespaces/default/checks/seen-{i}"
        assert a.put(path, json=check_doc(f"seen-{i}", n=str(i))).status_code == 201
        got = b.get(path)
        assert got.status_code == 200, got.text
        assert got.json()["metadata"]["labels"] == {"n": str(i)}
        assert got.headers["etag"] == a.get(path).headers["etag"]
        assert b.delete(path).status_code == 204
        assert a.get(path).status_code == 404


def test_a_token_issued_by_a_works_on_b_and_a_logout_on_b_ends_it_on_a(
    backends: list[ServerProcess],
) -> None:
    one, two = backends
    tokens = httpx.get(f"{one.url}/auth", auth=(ADMIN, PASSWORD)).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert httpx.get(f"{two.url}{API}/namespaces", headers=bearer).status_code == 200
    refreshed = httpx.post(
        f"{two.url}/auth/token", headers=bearer, json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    bearer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert httpx.get(f"{one.url}{API}/namespaces", headers=bearer).status_code == 200
    logout = httpx.post(
        f"{two.url}/auth/logout",
        headers=bearer,
        json={"refresh_token": refreshed.json()["refresh_token"]},
    )
    assert logout.status_code == 200, logout.text
    assert httpx.get(f"{one.url}{API}/namespaces", headers=bearer).status_code == 401


def test_an_api_key_granted_on_a_works_on_b_until_revoked_on_a(
    a: httpx.Client, backends: list[ServerProcess]
) -> None:
    granted = a.post(f"{API}/apikeys", json={"username": ADMIN})
    assert granted.status_code == 201, granted.text
    location = granted.headers["location"]
    key = {"Authorization": f"Key {location.rsplit('/', 1)[1]}"}
    on_b = f"{backends[1].url}{API}/namespaces/default/checks"
    assert httpx.get(on_b, headers=key).status_code == 200
    assert a.delete(location).status_code == 204
    assert httpx.get(on_b, headers=key).status_code == 401


def test_a_user_disabled_on_a_can_no_longer_use_b(
    a: httpx.Client, backends: list[ServerProcess]
) -> None:
    user = {"username": "ops-amy", "password": "P@ssw0rd!1", "groups": ["cluster-admins"]}
    assert a.post(f"{API}/users", json=user).status_code == 201
    two = backends[1].url
    key_path = a.post(f"{API}/apikeys", json={"username": "ops-amy"}).headers["location"]
    by_key = {"Authorization": f"Key {key_path.rsplit('/', 1)[1]}"}
    by_token = {"Authorization": f"Bearer {token_for(two, 'ops-amy', 'P@ssw0rd!1')}"}
    checks = f"{two}{API}/namespaces/default/checks"
    for headers in (by_key, by_token):  # in use on B (and in B's caches) before
        assert httpx.get(checks, headers=headers).status_code == 200
    assert a.delete(f"{API}/users/ops-amy").status_code == 204
    for headers in (by_key, by_token):
        assert httpx.get(checks, headers=headers).status_code == 401
    assert httpx.get(f"{two}/auth", auth=("ops-amy", "P@ssw0rd!1")).status_code == 401


def test_conditional_patches_spread_over_both_backends_lose_no_update(
    backends: list[ServerProcess], a: httpx.Client
) -> None:
    path = f"{API}/namespaces/default/checks/counter"
    assert a.put(path, json=check_doc("counter", n="0")).status_code == 201
    tokens = [token_for(backend.url) for backend in backends]
    failures: list[str] = []
    retries = [0]

    def increment(i: int) -> None:
        with client_for(backends[i % 2].url, tokens[i % 2]) as client:
            for _ in range(500):
                current = client.get(path)
                n = int(current.json()["metadata"]["labels"]["n"])
                patch = {"metadata": {"labels": {"n": str(n + 1)}}}
                headers = {**MERGE, "If-Match": current.headers["etag"]}
                done = client.patch(path, json=patch, headers=headers)
                if done.status_code == 200:
                    return
                if done.status_code != 412:
                    failures.append(f"{done.status_code} {done.text}")
                    return
                retries[0] += 1
            failures.append("gave up")

    threads = [threading.Thread(target=increment, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert retries[0] > 0, "the updates did race"
    for backend, token in zip(backends, tokens, strict=True):
        with client_for(backend.url, token) as client:
            assert client.get(path).json()["metadata"]["labels"]["n"] == "50"


def test_rbac_changes_on_a_hold_on_b_at_once(
    a: httpx.Client, backends: list[ServerProcess]
) -> None:
    user = {"username": "viewer-bo", "password": "P@ssw0rd!1"}
    assert a.post(f"{API}/users", json=user).status_code == 201
    two = backends[1].url
    token = token_for(two, "viewer-bo", "P@ssw0rd!1")
    checks = f"{two}{API}/namespaces/default/checks"
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(checks, headers=bearer).status_code == 403  # B has it cached now
    binding = {
        "metadata": {"name": "bo-views", "namespace": "default"},
        "role_ref": {"type": "ClusterRole", "name": "view"},
        "subjects": [{"type": "User", "name": "viewer-bo"}],
    }
    bindings = f"{API}/namespaces/default/rolebindings"
    assert a.post(bindings, json=binding).status_code == 201
    assert httpx.get(checks, headers=bearer).status_code == 200
    assert a.delete(f"{bindings}/bo-views").status_code == 204
    assert httpx.get(checks, headers=bearer).status_code == 403


def test_results_for_one_check_racing_on_both_backends_lose_no_update(
    backends: list[ServerProcess],
) -> None:
    tokens = [token_for(backend.url) for backend in backends]
    events = f"{API}/namespaces/default/events"
    errors: list[int] = []

    def report(i: int) -> None:
        with client_for(backends[i % 2].url, tokens[i % 2]) as client:
            for j in range(5):
                event = {
                    "entity": {"metadata": {"name": "racer"}},
                    "check": {"metadata": {"name": "disk"}, "status": 1, "output": f"{i}.{j}"},
                }
                status = client.post(events, json=event).status_code
                if status not in (200, 201):
                    errors.append(status)

    threads = [threading.Thread(target=report, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with client_for(backends[0].url, tokens[0]) as client:
        stored = client.get(f"{events}/racer/disk").json()
    assert stored["check"]["occurrences"] == 40
