"""ETags, conditional requests and merge-patch PATCH through the real server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api.samples import CLUSTER_WIDE, NAMESPACED, body
from tests.support import LiveServer, client_for

API = "/api/core/v2"
MERGE = {"Content-Type": "application/merge-patch+json"}


def check_path(namespace: str, name: str) -> str:
    return f"{API}/namespaces/{namespace}/checks/{name}"


@pytest.fixture
def check(admin: httpx.Client, namespace: str) -> str:
    """A check with labels and lists to patch; returns its URL."""
    doc = body("checks", "web", namespace)
    doc["metadata"]["labels"] = {"team": "ops", "tier": "front"}
    doc["subscriptions"] = ["linux", "web"]
    path = check_path(namespace, "web")
    assert admin.put(path, json=doc).status_code == 201
    return path


def patch(client: httpx.Client, path: str, doc: Any, **headers: str) -> httpx.Response:
    return client.patch(path, json=doc, headers={**MERGE, **headers})


def is_strong_tag(tag: str) -> bool:
    return tag.startswith('"') and tag.endswith('"') and len(tag) > 2


# --- ETag on every GET -----------------------------------------------------------------------


def _create(admin: httpx.Client, kind: str, namespace: str, name: str) -> tuple[str, str]:
    """(item URL, collection URL) of a fresh ``kind``, made through the API."""
    if kind in NAMESPACED:
        coll = f"{API}/namespaces/{namespace}/{kind}"
        assert admin.post(coll, json=body(kind, name, namespace)).status_code in (200, 201)
        return f"{coll}/{name}", coll
    if kind in CLUSTER_WIDE:
        assert admin.post(f"{API}/{kind}", json=body(kind, name, None)).status_code == 201
        return f"{API}/{kind}/{name}", f"{API}/{kind}"
    if kind == "users":
        user = {"username": name, "password": "P@ssw0rd!1"}
        assert admin.post(f"{API}/users", json=user).status_code == 201
        return f"{API}/users/{name}", f"{API}/users"
    if kind == "namespaces":
        assert admin.post(f"{API}/namespaces", json={"name": name}).status_code == 201
        return f"{API}/namespaces/{name}", f"{API}/namespaces"
    coll = f"{API}/namespaces/{namespace}/{kind}"
    if kind == "silenced":
        entry = {"metadata": {"namespace": namespace}, "subscription": name, "check": "disk"}
        assert admin.post(coll, json=entry).status_code == 201
        return f"{coll}/{name}:disk", coll
    event = {"entity": {"metadata": {"name": name}}, "check": {"metadata": {"name": "ping"}}}
    assert admin.post(coll, json=event).status_code == 201
    return f"{coll}/{name}/ping", coll


KINDS = [
    *NAMESPACED,
    *CLUSTER_WIDE,
    "users",
    "namespaces",
    "silenced",
    "events",
]


@pytest.mark.parametrize("kind", KINDS)
def test_every_get_has_an_etag_and_answers_304(
    admin: httpx.Client, namespace: str, unique: Callable[[str], str], kind: str
) -> None:
    item, coll = _create(admin, kind, namespace, unique(kind[:4]))
    for path in (item, coll):
        got = admin.get(path)
        assert got.status_code == 200, got.text
        tag = got.headers["etag"]
        assert is_strong_tag(tag)
        assert admin.get(path).headers["etag"] == tag, "same content, same tag"
        fresh = admin.get(path, headers={"If-None-Match": tag})
        assert fresh.status_code == 304
        assert fresh.content == b""
        assert fresh.headers["etag"] == tag
        assert admin.get(path, headers={"If-None-Match": '"other", ' + tag}).status_code == 304
        assert admin.get(path, headers={"If-None-Match": "W/" + tag}).status_code == 304
        assert admin.get(path, headers={"If-None-Match": "*"}).status_code == 304
        stale = admin.get(path, headers={"If-None-Match": '"other"'})
        assert stale.status_code == 200
        assert stale.json() == got.json()


def test_etag_changes_with_the_content(admin: httpx.Client, check: str, namespace: str) -> None:
    coll = f"{API}/namespaces/{namespace}/checks"
    before, list_before = admin.get(check).headers["etag"], admin.get(coll).headers["etag"]
    changed = patch(admin, check, {"metadata": {"labels": {"x": "1"}}})
    assert changed.status_code == 200
    after = admin.get(check)
    assert after.headers["etag"] != before
    assert changed.headers["etag"] == after.headers["etag"], "PATCH answers with the new tag"
    assert admin.get(coll).headers["etag"] != list_before
    assert admin.get(check, headers={"If-None-Match": before}).status_code == 200


def test_list_etag_changes_when_an_item_is_added(admin: httpx.Client, namespace: str) -> None:
    coll = f"{API}/namespaces/{namespace}/checks"
    admin.put(check_path(namespace, "a"), json=body("checks", "a", namespace))
    first = admin.get(coll, params={"limit": 1})
    assert "sensu-continue" not in first.headers
    admin.put(check_path(namespace, "b"), json=body("checks", "b", namespace))
    again = admin.get(coll, params={"limit": 1}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200, "the page gained a successor: not fresh any more"
    assert "sensu-continue" in again.headers


# --- PATCH: RFC 7386 merge patch -------------------------------------------------------------


def test_merge_patch_merges_deletes_and_replaces(admin: httpx.Client, check: str) -> None:
    response = patch(
        admin,
        check,
        {
            "metadata": {"labels": {"tier": None, "region": "us-west-1"}},
            "subscriptions": ["windows"],
            "interval": 30,
            "timeout": None,
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    got = admin.get(check).json()
    assert response.json() == got
    assert got["metadata"]["labels"] == {"team": "ops", "region": "us-west-1"}
    assert got["subscriptions"] == ["windows"], "arrays are replaced, not merged"
    assert got["interval"] == 30
    assert got["command"] == "check-cpu.sh", "untouched keys stay"
    assert got["metadata"]["created_by"] == "admin"


def test_empty_patch_changes_nothing_but_answers(admin: httpx.Client, check: str) -> None:
    before = admin.get(check).json()
    response = patch(admin, check, {})
    assert response.status_code == 200
    assert response.json() == before


@pytest.mark.parametrize(
    "content_type,message",
    [
        (
            "application/json",
            "invalid Content-Type header: application/json.  "
            "Allowed values: application/merge-patch+json",
        ),
        (
            "text/plain",
            "invalid Content-Type header: text/plain.  "
            "Allowed values: application/merge-patch+json",
        ),
        ("application/json-patch+json", "JSON Patch is not supported yet."),
    ],
)
def test_patch_needs_merge_patch_content_type(
    admin: httpx.Client, check: str, content_type: str, message: str
) -> None:
    before = admin.get(check).json()
    response = admin.patch(
        check, content=b'{"interval": 5}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 400
    assert response.json()["code"] == 1
    assert response.json()["message"].startswith(message)
    assert admin.get(check).json() == before


@pytest.mark.parametrize(
    "doc,words",
    [
        ({"metadata": {"name": "other"}}, "name of the resource (other)"),
        ({"metadata": {"namespace": "default"}}, "namespace of the resource (default)"),
        ([{"op": "add"}], "JSON object"),
        ({"interval": "soon"}, "interval"),
    ],
    ids=["rename", "move", "not-an-object", "wrong-type"],
)
def test_bad_patches_are_400_and_change_nothing(
    admin: httpx.Client, check: str, doc: Any, words: str
) -> None:
    before = admin.get(check)
    response = patch(admin, check, doc)
    assert response.status_code == 400, response.text
    assert words in response.json()["message"]
    after = admin.get(check)
    assert after.json() == before.json()
    assert after.headers["etag"] == before.headers["etag"]


def test_malformed_patch_body_is_400(admin: httpx.Client, check: str) -> None:
    response = admin.patch(check, content=b"{nope", headers=MERGE)
    assert response.status_code == 400
    assert response.json()["code"] == 1


def test_patch_of_missing_resource_is_404(admin: httpx.Client, namespace: str) -> None:
    response = patch(admin, check_path(namespace, "absent"), {"interval": 5})
    assert response.status_code == 404
    assert response.json()["code"] == 2


# --- If-Match / If-None-Match ----------------------------------------------------------------


def _if_match_cases(tag: str) -> list[tuple[dict[str, str], int]]:
    return [
        ({"If-Match": tag}, 200),
        ({"If-Match": "*"}, 200),
        ({"If-Match": f'"a", {tag}, "b"'}, 200),
        ({"If-Match": '"stale"'}, 412),
        ({"If-Match": '"a", "b"'}, 412),
        ({"If-Match": "W/" + tag}, 412),  # If-Match compares strongly
        ({"If-None-Match": '"a", "b"'}, 200),
        ({"If-None-Match": tag}, 412),
        ({"If-None-Match": f'"a", {tag}'}, 412),
        ({"If-None-Match": "W/" + tag}, 412),  # If-None-Match compares weakly
        ({"If-None-Match": "*"}, 412),
        ({"If-Match": tag, "If-None-Match": '"a"'}, 200),
        ({"If-Match": tag, "If-None-Match": tag}, 412),
        ({"If-Match": '"stale"', "If-None-Match": '"a"'}, 412),
    ]


def test_conditional_patch(admin: httpx.Client, namespace: str) -> None:
    path = check_path(namespace, "cond")
    admin.put(path, json=body("checks", "cond", namespace))
    for number, (headers, status) in enumerate(_if_match_cases('"TAG"')):
        before = admin.get(path)
        tag = before.headers["etag"]
        real = {k: v.replace('"TAG"', tag) for k, v in headers.items()}
        response = patch(admin, path, {"metadata": {"labels": {"n": str(number)}}}, **real)
        assert response.status_code == status, (real, response.text)
        after = admin.get(path)
        if status == 412:
            assert response.json()["code"] == 7
            assert after.json() == before.json(), "a failed condition changes nothing"
            assert after.headers["etag"] == tag
        else:
            assert after.json()["metadata"]["labels"]["n"] == str(number)
            assert response.headers["etag"] == after.headers["etag"] != tag


def test_put_honours_if_match(admin: httpx.Client, check: str, namespace: str) -> None:
    """Beyond Sensu, whose PUT ignores the conditions."""
    doc = admin.get(check).json()
    tag = admin.get(check).headers["etag"]
    doc["interval"] = 11
    stale = admin.put(check, json=doc, headers={"If-Match": '"stale"'})
    assert stale.status_code == 412
    assert admin.get(check).json()["interval"] == 60
    assert admin.get(check).headers["etag"] == tag
    assert admin.put(check, json=doc, headers={"If-Match": tag}).status_code == 201
    assert admin.get(check).json()["interval"] == 11
    assert admin.put(check, json=doc, headers={"If-Match": tag}).status_code == 412


def test_put_if_none_match_star_only_creates(admin: httpx.Client, namespace: str) -> None:
    path = check_path(namespace, "once")
    doc = body("checks", "once", namespace)
    assert admin.put(path, json=doc, headers={"If-Match": "*"}).status_code == 412
    assert admin.get(path).status_code == 404
    assert admin.put(path, json=doc, headers={"If-None-Match": "*"}).status_code == 201
    doc["interval"] = 5
    assert admin.put(path, json=doc, headers={"If-None-Match": "*"}).status_code == 412
    assert admin.get(path).json()["interval"] == 60


def test_delete_honours_if_match(admin: httpx.Client, check: str) -> None:
    tag = admin.get(check).headers["etag"]
    refused = admin.delete(check, headers={"If-Match": '"stale"'})
    assert refused.status_code == 412
    assert refused.json()["code"] == 7
    assert admin.get(check).status_code == 200
    assert admin.delete(check, headers={"If-None-Match": tag}).status_code == 412
    assert admin.delete(check, headers={"If-Match": tag}).status_code == 204
    assert admin.get(check).status_code == 404


# --- concurrency -----------------------------------------------------------------------------


def _parallel(count: int, work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_concurrent_conditional_increments_lose_no_write(
    live: LiveServer, admin_token: str, admin: httpx.Client, check: str
) -> None:
    """20 clients read-ETag -> PATCH If-Match -> retry on 412: every increment lands."""
    patch(admin, check, {"metadata": {"labels": {"counter": "0"}}})
    successes: list[int] = []
    conflicts: list[int] = []

    def increment(worker: int) -> None:
        with client_for(live.url, admin_token) as client:
            for _ in range(2):
                while True:
                    got = client.get(check)
                    value = int(got.json()["metadata"]["labels"]["counter"])
                    doc = {"metadata": {"labels": {"counter": str(value + 1)}}}
                    response = patch(client, check, doc, **{"If-Match": got.headers["etag"]})
                    if response.status_code == 200:
                        successes.append(worker)
                        break
                    assert response.status_code == 412, response.text
                    conflicts.append(worker)

    _parallel(20, increment)
    final = admin.get(check).json()["metadata"]["labels"]["counter"]
    assert len(successes) == 40
    assert int(final) == len(successes)


def test_concurrent_unconditional_patches_all_land(
    live: LiveServer, admin_token: str, admin: httpx.Client, check: str
) -> None:
    """Without conditions a PATCH is merged onto whatever is current: no 412, no lost key."""

    def label(worker: int) -> None:
        with client_for(live.url, admin_token) as client:
            response = patch(client, check, {"metadata": {"labels": {f"k{worker}": "v"}}})
            assert response.status_code == 200, response.text

    _parallel(20, label)
    labels = admin.get(check).json()["metadata"]["labels"]
    assert {f"k{i}" for i in range(20)} <= set(labels)
