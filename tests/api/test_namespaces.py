"""Namespaces: cluster-wide, created with their system:pipeline role, deleted only when empty."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.api.samples import body
from tests.support import LiveServer, client_for, token_for

API = "/api/core/v2"


def test_create_get_list_delete(admin: httpx.Client, unique: Callable[[str], str]) -> None:
    name = unique("ns")
    assert admin.post(f"{API}/namespaces", json={"name": name}).status_code == 201
    assert admin.post(f"{API}/namespaces", json={"name": name}).status_code == 409
    assert admin.get(f"{API}/namespaces/{name}").json() == {"name": name}
    assert {"name": name} in admin.get(f"{API}/namespaces").json()
    role = admin.get(f"{API}/namespaces/{name}/roles/system:pipeline")
    assert role.status_code == 200
    assert admin.get(f"{API}/namespaces/{name}/rolebindings/system:pipeline").status_code == 200
    assert admin.delete(f"{API}/namespaces/{name}").status_code == 204
    assert admin.get(f"{API}/namespaces/{name}").status_code == 404
    assert admin.delete(f"{API}/namespaces/{name}").status_code == 404


def test_default_namespace_exists(admin: httpx.Client) -> None:
    assert admin.get(f"{API}/namespaces/default").json() == {"name": "default"}


def test_put_name_must_match(admin: httpx.Client) -> None:
    response = admin.put(f"{API}/namespaces/aaa", json={"name": "bbb"})
    assert response.status_code == 400
    assert admin.get(f"{API}/namespaces/aaa").status_code == 404


def test_invalid_name(admin: httpx.Client) -> None:
    assert admin.post(f"{API}/namespaces", json={"name": "no spaces"}).status_code == 400
    assert admin.post(f"{API}/namespaces", json={"name": ""}).status_code == 400


def test_non_empty_namespace_is_not_deleted(admin: httpx.Client, namespace: str) -> None:
    check = body("checks", "keep", namespace)
    assert admin.post(f"{API}/namespaces/{namespace}/checks", json=check).status_code == 201
    response = admin.delete(f"{API}/namespaces/{namespace}")
    assert response.status_code == 409
    assert "not empty" in response.json()["message"]
    assert admin.get(f"{API}/namespaces/{namespace}/checks/keep").status_code == 200
    assert admin.get(f"{API}/namespaces/{namespace}").status_code == 200


def test_deleted_namespace_is_gone_at_once(
    admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    name = unique("ns")
    assert admin.post(f"{API}/namespaces", json={"name": name}).status_code == 201
    assert admin.get(f"{API}/namespaces/{name}/checks").status_code == 200
    assert admin.delete(f"{API}/namespaces/{name}").status_code == 204
    check = body("checks", "late", name)
    response = admin.post(f"{API}/namespaces/{name}/checks", json=check)
    assert response.status_code == 404  # writes into it are refused at once
    assert name in response.json()["message"]
    assert admin.get(f"{API}/namespaces/{name}/checks").json() == []  # reads: as in Sensu
    assert admin.post(f"{API}/namespaces", json={"name": name}).status_code == 201
    assert admin.post(f"{API}/namespaces/{name}/checks", json=check).status_code == 201


def test_missing_namespace_is_403_for_callers_without_rights(
    admin: httpx.Client, live: LiveServer
) -> None:
    user = {"username": "outsider", "password": "P@ssw0rd!", "groups": []}
    assert admin.put(f"{API}/users/outsider", json=user).status_code == 201
    with client_for(live.url, token_for(live.url, "outsider", "P@ssw0rd!")) as outsider:
        assert outsider.get(f"{API}/namespaces/nowhere/checks").status_code == 403
        assert outsider.get(f"{API}/namespaces/default/checks").status_code == 403
