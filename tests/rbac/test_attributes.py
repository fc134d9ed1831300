"""Request -> attributes (spec §7.3), as plain function calls."""

from __future__ import annotations

import pytest

from vigil.auth.identity import Identity
from vigil.rbac.attributes import attributes_for

BOB = Identity("bob", ("ops", "system:users"), False)
CORE = {"group": "core", "version": "v2"}

# (id, method, params, (verb, namespace, resource, name))
CASES = [
    ("list-namespaced", "GET", {"namespace": "default", "resource": "checks"},
     ("list", "default", "checks", "")),
    ("list-all-namespaces", "GET", {"resource": "checks"}, ("list", "", "checks", "")),
    ("get-one", "GET", {"namespace": "default", "resource": "checks", "name": "disk"},
     ("get", "default", "checks", "disk")),
    ("head-is-get", "HEAD", {"namespace": "default", "resource": "checks", "name": "disk"},
     ("get", "default", "checks", "disk")),
    ("create", "POST", {"namespace": "default", "resource": "checks"},
     ("create", "default", "checks", "")),
    ("put-is-update", "PUT", {"namespace": "default", "resource": "checks", "name": "disk"},
     ("update", "default", "checks", "disk")),
    ("patch-is-update", "PATCH", {"namespace": "default", "resource": "assets", "name": "a"},
     ("update", "default", "assets", "a")),
    ("delete", "DELETE", {"namespace": "default", "resource": "checks", "name": "disk"},
     ("delete", "default", "checks", "disk")),
    ("event-item", "GET",
     {"namespace": "default", "resource": "events", "entity": "web1", "check": "disk"},
     ("get", "default", "events", "web1/disk")),
    ("event-item-with-lead-name", "DELETE",
     {"namespace": "default", "resource": "events", "entity": "web1", "check": "disk",
      "name": "web1/disk"},
     ("delete", "default", "events", "web1/disk")),
    ("events-of-entity-is-list", "GET",
     {"namespace": "default", "resource": "events", "entity": "web1"},
     ("list", "default", "events", "")),
    ("check-hooks-put", "PUT",
     {"namespace": "default", "resource": "checks", "name": "x", "subresource": "hooks"},
     ("update", "default", "checks", "x")),
    ("check-hook-delete", "DELETE",
     {"namespace": "default", "resource": "checks", "name": "x", "subresource": "hooks",
      "hook_type": "critical", "hook": "h"},
     ("delete", "default", "checks", "x")),
    ("check-execute", "POST",
     {"namespace": "default", "resource": "checks", "name": "x", "subresource": "execute"},
     ("create", "default", "checks", "x")),
    ("silenced-by-subscription", "GET",
     {"namespace": "default", "resource": "silenced", "subresource": "subscriptions",
      "value": "linux"},
     ("get", "default", "silenced", "subscriptions/linux")),
    ("silenced-by-check", "GET",
     {"resource": "silenced", "subresource": "checks", "value": "disk"},
     ("get", "", "silenced", "checks/disk")),
    ("no-resource-route", "GET", {}, ("list", "", "", "")),
    ("tessen-put", "PUT", {"resource": ""}, ("update", "", "", "")),
    # users: self access becomes localselfuser only for GET and the password sub-resources
    ("self-get", "GET", {"resource": "users", "name": "bob"},
     ("get", "", "localselfuser", "bob")),
    ("self-password", "PUT", {"resource": "users", "name": "bob", "subresource": "password"},
     ("update", "", "localselfuser", "bob")),
    ("self-change-password", "PUT",
     {"resource": "users", "name": "bob", "subresource": "change_password"},
     ("update", "", "localselfuser", "bob")),
    ("self-put-stays-users", "PUT", {"resource": "users", "name": "bob"},
     ("update", "", "users", "bob")),
    ("self-reset-password-stays-users", "PUT",
     {"resource": "users", "name": "bob", "subresource": "reset_password"},
     ("update", "", "users", "bob")),
    ("self-reinstate-stays-users", "PUT",
     {"resource": "users", "name": "bob", "subresource": "reinstate"},
     ("update", "", "users", "bob")),
    ("self-groups-stays-users", "PUT",
     {"resource": "users", "name": "bob", "subresource": "groups", "group_name": "ops"},
     ("update", "", "users", "bob")),
    ("self-disable-stays-users", "DELETE", {"resource": "users", "name": "bob"},
     ("delete", "", "users", "bob")),
    ("other-user-get", "GET", {"resource": "users", "name": "alice"},
     ("get", "", "users", "alice")),
    ("other-user-password", "PUT",
     {"resource": "users", "name": "alice", "subresource": "password"},
     ("update", "", "users", "alice")),
    ("users-list", "GET", {"resource": "users"}, ("list", "", "users", "")),
    ("namespaces-create", "POST", {"resource": "namespaces"},
     ("create", "", "namespaces", "")),
]  # fmt: skip


@pytest.mark.parametrize(("method", "params", "want"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_attributes(method: str, params: dict[str, str], want: tuple[str, ...]) -> None:
    attrs = attributes_for(method, {**CORE, **params}, BOB)
    assert (attrs.verb, attrs.namespace, attrs.resource, attrs.name) == want
    assert (attrs.group, attrs.version) == ("core", "v2")
    assert attrs.identity is BOB
