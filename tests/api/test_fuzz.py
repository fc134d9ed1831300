"""Bad input never crashes the server: random and mutated bodies on every write route get a
JSON answer below 500, and an answer of 4xx changes nothing."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.samples import CLUSTER_WIDE, NAMESPACED, body

API = "/api/core/v2"
# A longer hunt: VIGIL_FUZZ_EXAMPLES=1000 make test
EXAMPLES = int(os.environ.get("VIGIL_FUZZ_EXAMPLES", "40"))
KINDS = [*NAMESPACED, *CLUSTER_WIDE, "events", "silenced", "namespaces", "users", "apikeys"]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def valid(kind: str) -> dict[str, Any]:
    if kind == "events":
        return {
            "entity": {"metadata": {"name": "fuzz"}},
            "check": {"metadata": {"name": "c"}, "status": 1},
        }
    if kind == "silenced":
        return {"metadata": {"namespace": "default"}, "subscription": "fuzz", "check": "c"}
    if kind == "namespaces":
        return {"name": "fuzz-ns"}
    if kind == "users":
        return {"username": "fuzz-user", "password": "P@ssw0rd!", "groups": []}
    if kind == "apikeys":
        return {"username": "admin"}
    return body(kind, "fuzz", None if kind in CLUSTER_WIDE else "default")


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> Any:
    """A valid body with one field (possibly nested) replaced by arbitrary JSON."""
    doc = valid(kind)
    target = doc
    keys = list(target)
    key = draw(st.sampled_from(keys))
    if isinstance(target[key], dict) and target[key] and draw(st.booleans()):
        target = target[key]
        key = draw(st.sampled_from(list(target)))
    target[key] = draw(json_values)
    return doc


def collection(kind: str) -> str:
    if kind in (*CLUSTER_WIDE, "namespaces", "users", "apikeys"):
        return f"{API}/{kind}"
    return f"{API}/namespaces/default/{kind}"


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert isinstance(response.json()["message"], str)


@pytest.mark.parametrize("kind", KINDS)
def test_random_and_mutated_bodies_never_crash(admin: httpx.Client, kind: str) -> None:
    before = admin.get(collection(kind)).json()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(doc=st.one_of(json_values, mutated(kind)))
    def post_it(doc: Any) -> None:
        response = admin.post(collection(kind), json=doc)
        check(response)
        if response.status_code < 300:  # accepted: leave the collection as it was
            cleanup(admin, kind, doc, response)

    post_it()
    if kind != "users":  # users are disabled, never deleted
        assert admin.get(collection(kind)).json() == before


def cleanup(admin: httpx.Client, kind: str, doc: Any, response: httpx.Response) -> None:
    if kind == "apikeys":
        admin.delete(response.headers["location"])
    elif kind == "events":
        entity = doc["entity"]["metadata"]["name"]
        admin.delete(f"{API}/namespaces/default/entities/{entity}")
    elif kind == "namespaces":
        admin.delete(f"{API}/namespaces/{doc['name']}")
    elif kind == "silenced":
        for item in admin.get(collection(kind)).json():
            admin.delete(f"{collection(kind)}/{item['metadata']['name']}")
    elif kind == "entities" or kind != "users":
        admin.delete(f"{collection(kind)}/{doc['metadata']['name']}")


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"null", b"\xff\xfe", b"1e999999", b'"x"'])
@pytest.mark.parametrize("kind", ["checks", "events", "namespaces", "users", "silenced"])
def test_non_object_bodies_are_400(admin: httpx.Client, kind: str, raw: bytes) -> None:
    response = admin.post(
        collection(kind), content=raw, headers={"Content-Type": "application/json"}
    )
    check(response)
    assert response.status_code == 400


@pytest.mark.parametrize("kind", ["checks", "entities", "handlers", "clusterroles"])
def test_random_merge_patches_never_crash(admin: httpx.Client, kind: str) -> None:
    item = f"{collection(kind)}/fuzz-patch"
    doc = valid(kind)
    doc["metadata"]["name"] = "fuzz-patch"
    assert admin.put(item, json=doc).status_code in (200, 201)
    headers = {"Content-Type": "application/merge-patch+json"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(patch=st.dictionaries(st.sampled_from([*doc, "metadata", "x"]), json_values))
    def patch_it(patch: dict[str, Any]) -> None:
        before = admin.get(item)
        response = admin.patch(item, json=patch, headers=headers)
        check(response)
        if response.status_code >= 400:
            after = admin.get(item)
            assert after.json() == before.json()
            assert after.headers["etag"] == before.headers["etag"]

    patch_it()
    admin.delete(item)


LISTS = [f"{API}/checks", f"{API}/namespaces/default/events", f"{API}/users",
         f"{API}/namespaces", f"{API}/namespaces/default/silenced", f"{API}/apikeys"]  # fmt: skip
query_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)


@pytest.mark.parametrize("path", LISTS)
def test_random_list_queries_never_crash(admin: httpx.Client, path: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        params=st.dictionaries(
            st.sampled_from(["limit", "continue", "fieldSelector", "labelSelector", "x"]),
            st.one_of(query_text, st.integers(-5, 10**12).map(str)),
        )
    )
    def list_it(params: dict[str, str]) -> None:
        response = admin.get(path, params=params)
        check(response)
        if response.status_code == 200:
            assert isinstance(response.json(), list)

    list_it()


@pytest.mark.parametrize("segment", ["%00", "%ff", "..", "%2e%2e", "a%2Fb", "x" * 300, "%20"])
def test_odd_path_segments_never_crash(admin: httpx.Client, segment: str) -> None:
    for path in (
        f"{API}/namespaces/{segment}/checks",
        f"{API}/namespaces/default/checks/{segment}",
        f"{API}/{segment}",
        f"{API}/namespaces/default/events/{segment}/{segment}",
    ):
        response = admin.get(path)
        check(response)
        assert response.status_code in (200, 400, 403, 404), (path, response.status_code)
