"""The registry is the only list of kinds: every derived list agrees with it, and declaring a
kind is all it takes for the server to serve, count, RBAC-classify and clean it up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from tests.support import LiveServer, client_for, token_for
from vigil.api import routes
from vigil.api.special import SPECIAL
from vigil.ctl.columns import columns_for, getter
from vigil.ctl.kinds import KINDS
from vigil.model.base import Access, ObjectMeta, Resource
from vigil.model.meta import new_meta
from vigil.model.registry import REGISTRY, by_type_name, register, unregister
from vigil.rbac.defaults import cluster_roles
from vigil.settings import Settings

API = "/api/core/v2"


def test_vigilctl_knows_exactly_the_registered_kinds() -> None:
    assert [k.plural for k in KINDS] == list(REGISTRY)
    for kind in KINDS:
        cls = REGISTRY[kind.plural]
        assert (kind.type, kind.cli, kind.namespaced) == (cls.TYPE, cls.CLI_NAME, cls.NAMESPACED)
        for _header, spec in cls.CLI_COLUMNS:
            getter(spec)  # every column names a path or a known presentation
        assert len(columns_for(cls.TYPE)) == len(cls.CLI_COLUMNS)


def test_default_roles_name_only_registered_kinds() -> None:
    known = {*REGISTRY, "*", "localselfuser"}
    for rules in cluster_roles().values():
        for rule in rules:
            assert set(rule["resources"]) <= known
    editable = {p for p, c in REGISTRY.items() if c.DEFAULT_ACCESS == "edit"}
    assert set(cluster_roles()["edit"][0]["resources"]) == editable


def test_sub_resources_served_are_the_declared_ones() -> None:
    router = routes.build()
    for plural, cls in REGISTRY.items():
        served = {r.subresource for r in router.routes if r.cls is cls and r.subresource}
        assert served == set(cls.SUBRESOURCES), plural
    assert set(SPECIAL) <= set(REGISTRY)


def test_every_kind_has_its_collection_and_item_routes() -> None:
    paths = {r.path for r in routes.build().routes}
    for plural, cls in REGISTRY.items():
        base = f"{API}/namespaces/{{namespace}}/{plural}" if cls.NAMESPACED else f"{API}/{plural}"
        assert base in paths
        assert any(p.startswith(base + "/{") for p in paths), plural


class Gadget(Resource, kw_only=True, omit_defaults=True):
    """A throwaway kind: declared here and nowhere else."""

    TYPE: ClassVar[str] = "Gadget"
    PLURAL: ClassVar[str] = "gadgets"
    FIELD_PREFIX: ClassVar[str] = "gadget"
    CLI_NAME: ClassVar[str] = "gadget"
    NAMESPACE_CONTENT: ClassVar[bool] = True
    DEFAULT_ACCESS: ClassVar[Access] = "edit"
    REVEALS_NAMESPACES: ClassVar[bool] = True

    metadata: ObjectMeta = new_meta()
    size: int = 0

    def fields(self) -> dict[str, str]:
        return {"gadget.name": self.metadata.name, "gadget.size": str(self.size)}


@pytest.fixture(scope="module")
def gadget_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    register(Gadget)
    try:
        state: Path = tmp_path_factory.mktemp("gadgets")
        server = LiveServer(Settings(state_dir=str(state))).start()
        yield server
        server.stop()
    finally:
        unregister(Gadget)


def test_a_declared_kind_is_served_counted_classified_and_cleaned_up(
    gadget_server: LiveServer,
) -> None:
    assert by_type_name("Gadget") is Gadget
    with client_for(gadget_server.url, token_for(gadget_server.url)) as admin:
        _exercise(gadget_server, admin)


def _exercise(gadget_server: LiveServer, admin: httpx.Client) -> None:
    ns = f"{API}/namespaces/lab"
    assert admin.put(f"{API}/namespaces/lab", json={"name": "lab"}).status_code == 201
    body = {"metadata": {"name": "g1", "namespace": "lab"}, "size": 3}
    assert admin.post(f"{ns}/gadgets", json=body).status_code == 201
    assert admin.get(f"{ns}/gadgets/g1").json()["size"] == 3
    picked = admin.get(f"{ns}/gadgets", params={"fieldSelector": "gadget.size == 3"})
    assert [g["metadata"]["name"] for g in picked.json()] == ["g1"]
    assert admin.delete(f"{ns}/gadgets").status_code == 405

    # counted
    assert 'vigil_resources{type="gadgets"} 1.0' in httpx.get(f"{gadget_server.url}/metrics").text

    # RBAC-classified: the default "view" role may read gadgets, not write them
    user = {"username": "viewer", "password": "P@ssw0rd!viewer", "groups": []}
    assert admin.post(f"{API}/users", json=user).status_code == 201
    binding = {
        "metadata": {"name": "viewer", "namespace": "lab"},
        "role_ref": {"type": "ClusterRole", "name": "view"},
        "subjects": [{"type": "User", "name": "viewer"}],
    }
    assert admin.post(f"{ns}/rolebindings", json=binding).status_code == 201
    token = token_for(gadget_server.url, "viewer", user["password"])
    with client_for(gadget_server.url, token) as viewer:
        assert viewer.get(f"{ns}/gadgets/g1").status_code == 200
        assert viewer.put(f"{ns}/gadgets/g1", json=body).status_code == 403

    # described
    paths = admin.get("/api/openapi.json").json()["paths"]
    assert f"{API}/namespaces/{{namespace}}/gadgets/{{name}}" in paths

    # a namespace holding one cannot go; once it is gone, the namespace can
    assert admin.delete(f"{API}/namespaces/lab").status_code == 409
    assert admin.delete(f"{ns}/gadgets/g1").status_code == 204
    assert admin.delete(f"{ns}/rolebindings/viewer").status_code == 204
    assert admin.delete(f"{API}/namespaces/lab").status_code == 204
