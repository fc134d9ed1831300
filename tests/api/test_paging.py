"""``limit``/``continue`` pagination through the real server, on every kind of list endpoint."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.api.samples import body

API = "/api/core/v2"


def walk(
    client: httpx.Client, path: str, limit: int, **params: str
) -> Iterator[tuple[list[Any], httpx.Response]]:
    """Every page of ``path``, following ``Sensu-Continue`` until it is absent."""
    query: dict[str, Any] = {"limit": limit, **params}
    for _ in range(10_000):
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page) <= limit
        yield page, response
        token = response.headers.get("sensu-continue")
        if token is None:
            return
        assert page, "a continue token must not follow an empty page"
        query["continue"] = token
    raise AssertionError("pagination did not end")


def walk_all(client: httpx.Client, path: str, limit: int, **params: str) -> list[Any]:
    return [item for page, _ in walk(client, path, limit, **params) for item in page]


def key(item: dict[str, Any]) -> tuple[str, str]:
    meta = item.get("metadata", {})
    return meta.get("namespace", ""), meta.get("name") or item.get("username") or item["name"]


def event_key(item: dict[str, Any]) -> tuple[str, str, str]:
    return (
        item["metadata"]["namespace"],
        item["entity"]["metadata"]["name"],
        item["check"]["metadata"]["name"],
    )


def post_event(client: httpx.Client, namespace: str, entity: str, check: str) -> None:
    doc = {
        "entity": {"metadata": {"name": entity}},
        "check": {"metadata": {"name": check}, "status": 0, "output": "ok", "interval": 60},
    }
    response = client.post(f"{API}/namespaces/{namespace}/events", json=doc)
    assert response.status_code == 201, response.text


def make_checks(client: httpx.Client, namespace: str, names: list[str]) -> None:
    for name in names:
        response = client.put(
            f"{API}/namespaces/{namespace}/checks/{name}", json=body("checks", name, namespace)
        )
        assert response.status_code == 201, response.text


def assert_pages(pages: list[tuple[list[Any], httpx.Response]], sizes: list[int]) -> None:
    assert [len(page) for page, _ in pages] == sizes
    for _, response in pages[:-1]:
        assert response.headers["sensu-continue"]
    assert "sensu-continue" not in pages[-1][1].headers


def test_namespaced_list_pages_in_order(admin: httpx.Client, namespace: str) -> None:
    names = [f"c{i:02d}" for i in range(7)]
    make_checks(admin, namespace, names[::-1])
    pages = list(walk(admin, f"{API}/namespaces/{namespace}/checks", 3))
    assert_pages(pages, [3, 3, 1])
    assert [key(x)[1] for page, _ in pages for x in page] == names


def test_no_continue_when_the_page_is_exactly_the_rest(admin: httpx.Client, namespace: str) -> None:
    make_checks(admin, namespace, ["a", "b", "c", "d"])
    pages = list(walk(admin, f"{API}/namespaces/{namespace}/checks", 2))
    assert_pages(pages, [2, 2])
    whole = admin.get(f"{API}/namespaces/{namespace}/checks", params={"limit": 4})
    assert len(whole.json()) == 4
    assert "sensu-continue" not in whole.headers


def test_no_limit_or_zero_returns_everything(admin: httpx.Client, namespace: str) -> None:
    make_checks(admin, namespace, ["a", "b", "c"])
    for params in ({}, {"limit": "0"}, {"limit": ""}):
        response = admin.get(f"{API}/namespaces/{namespace}/checks", params=params)
        assert len(response.json()) == 3
        assert "sensu-continue" not in response.headers


def test_empty_list_has_no_continue(admin: httpx.Client, namespace: str) -> None:
    response = admin.get(f"{API}/namespaces/{namespace}/checks", params={"limit": 5})
    assert response.status_code == 200
    assert response.json() == []
    assert "sensu-continue" not in response.headers


def test_all_namespaces_list_pages_across_namespaces(
    admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    namespaces = sorted(unique("pg") for _ in range(2))
    for ns in namespaces:
        assert admin.post(f"{API}/namespaces", json={"name": ns}).status_code == 201
        make_checks(admin, ns, ["x1", "x2", "x3"])
    seen = [key(x) for x in walk_all(admin, f"{API}/checks", 2)]
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen)
    ours = [k for k in seen if k[0] in namespaces]
    assert ours == [(ns, n) for ns in namespaces for n in ("x1", "x2", "x3")]


def test_users_pages(admin: httpx.Client, unique: Callable[[str], str]) -> None:
    created = sorted(unique("pu") for _ in range(3))
    for name in created:
        user = {"username": name, "password": "P@ssw0rd!1", "groups": ["ops"]}
        assert admin.post(f"{API}/users", json=user).status_code == 201
    pages = list(walk(admin, f"{API}/users", 1))
    everyone = [x["username"] for page, _ in pages for x in page]
    assert all(len(page) == 1 for page, _ in pages)
    assert everyone == sorted(set(everyone))
    assert set(created) <= set(everyone) and "admin" in everyone
    assert all("password" not in x and "password_hash" not in x for p, _ in pages for x in p)


def test_namespaces_pages(admin: httpx.Client, namespace: str) -> None:
    pages = list(walk(admin, f"{API}/namespaces", 1))
    names = [x["name"] for page, _ in pages for x in page]
    assert names == sorted(set(names))
    assert {"default", namespace} <= set(names)
    assert len(pages) == len(names)


def test_events_pages_in_a_namespace_and_across(
    admin: httpx.Client, namespace: str, unique: Callable[[str], str]
) -> None:
    wanted = [(namespace, e, c) for e in ("e1", "e2") for c in ("c1", "c2", "c3")]
    for _, entity, check in reversed(wanted):
        post_event(admin, namespace, entity, check)
    pages = list(walk(admin, f"{API}/namespaces/{namespace}/events", 4))
    assert_pages(pages, [4, 2])
    assert [event_key(x) for page, _ in pages for x in page] == wanted
    across = [event_key(x) for x in walk_all(admin, f"{API}/events", 4)]
    assert across == sorted(set(across))
    assert [k for k in across if k[0] == namespace] == wanted


def test_events_of_one_entity_page(admin: httpx.Client, namespace: str) -> None:
    # "e1" and "e10" share a prefix: only e1's events may show.
    for entity, check in [("e1", "a"), ("e1", "b"), ("e1", "c"), ("e10", "a"), ("e0", "z")]:
        post_event(admin, namespace, entity, check)
    pages = list(walk(admin, f"{API}/namespaces/{namespace}/events/e1", 2))
    assert_pages(pages, [2, 1])
    assert [event_key(x)[1:] for page, _ in pages for x in page] == [
        ("e1", "a"),
        ("e1", "b"),
        ("e1", "c"),
    ]


def test_silenced_pages(admin: httpx.Client, namespace: str) -> None:
    """Beyond Sensu: its silenced lists ignore ``limit``/``continue``; ours page like the rest."""
    subscriptions = [f"sub{i}" for i in range(5)]
    for sub in subscriptions:
        entry = {"metadata": {"namespace": namespace}, "subscription": sub, "check": "disk"}
        assert admin.post(f"{API}/namespaces/{namespace}/silenced", json=entry).status_code == 201
    pages = list(walk(admin, f"{API}/namespaces/{namespace}/silenced", 2))
    assert_pages(pages, [2, 2, 1])
    assert [x["metadata"]["name"] for page, _ in pages for x in page] == [
        f"{s}:disk" for s in subscriptions
    ]
    across = [key(x) for x in walk_all(admin, f"{API}/silenced", 2)]
    assert [k for k in across if k[0] == namespace] == [
        (namespace, f"{s}:disk") for s in subscriptions
    ]


@pytest.mark.parametrize("limit", ["abc", "-1", "1.5", "2x", str(2**63), "9" * 30])
def test_bad_limit_is_400(admin: httpx.Client, namespace: str, limit: str) -> None:
    make_checks(admin, namespace, ["a", "b"])
    response = admin.get(f"{API}/namespaces/{namespace}/checks", params={"limit": limit})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["code"] == 1
    assert "limit" in response.json()["message"]


@pytest.mark.parametrize(
    "token",
    ["!!!", "abc", "W10", "bm90IGpzb24", "WyJhIiwxXQ"],
    ids=["not-base64", "not-json", "empty-array", "text", "wrong-types"],
)
def test_bad_continue_is_400(admin: httpx.Client, namespace: str, token: str) -> None:
    make_checks(admin, namespace, ["a", "b"])
    for path in (f"{API}/namespaces/{namespace}/checks", f"{API}/users", f"{API}/events"):
        response = admin.get(path, params={"limit": 1, "continue": token})
        assert response.status_code == 400, (path, response.text)
        assert response.json()["code"] == 1
        assert "continue" in response.json()["message"]


def test_walk_during_churn_sees_every_stable_item_once(
    live: Any, admin_token: str, admin: httpx.Client, namespace: str
) -> None:
    """Items that exist throughout appear exactly once while others come and go around them."""
    from tests.support import client_for

    stable = [f"item-{i:03d}-s" for i in range(0, 60)]
    make_checks(admin, namespace, stable)
    stop = threading.Event()
    churned: list[int] = []

    def churn() -> None:
        with client_for(live.url, admin_token) as other:
            i = 0
            while not stop.is_set():
                # Names sort between and around the stable ones: item-NNN-a / item-NNN-t.
                name = f"item-{(i * 7) % 60:03d}-{'a' if i % 2 else 't'}"
                path = f"{API}/namespaces/{namespace}/checks/{name}"
                other.put(path, json=body("checks", name, namespace))
                if i % 3:
                    other.delete(path)
                churned.append(i)
                i += 1

    worker = threading.Thread(target=churn)
    worker.start()
    overlapped = 0
    try:
        for _ in range(200):  # walk until several walks ran while the writer wrote
            before = len(churned)
            seen = [key(x)[1] for x in walk_all(admin, f"{API}/namespaces/{namespace}/checks", 4)]
            assert len(seen) == len(set(seen)), "an item was returned twice"
            assert seen == sorted(seen)
            assert [n for n in seen if n.endswith("-s")] == stable
            overlapped += len(churned) > before
            if overlapped >= 5:
                break
    finally:
        stop.set()
        worker.join()
    assert overlapped >= 5, "the writer did not run alongside the walks"


@pytest.mark.parametrize("size", [6, 7, 9])  # chunk 3: exact multiples and a remainder
def test_long_unpaged_lists_are_streamed_whole(
    admin: httpx.Client, namespace: str, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    """Past ``STREAM_CHUNK`` items an unpaged list is streamed; it holds the same items, in
    the same order, as walking its pages, selectors included; short lists keep their ETag."""
    from vigil.api import resources

    monkeypatch.setattr(resources, "STREAM_CHUNK", 3)
    coll = f"{API}/namespaces/{namespace}/checks"
    for n in range(size):
        doc = body("checks", f"c{n}", namespace)
        doc["metadata"]["labels"] = {"odd": str(n % 2)}
        assert admin.post(coll, json=doc).status_code == 201
    streamed = admin.get(coll)
    assert streamed.status_code == 200
    assert streamed.headers["content-type"] == "application/json"
    assert [key(i) for i in streamed.json()] == [key(i) for i in walk_all(admin, coll, 2)]
    assert len(streamed.json()) == size
    selected = admin.get(coll, params={"labelSelector": "odd == 0"}).json()
    assert [i["metadata"]["name"] for i in selected] == [f"c{n}" for n in range(0, size, 2)]
    short = admin.get(
        coll, params={"labelSelector": "odd == 1", "fieldSelector": "check.name in [c1, c3]"}
    )
    assert len(short.json()) == 2 and "etag" in short.headers
