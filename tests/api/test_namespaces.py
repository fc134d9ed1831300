"""Namespaces: cluster-wide, created with their system:pipeline role, deleted only when empty."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.api.samples import body

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
