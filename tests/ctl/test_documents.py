"""`create -f` parsing: multi-document YAML, concatenated JSON and the type -> URI table."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.ctl.documents import parse_documents, to_request
from vigil.ctl.errors import CtlError

MULTI_YAML = """
type: CheckConfig
api_version: core/v2
metadata:
  name: disk
  namespace: prod
spec:
  command: check-disk
  interval: 30
---
type: Handler
api_version: core/v2
metadata:
  name: slack
spec:
  type: pipe
  command: notify
---
"""

CONCATENATED_JSON = """
{"type": "Asset", "api_version": "core/v2", "metadata": {"name": "a/b"},
 "spec": {"url": "http://x"}}
{"type": "Namespace", "api_version": "core/v2", "metadata": {}, "spec": {"name": "dev"}}

{"type": "User", "spec": {"username": "bob", "password": "secret123"}}
"""


def test_multi_document_yaml() -> None:
    docs = parse_documents(MULTI_YAML)
    assert [d["type"] for d in docs] == ["CheckConfig", "Handler"]
    assert docs[0]["spec"]["interval"] == 30


def test_concatenated_json() -> None:
    docs = parse_documents(CONCATENATED_JSON)
    assert [d["type"] for d in docs] == ["Asset", "Namespace", "User"]


def test_json_array_of_documents() -> None:
    docs = parse_documents('[{"type": "Namespace", "spec": {"name": "a"}}]')
    assert docs[0]["spec"] == {"name": "a"}


def test_yaml_flow_mapping_falls_back_to_yaml() -> None:
    docs = parse_documents("{type: Namespace, spec: {name: a}}")
    assert docs[0]["type"] == "Namespace"


@pytest.mark.parametrize(
    "text",
    ["- 1\n- 2\n", "spec: {}\n", "type: [unterminated\n"],
    ids=["not-a-mapping", "no-type", "bad-yaml"],
)
def test_bad_input_is_refused(text: str) -> None:
    with pytest.raises(CtlError):
        parse_documents(text)


def doc(type_name: str, spec: dict[str, Any], **metadata: str) -> dict[str, Any]:
    return {"type": type_name, "api_version": "core/v2", "metadata": metadata, "spec": spec}


P = "/api/core/v2"
ROUTES = [
    (doc("CheckConfig", {}, name="c"), f"{P}/namespaces/cur/checks/c"),
    (doc("CheckConfig", {}, name="c", namespace="prod"), f"{P}/namespaces/prod/checks/c"),
    (doc("Entity", {}, name="e"), f"{P}/namespaces/cur/entities/e"),
    (doc("Asset", {}, name="org/asset"), f"{P}/namespaces/cur/assets/org%2Fasset"),
    (doc("EventFilter", {}, name="f"), f"{P}/namespaces/cur/filters/f"),
    (doc("Handler", {}, name="h"), f"{P}/namespaces/cur/handlers/h"),
    (doc("HookConfig", {}, name="h"), f"{P}/namespaces/cur/hooks/h"),
    (doc("Mutator", {}, name="m"), f"{P}/namespaces/cur/mutators/m"),
    (doc("Pipeline", {}, name="p"), f"{P}/namespaces/cur/pipelines/p"),
    (doc("Role", {}, name="r"), f"{P}/namespaces/cur/roles/r"),
    (doc("RoleBinding", {}, name="rb"), f"{P}/namespaces/cur/rolebindings/rb"),
    (doc("ClusterRole", {}, name="cr"), f"{P}/clusterroles/cr"),
    (doc("ClusterRoleBinding", {}, name="crb"), f"{P}/clusterrolebindings/crb"),
    (doc("Namespace", {"name": "dev"}), f"{P}/namespaces/dev"),
    (doc("User", {"username": "bob"}), f"{P}/users/bob"),
    (doc("Silenced", {"subscription": "linux"}), f"{P}/namespaces/cur/silenced/linux:%2A"),
    (doc("Silenced", {"check": "disk"}, name="*:disk"), f"{P}/namespaces/cur/silenced/%2A:disk"),
    (
        doc(
            "Event",
            {"entity": {"metadata": {"name": "web1"}}, "check": {"metadata": {"name": "disk"}}},
        ),
        f"{P}/namespaces/cur/events/web1/disk",
    ),
]


@pytest.mark.parametrize(("document", "path"), ROUTES, ids=[r[1] for r in ROUTES])
def test_type_to_uri(document: dict[str, Any], path: str) -> None:
    request = to_request(document, "cur")
    assert request.method == "PUT"
    assert request.path == path


def test_namespaced_body_is_unwrapped_with_namespace_filled_in() -> None:
    request = to_request(doc("CheckConfig", {"command": "x", "interval": 5}, name="c"), "cur")
    assert request.body == {
        "command": "x",
        "interval": 5,
        "metadata": {"name": "c", "namespace": "cur"},
    }


def test_namespace_and_user_bodies_have_no_metadata() -> None:
    assert to_request(doc("Namespace", {"name": "dev"}), "cur").body == {"name": "dev"}
    body = to_request(doc("User", {"username": "bob", "password": "p"}), "cur").body
    assert body == {"username": "bob", "password": "p"}


def test_silenced_name_is_computed() -> None:
    request = to_request(doc("Silenced", {"subscription": "linux", "check": "disk"}), "cur")
    assert request.body["metadata"]["name"] == "linux:disk"


def test_type_lookup_accepts_qualified_and_case_insensitive_names() -> None:
    assert to_request(doc("checkconfig", {}, name="c"), "cur").path.endswith("/checks/c")


@pytest.mark.parametrize(
    "document",
    [
        doc("Widget", {}, name="w"),
        {"type": "CheckConfig", "api_version": "secrets/v1", "metadata": {"name": "c"}},
        doc("APIKey", {"username": "admin"}, name="k"),
        doc("CheckConfig", {}),
    ],
    ids=["unknown-type", "other-api-group", "api-key", "no-name"],
)
def test_unroutable_documents_are_refused(document: dict[str, Any]) -> None:
    with pytest.raises(CtlError):
        to_request(document, "cur")
