"""RBAC decisions (spec §7.4) and namespace visibility (§7.5) as plain function calls, over
the seeded roles plus a few bindings per case."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.api.responses import status_of
from vigil.auth.identity import Identity
from vigil.errors import Forbidden
from vigil.rbac.attributes import attributes_for
from vigil.rbac.authorizer import decide, snapshot_of, visible
from vigil.rbac.defaults import CLUSTER_ROLE_BINDINGS, cluster_roles, namespace_objects
from vigil.rbac.rules import Rule

JSON = dict[str, Any]


def _rule(verbs: list[str], resources: list[str], names: list[str] | None = None) -> JSON:
    return {"verbs": verbs, "resources": resources, "resource_names": names}


def _binding(name: str, ref: tuple[str, str], subject: tuple[str, str], ns: str = "") -> JSON:
    meta = {"name": name, "namespace": ns} if ns else {"name": name}
    return {
        "subjects": [{"type": subject[0], "name": subject[1]}],
        "role_ref": {"type": ref[0], "name": ref[1]},
        "metadata": meta,
    }


def _objects() -> list[tuple[str, str, JSON]]:
    objs: list[tuple[str, str, JSON]] = []
    for name, (role, group) in sorted(CLUSTER_ROLE_BINDINGS.items()):
        objs.append(
            ("clusterrolebindings", "", _binding(name, ("ClusterRole", role), ("Group", group)))
        )
    objs += [
        ("clusterrolebindings", "", _binding("a-ghost", ("ClusterRole", "missing"),
                                             ("User", "ghost"))),
        ("clusterrolebindings", "", _binding("ns-dev-only", ("ClusterRole", "ns-dev"),
                                             ("User", "nina"))),
        ("clusterrolebindings", "", _binding("viewers", ("ClusterRole", "view"),
                                             ("Group", "viewers"))),
        ("clusterrolebindings", "", _binding("z-ghosts", ("ClusterRole", "missing"),
                                             ("Group", "ghosts"))),
    ]  # fmt: skip
    for name, rules in cluster_roles().items():
        objs.append(("clusterroles", "", {"rules": rules, "metadata": {"name": name}}))
    objs.append(("clusterroles", "", {"rules": [_rule(["get"], ["namespaces"], ["dev"])],
                                      "metadata": {"name": "ns-dev"}}))  # fmt: skip
    for kind, ns, _, value in namespace_objects("default"):
        objs.append((kind, ns, value))
    objs += [
        ("rolebindings", "dev", _binding("carol-view", ("ClusterRole", "view"),
                                         ("User", "carol"), "dev")),
        ("rolebindings", "dev", _binding("dave-disk", ("Role", "disk-only"),
                                         ("User", "dave"), "dev")),
        ("rolebindings", "dev", _binding("erin-all", ("Role", "everything"),
                                         ("User", "erin"), "dev")),
        ("rolebindings", "dev", _binding("frank-edit", ("ClusterRole", "edit"),
                                         ("Group", "devs"), "dev")),
        ("rolebindings", "dev", _binding("gary-dangling", ("Role", "nope"),
                                         ("User", "gary"), "dev")),
        ("roles", "dev", {"rules": [_rule(["get"], ["checks"], ["disk"])],
                          "metadata": {"name": "disk-only", "namespace": "dev"}}),
        ("roles", "dev", {"rules": [_rule(["*"], ["*"])],
                          "metadata": {"name": "everything", "namespace": "dev"}}),
    ]  # fmt: skip
    return objs


SNAP = snapshot_of(_objects())

ADMIN = Identity("admin", ("cluster-admins", "system:users"), False)
AGENT = Identity("agent", ("system:agents", "system:users"), False)
BOB = Identity("bob", ("system:users",), False)
BOB_KEY = Identity("bob", (), True)
CAROL = Identity("carol", ("system:users",), False)
DAVE = Identity("dave", ("system:users",), False)
ERIN = Identity("erin", ("system:users",), False)
FRANK = Identity("frank", ("devs", "system:users"), False)
GARY = Identity("gary", ("system:users",), False)
GHOST = Identity("ghost", ("system:users",), False)
IN_GHOSTS = Identity("hal", ("ghosts",), False)
ADMIN_IN_GHOSTS = Identity("root", ("cluster-admins", "ghosts"), False)
VIEWER = Identity("vic", ("viewers",), False)

DENIED = "unauthorized to perform action"


def _p(resource: str, namespace: str = "", name: str = "", **extra: str) -> dict[str, str]:
    params = {"group": "core", "version": "v2", "resource": resource, **extra}
    if namespace:
        params["namespace"] = namespace
    if name:
        params["name"] = name
    return params


# (id, identity, method, params, None = allowed | the 403 message)
CASES: list[tuple[str, Identity, str, dict[str, str], str | None]] = [
    ("admin-anything", ADMIN, "DELETE", _p("checks", "dev", "x"), None),
    ("admin-cluster-resource", ADMIN, "POST", _p("clusterroles"), None),
    ("admin-no-resource-route", ADMIN, "PUT", _p(""), None),
    ("agent-creates-events", AGENT, "POST", _p("events", "default"), None),
    ("agent-cannot-read-checks", AGENT, "GET", _p("checks", "default"), DENIED),
    ("self-get", BOB, "GET", _p("users", name="bob"), None),
    ("self-password", BOB, "PUT", _p("users", name="bob", subresource="password"), None),
    ("self-change-password", BOB, "PUT",
     _p("users", name="bob", subresource="change_password"), None),
    ("self-replace-denied", BOB, "PUT", _p("users", name="bob"), DENIED),
    ("self-reset-password-denied", BOB, "PUT",
     _p("users", name="bob", subresource="reset_password"), DENIED),
    ("self-groups-denied", BOB, "PUT",
     _p("users", name="bob", subresource="groups", group_name="cluster-admins"), DENIED),
    ("other-user-denied", BOB, "GET", _p("users", name="alice"), DENIED),
    ("users-list-denied", BOB, "GET", _p("users"), DENIED),
    ("api-key-has-no-system-users", BOB_KEY, "GET", _p("users", name="bob"), DENIED),
    ("dev-viewer-get", CAROL, "GET", _p("checks", "dev", "disk"), None),
    ("dev-viewer-list", CAROL, "GET", _p("checks", "dev"), None),
    ("dev-viewer-other-ns", CAROL, "GET", _p("checks", "default"), DENIED),
    ("dev-viewer-all-namespaces", CAROL, "GET", _p("checks"), DENIED),
    ("dev-viewer-cluster-resource", CAROL, "GET", _p("clusterroles"), DENIED),
    ("dev-viewer-cannot-write", CAROL, "POST", _p("checks", "dev"), DENIED),
    ("names-rule-allows-name", DAVE, "GET", _p("checks", "dev", "disk"), None),
    ("names-rule-other-name", DAVE, "GET", _p("checks", "dev", "cpu"), DENIED),
    ("names-rule-never-lists", DAVE, "GET", _p("checks", "dev"), DENIED),
    ("names-rule-other-verb", DAVE, "DELETE", _p("checks", "dev", "disk"), DENIED),
    ("ns-star-role-in-ns", ERIN, "DELETE", _p("handlers", "dev", "h"), None),
    ("ns-star-role-no-cluster", ERIN, "GET", _p("clusterroles"), DENIED),
    ("ns-star-role-namespaces-quirk", ERIN, "POST", _p("namespaces"), None),
    ("ns-star-role-other-ns", ERIN, "GET", _p("checks", "default"), DENIED),
    ("edit-writes-checks", FRANK, "PUT", _p("checks", "dev", "x"), None),
    ("edit-no-roles", FRANK, "POST", _p("roles", "dev"), DENIED),
    ("dangling-role", GARY, "GET", _p("checks", "dev"), "role not found: nope"),
    ("dangling-cluster-role", GHOST, "GET", _p("checks", "dev"),
     "cluster role not found: missing"),
    ("dangling-group-binding", IN_GHOSTS, "GET", _p("checks"),
     "cluster role not found: missing"),
    ("allow-before-dangling-wins", ADMIN_IN_GHOSTS, "GET", _p("checks"), None),
    ("cluster-viewer-lists-everywhere", VIEWER, "GET", _p("checks"), None),
    ("cluster-viewer-cannot-write", VIEWER, "PUT", _p("checks", "dev", "x"), DENIED),
]  # fmt: skip


@pytest.mark.parametrize(("identity", "method", "params", "want"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_decide(identity: Identity, method: str, params: dict[str, str], want: str | None) -> None:
    attrs = attributes_for(method, params, identity)
    if want is None:
        decide(SNAP, attrs)
        return
    with pytest.raises(Forbidden) as info:
        decide(SNAP, attrs)
    assert info.value.message == want
    assert status_of(info.value) == 403


NAMESPACES = ["default", "dev", "prod"]

VISIBILITY = [
    ("admin-sees-all", ADMIN, NAMESPACES),
    ("cluster-viewer-sees-all", VIEWER, NAMESPACES),
    ("dev-binding-sees-dev", CAROL, ["dev"]),
    ("names-role-in-dev", DAVE, ["dev"]),
    ("namespaces-resource-names", Identity("nina", (), False), ["dev"]),
    ("agent-sees-all-through-events", AGENT, NAMESPACES),
    ("nobody-sees-nothing", BOB, []),
    ("dangling-grants-nothing", GARY, []),
]


@pytest.mark.parametrize(("identity", "want"), [c[1:] for c in VISIBILITY],
                         ids=[c[0] for c in VISIBILITY])  # fmt: skip
def test_visible_namespaces(identity: Identity, want: list[str]) -> None:
    assert visible(SNAP, identity, NAMESPACES) == want


RULES = [
    ("exact", _rule(["get"], ["checks"]), ("get", "checks", "x"), True),
    ("star-verb", _rule(["*"], ["checks"]), ("delete", "checks", "x"), True),
    ("star-resource", _rule(["get"], ["*"]), ("get", "anything", "x"), True),
    ("wrong-verb", _rule(["get"], ["checks"]), ("list", "checks", ""), False),
    ("wrong-resource", _rule(["get"], ["checks"]), ("get", "hooks", "x"), False),
    ("comma-joined", _rule(["get,list"], ["checks,hooks"]), ("list", "hooks", ""), True),
    ("names-match", _rule(["get"], ["checks"], ["a", "b"]), ("get", "checks", "b"), True),
    ("names-miss", _rule(["get"], ["checks"], ["a"]), ("get", "checks", "c"), False),
    ("names-block-list", _rule(["*"], ["*"], ["a"]), ("list", "checks", ""), False),
    ("empty-resource-needs-star", _rule(["*"], ["checks"]), ("get", "", ""), False),
]


@pytest.mark.parametrize(("rule", "request_", "want"), [c[1:] for c in RULES],
                         ids=[c[0] for c in RULES])  # fmt: skip
def test_rule_matching(rule: JSON, request_: tuple[str, str, str], want: bool) -> None:
    assert Rule.from_json(rule).allows(*request_) is want
