"""Sensu's own Python client (PyPI ``sensu-go`` 0.5.0), unchanged, against a real Vigil server.

The client builds every URL, body and selector itself, so these tests show what a Sensu user's
existing scripts see: create = GET (expect 404) + PUT + GET, ``save()`` = PUT + GET, lists page
through ``Sensu-Continue`` with ``limit=100``, selectors are serialised with each resource's
``FIELD_PREFIX``. Set-up that is not under test (bulk rows for paging) goes through httpx.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import uuid4

import bcrypt
import httpx
import pytest
import sensu_go  # type: ignore[import-untyped]
from sensu_go import And, Equal, In, Matches, NotEqual, NotIn
from sensu_go.errors import AuthError, ResponseError  # type: ignore[import-untyped]

from tests.support import ADMIN, PASSWORD, LiveServer

API = "/api/core/v2"
Unique = Callable[[str], str]


@contextmanager
def sensu_client(url: str, **credentials: str) -> Iterator[Any]:
    """A real ``sensu_go.Client``; its requests session is closed afterwards."""
    client = sensu_go.Client(url, **credentials)
    try:
        yield client
    finally:
        client._client.session.close()


def requests_seen(client: Any) -> list[str]:
    """Every URL the client's HTTP session answers from, through requests' own response hook."""
    seen: list[str] = []
    client._client.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.url))
    return seen


def error_body(err: pytest.ExceptionInfo[ResponseError]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(err.value.text)
    return body


def names(resources: Any) -> list[str]:
    return [r.name for r in resources]


@pytest.fixture(scope="module")
def sensu(live: LiveServer) -> Iterator[Any]:
    with sensu_client(live.url, username=ADMIN, password=PASSWORD) as client:
        yield client


@pytest.fixture(scope="module")
def other_ns(sensu: Any) -> str:
    name = f"compat-{uuid4().hex[:8]}"
    sensu.namespaces.create({"name": name}, {})
    return name


@pytest.fixture(scope="module")
def sensu_other(live: LiveServer, other_ns: str) -> Iterator[Any]:
    """The same admin, with the client's ``default_namespace`` pointing at another namespace."""
    with sensu_client(
        live.url, username=ADMIN, password=PASSWORD, default_namespace=other_ns
    ) as client:
        yield client


# --- CRUD for every namespaced kind the client knows -------------------------------------


class Case(NamedTuple):
    spec: dict[str, Any]
    name: str | None  # metadata.name the client sends (events are unnamed)
    lookup: str  # the name get/find/delete take


@dataclass(frozen=True)
class Kind:
    make: Callable[[str, str], Case]  # (fresh token, namespace) -> what to create
    path: tuple[str, ...]  # the spec field the test edits
    before: Any
    after: Any


def _named(spec: dict[str, Any]) -> Callable[[str, str], Case]:
    return lambda token, ns: Case(dict(spec), f"c-{token}", f"c-{token}")


def _silence(token: str, ns: str) -> Case:
    return Case({"subscription": f"sub-{token}"}, f"sub-{token}:*", f"sub-{token}:*")


def _event(token: str, ns: str) -> Case:
    entity, check = f"ent-{token}", f"chk-{token}"
    spec = {
        "entity": {"metadata": {"name": entity, "namespace": ns}, "entity_class": "proxy"},
        "check": {
            "metadata": {"name": check, "namespace": ns},
            "status": 1,
            "output": "warn",
            "interval": 10,
        },
    }
    return Case(spec, None, f"{entity}/{check}")


KINDS: dict[str, Kind] = {
    "assets": Kind(
        _named({"url": "http://example.com/a.tar.gz", "sha512": "a" * 128}),
        ("url",),
        "http://example.com/a.tar.gz",
        "http://example.com/b.tar.gz",
    ),
    "checks": Kind(
        _named({"command": "true", "interval": 10, "subscriptions": ["linux"], "publish": True}),
        ("interval",),
        10,
        20,
    ),
    "entities": Kind(
        _named({"entity_class": "proxy", "subscriptions": ["linux"]}),
        ("subscriptions",),
        ["linux"],
        ["linux", "web"],
    ),
    "events": Kind(_event, ("check", "output"), "warn", "recovered"),
    "filters": Kind(
        _named({"action": "allow", "expressions": ["event.check.status == 0"]}),
        ("action",),
        "allow",
        "deny",
    ),
    "handlers": Kind(_named({"type": "pipe", "command": "cat"}), ("command",), "cat", "tee"),
    "hooks": Kind(_named({"command": "true", "timeout": 10}), ("timeout",), 10, 20),
    "mutators": Kind(_named({"command": "cat"}), ("command",), "cat", "jq ."),
    "silences": Kind(_silence, ("reason",), None, "maintenance"),
}


def _dig(spec: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path[:-1]:
        spec = spec[key]
    return spec.get(path[-1])


def _put(spec: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        spec = spec[key]
    spec[path[-1]] = value


@pytest.mark.parametrize("where", ["default", "other"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_crud_through_the_client(
    kind: str, where: str, sensu: Any, sensu_other: Any, other_ns: str, unique: Unique
) -> None:
    spec_kind = KINDS[kind]
    ns, client, elsewhere = (
        ("default", sensu, sensu_other) if where == "default" else (other_ns, sensu_other, sensu)
    )
    resources = getattr(client, kind)
    case = spec_kind.make(unique("t"), ns)
    metadata: dict[str, Any] = {"labels": {"suite": "compat"}}
    if case.name is not None:
        metadata["name"] = case.name

    created = resources.create(case.spec, metadata)  # namespace: the client's default
    assert (created.name, created.namespace) == (case.lookup, ns)
    assert created.metadata["labels"] == {"suite": "compat"}
    if kind != "entities":  # Sensu leaves created_by alone on entities (spec §4.1)
        assert created.metadata["created_by"] == ADMIN
    assert _dig(created.spec, spec_kind.path) == spec_kind.before

    got = getattr(sensu, kind).get(case.lookup, namespace=ns)
    assert got.spec == created.spec
    assert resources.find(case.lookup).spec == created.spec
    assert case.lookup in names(getattr(sensu, kind).list(namespace=ns))
    assert getattr(elsewhere, kind).find(case.lookup) is None  # not visible in the other one

    _put(got.spec, spec_kind.path, spec_kind.after)
    got.save()  # PUT, then the client reloads what the server kept
    assert _dig(got.spec, spec_kind.path) == spec_kind.after
    assert _dig(resources.get(case.lookup).spec, spec_kind.path) == spec_kind.after

    if where == "default":
        got.delete()
    else:
        resources.delete(case.lookup)
    assert resources.find(case.lookup) is None
    with pytest.raises(ResponseError) as err:
        resources.delete(case.lookup)
    assert err.value.status == 404
    assert error_body(err)["code"] == 2


def test_every_field_survives_a_get_save_round_trip(sensu: Any, unique: Unique) -> None:
    """What the client read is what it writes back: nothing Vigil renders is refused on PUT."""
    name = unique("rich")
    check = sensu.checks.create(
        {
            "command": "true",
            "cron": "* * * * *",
            "publish": True,
            "subscriptions": ["linux"],
            "handlers": ["h"],
            "ttl": 120,
            "timeout": 5,
            "check_hooks": [{"critical": ["hk"]}],
            "proxy_requests": {"entity_attributes": ["entity.entity_class == 'proxy'"]},
            "output_metric_format": "nagios_perfdata",
            "output_metric_tags": [{"name": "a", "value": "b"}],
            "env_vars": ["A=1"],
            "round_robin": True,
            "pipelines": [{"name": "p", "type": "Pipeline", "api_version": "core/v2"}],
            "secrets": [{"name": "S", "secret": "s"}],
        },
        {"name": name, "labels": {"l": "v"}, "annotations": {"a": "b"}},
    )
    entity = sensu.entities.create(
        {
            "entity_class": "proxy",
            "system": {"hostname": "h", "os": "linux", "network": {"interfaces": []}},
            "deregister": True,
            "deregistration": {"handler": "h"},
            "redact": ["secret"],
            "keepalive_handlers": ["h"],
        },
        {"name": name},
    )
    for resource, kind in ((check, "checks"), (entity, "entities")):
        before = resource.spec
        resource.save()
        assert getattr(sensu, kind).get(name).spec == before
        resource.delete()


# --- namespaces and users ----------------------------------------------------------------


def test_namespaces(sensu: Any, unique: Unique) -> None:
    name = unique("ns")
    namespace = sensu.namespaces.create({"name": name}, {})
    assert namespace.spec == {"name": name}
    assert sensu.namespaces.get(name).name == name
    assert {"default", name} <= set(names(sensu.namespaces.list()))
    assert names(sensu.namespaces.list(field_selector=Equal("name", name))) == [name]
    namespace.save()  # PUT /namespaces/{name} with the same body: an idempotent upsert
    with pytest.raises(ValueError, match="already exists"):
        sensu.namespaces.create({"name": name}, {})

    sensu.hooks.create({"command": "true", "timeout": 5}, {"name": "h", "namespace": name})
    with pytest.raises(ResponseError) as err:
        sensu.namespaces.delete(name)
    assert err.value.status == 409  # Sensu says 500; the client raises the same error type
    assert "not empty" in error_body(err)["message"]

    sensu.hooks.delete("h", namespace=name)
    namespace.delete()
    assert sensu.namespaces.find(name) is None


def test_users_create_update_disable(live: LiveServer, sensu: Any, unique: Unique) -> None:
    name, group = unique("user"), unique("grp")
    user = sensu.users.create({"username": name, "password": "first-pass", "groups": [group]}, {})
    assert user.spec == {"username": name, "groups": [group], "disabled": False}

    # The API never returns password material, so the client will not save what it read...
    user.spec["groups"] = [group, "ops"]
    with pytest.raises(ValueError, match="password"):
        user.save()
    # ...until the caller supplies a password again.
    user.spec["password"] = "second-pass"
    user.save()
    assert user.spec == {"username": name, "groups": [group, "ops"], "disabled": False}
    assert names(sensu.users.list(field_selector=In(group, "groups"))) == [name]

    with sensu_client(live.url, username=name, password="second-pass") as own:
        assert own.users.get(name).spec["groups"] == [group, "ops"]  # system:user: self only
        with pytest.raises(ResponseError) as denied:
            list(own.checks.list())
        assert denied.value.status == 403

    with pytest.raises(Exception, match="cannot be deleted"):
        user.delete()  # the client refuses; the collection's delete disables instead
    sensu.users.delete(name)
    assert sensu.users.get(name).spec["disabled"] is True
    assert name in names(sensu.users.list(field_selector=Equal("disabled", True)))
    with (
        sensu_client(live.url, username=name, password="second-pass") as own,
        pytest.raises(AuthError) as refused,
    ):
        list(own.namespaces.list())
    assert refused.value.status == 401

    assert sensu.put(f"{API}/users/{name}/reinstate", None).status == 201
    assert sensu.put(f"{API}/users/{name}/groups/extra", None).status == 201
    assert sensu.users.get(name).spec == {
        "username": name,
        "groups": [group, "ops", "extra"],
        "disabled": False,
    }
    assert sensu.delete(f"{API}/users/{name}/groups/extra").status == 204
    assert sensu.delete(f"{API}/users/{name}/groups").status == 204
    assert "groups" not in sensu.users.get(name).spec  # empty groups are omitted, as in Sensu


# --- selectors ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue(sensu: Any) -> str:
    """A namespace with three checks whose labels and fields the selector cases pick from."""
    ns = f"sel-{uuid4().hex[:8]}"
    sensu.namespaces.create({"name": ns}, {})
    rows = [
        ("alpha", {"region": "us", "tier": "web"}, ["linux", "web"], True),
        ("beta", {"region": "eu", "tier": "db"}, ["linux"], False),
        ("gamma", {}, ["windows"], True),
    ]
    for name, labels, subscriptions, publish in rows:
        spec = {"command": "true", "interval": 10, "subscriptions": subscriptions}
        spec["publish"] = publish
        sensu.checks.create(spec, {"name": name, "namespace": ns, "labels": labels})
    return ns


class SelectorCase(NamedTuple):
    labels: Any  # an operator for labelSelector, or None
    fields: Any  # an operator for fieldSelector, or None
    query: dict[str, str]  # what the client sends
    expected: list[str]


SELECTOR_CASES = {
    "label-equal": SelectorCase(
        Equal("region", "us"), None, {"labelSelector": 'region == "us"'}, ["alpha"]
    ),
    "label-not-equal-absent-matches": SelectorCase(
        NotEqual("region", "us"), None, {"labelSelector": 'region != "us"'}, ["beta", "gamma"]
    ),
    "label-in": SelectorCase(
        In("region", ["us", "eu"]),
        None,
        {"labelSelector": 'region in ["us","eu"]'},
        ["alpha", "beta"],
    ),
    "label-notin": SelectorCase(
        NotIn("region", ["us"]), None, {"labelSelector": 'region notin ["us"]'}, ["beta", "gamma"]
    ),
    "label-matches": SelectorCase(
        Matches("tier", "b"), None, {"labelSelector": 'tier matches "b"'}, ["alpha", "beta"]
    ),
    "label-and": SelectorCase(
        And(Equal("region", "eu"), Equal("tier", "db")),
        None,
        {"labelSelector": 'region == "eu" && tier == "db"'},
        ["beta"],
    ),
    "field-equal": SelectorCase(
        None, Equal("name", "alpha"), {"fieldSelector": 'check.name == "alpha"'}, ["alpha"]
    ),
    "field-not-equal": SelectorCase(
        None,
        NotEqual("name", "alpha"),
        {"fieldSelector": 'check.name != "alpha"'},
        ["beta", "gamma"],
    ),
    "field-in-list": SelectorCase(
        None,
        In("name", ["alpha", "gamma"]),
        {"fieldSelector": 'check.name in ["alpha","gamma"]'},
        ["alpha", "gamma"],
    ),
    "field-notin-list": SelectorCase(
        None,
        NotIn("name", ["alpha"]),
        {"fieldSelector": 'check.name notin ["alpha"]'},
        ["beta", "gamma"],
    ),
    "field-matches": SelectorCase(
        None, Matches("name", "mm"), {"fieldSelector": 'check.name matches "mm"'}, ["gamma"]
    ),
    "field-value-in-list-field": SelectorCase(
        None,
        In("linux", "subscriptions"),
        {"fieldSelector": '"linux" in check.subscriptions'},
        ["alpha", "beta"],
    ),
    "field-value-notin-list-field": SelectorCase(
        None,
        NotIn("linux", "subscriptions"),
        {"fieldSelector": '"linux" notin check.subscriptions'},
        ["gamma"],
    ),
    "field-bool": SelectorCase(
        None, Equal("publish", True), {"fieldSelector": "check.publish == true"}, ["alpha", "gamma"]
    ),
    "field-and": SelectorCase(
        None,
        And(In("linux", "subscriptions"), Equal("publish", False)),
        {"fieldSelector": '"linux" in check.subscriptions && check.publish == false'},
        ["beta"],
    ),
    "label-and-field": SelectorCase(
        Equal("tier", "web"),
        Equal("publish", True),
        {"labelSelector": 'tier == "web"', "fieldSelector": "check.publish == true"},
        ["alpha"],
    ),
}


@pytest.mark.parametrize("case", SELECTOR_CASES.values(), ids=SELECTOR_CASES.keys())
def test_selectors_return_exactly_the_matching_items(
    case: SelectorCase, sensu: Any, catalogue: str
) -> None:
    seen = requests_seen(sensu)
    found = sensu.checks.list(
        namespace=catalogue, label_selector=case.labels, field_selector=case.fields
    )
    assert names(found) == case.expected
    sent = dict(httpx.URL(seen[-1]).params)
    assert sent == {**case.query, "limit": "100"}


def test_selectors_on_events_and_a_checks_events(sensu: Any, unique: Unique) -> None:
    ns = unique("ev")
    sensu.namespaces.create({"name": ns}, {})
    for check, status in (("ok", 0), ("bad", 2)):
        sensu.checks.create(
            {"command": "true", "interval": 10}, {"name": check, "namespace": ns, "labels": {}}
        )
        sensu.events.create(
            {
                "entity": {"metadata": {"name": "web1", "namespace": ns}, "entity_class": "proxy"},
                "check": {
                    "metadata": {"name": check, "namespace": ns, "labels": {"status": str(status)}},
                    "status": status,
                    "interval": 10,
                },
            },
            {"namespace": ns},
        )
    events = sensu.events
    # Labels of an event's check count as its labels.
    assert names(events.list(ns, label_selector=Equal("status", "2"))) == ["web1/bad"]
    assert names(events.list(ns, field_selector=Equal("check.state", "failing"))) == ["web1/bad"]
    # The client writes numbers unquoted (``event.check.status == 2``); Sensu's own lexer would
    # reject that, Vigil reads a leading-digit word as a value.
    assert names(events.list(ns, field_selector=Equal("check.status", 2))) == ["web1/bad"]
    assert names(events.list(ns, field_selector=Equal("is_silenced", False))) == [
        "web1/bad",
        "web1/ok",
    ]
    # Check.events lists events with ``event.check.name == "<check>"``.
    assert names(sensu.checks.get("ok", namespace=ns).events) == ["web1/ok"]


def test_selector_errors_are_400_with_the_reason(sensu: Any) -> None:
    # The client never quotes keys, so a label key with a dash cannot be selected on (Sensu's
    # lexer refuses it too).
    with pytest.raises(ResponseError) as err:
        list(sensu.checks.list(label_selector=Equal("app-tier", "web")))
    assert err.value.status == 400
    assert error_body(err)["message"].startswith("invalid labelSelector")
    # Values are wrapped in double quotes without escaping.
    with pytest.raises(ResponseError) as err:
        list(sensu.checks.list(field_selector=Equal("name", 'a"b')))
    assert err.value.status == 400
    assert error_body(err)["message"].startswith("invalid fieldSelector")


# --- paging -------------------------------------------------------------------------------

PAGED = 105  # the client asks for 100 at a time


Row = tuple[str, dict[str, Any], str]  # (URL, body, the name the client shows)


def _row(kind: str, ns: str, name: str, password_hash: str) -> Row:
    at, meta = f"{API}/namespaces/{ns}", {"name": name, "namespace": ns}
    if kind == "checks":
        return f"{at}/checks/{name}", {"metadata": meta, "command": "x", "interval": 10}, name
    if kind == "entities":
        return f"{at}/entities/{name}", {"metadata": meta, "entity_class": "proxy"}, name
    if kind == "events":
        entity = {"metadata": {"name": "paged", "namespace": ns}, "entity_class": "proxy"}
        event = {"entity": entity, "check": {"metadata": meta, "status": 0, "interval": 10}}
        return f"{at}/events/paged/{name}", event, f"paged/{name}"
    if kind == "silences":
        silence = {"metadata": {"namespace": ns}, "subscription": name}
        return f"{at}/silenced/{name}:*", silence, f"{name}:*"
    if kind == "users":
        return f"{API}/users/{name}", {"username": name, "password_hash": password_hash}, name
    return f"{API}/namespaces/{name}", {"name": name}, name


def _bulk(admin: httpx.Client, kind: str, ns: str, tag: str) -> set[str]:
    """PAGED objects of ``kind``, written straight over HTTP; returns the names to expect."""
    password_hash = bcrypt.hashpw(b"paged-pass", bcrypt.gensalt(4)).decode()
    made: set[str] = set()
    for i in range(PAGED):
        url, body, shown = _row(kind, ns, f"{tag}-{i:03}", password_hash)
        response = admin.put(url, json=body)
        assert response.status_code in (200, 201), response.text
        made.add(shown)
    return made


@pytest.mark.parametrize(
    "kind", ["checks", "entities", "events", "silences", "users", "namespaces"]
)
def test_lists_follow_sensu_continue(
    kind: str, sensu: Any, admin: httpx.Client, namespace: str, unique: Unique
) -> None:
    made = _bulk(admin, kind, namespace, unique("p"))
    seen = requests_seen(sensu)
    resources = getattr(sensu, kind)
    cluster_wide = kind in ("users", "namespaces")
    listed = names(resources.list() if cluster_wide else resources.list(namespace))
    assert len(listed) == len(set(listed))
    if cluster_wide:
        assert made <= set(listed)
    else:
        assert set(listed) == made
    assert len(seen) >= 2
    assert "continue=" in seen[-1]


def test_paging_with_a_selector_and_deleting_through_the_iterator(
    sensu: Any, admin: httpx.Client, namespace: str
) -> None:
    for i in range(2 * PAGED):
        doc = {
            "metadata": {"name": f"c{i:03}", "namespace": namespace, "labels": {"odd": str(i % 2)}},
            "command": "x",
            "interval": 10,
        }
        response = admin.put(f"{API}/namespaces/{namespace}/checks/c{i:03}", json=doc)
        assert response.status_code == 201, response.text
    odd = [f"c{i:03}" for i in range(1, 2 * PAGED, 2)]
    even = [f"c{i:03}" for i in range(0, 2 * PAGED, 2)]
    seen = requests_seen(sensu)
    selected = sensu.checks.list(namespace, label_selector=Equal("odd", "1"))
    assert names(selected) == odd  # 105 matches: two filtered pages, nothing lost or doubled
    assert len(seen) == 2
    selected.delete()  # deletes while it pages
    assert names(sensu.checks.list(namespace)) == even


# --- raw helpers, API keys, errors --------------------------------------------------------


def test_raw_helpers_on_open_routes(sensu: Any) -> None:
    version = sensu.get("/version")
    assert version.status == 200
    major, minor, patch = version.json["sensu_backend"].split("#")[0].split(".")
    assert (int(major), int(minor), int(patch)) >= (5, 21, 0)
    health = sensu.get("/health")
    assert health.status == 200
    assert all(member["Healthy"] for member in health.json["ClusterHealth"])
    metrics = sensu.get("/metrics")
    assert metrics.status == 200 and "# TYPE" in metrics.text
    with pytest.raises(ResponseError, match="Cannot decode response"):
        _ = metrics.json


def test_api_keys_through_raw_helpers_and_the_key_client(
    live: LiveServer, sensu: Any, unique: Unique
) -> None:
    granted = sensu.post(f"{API}/apikeys", {"username": ADMIN})
    assert granted.status == 201 and granted.text == ""
    location = granted.headers["location"]
    key = location.rsplit("/", 1)[1]
    assert location == f"{API}/apikeys/{key}"
    assert sensu.get(location).json["username"] == ADMIN
    assert key in [k["metadata"]["name"] for k in sensu.get(f"{API}/apikeys").json]

    name = unique("k")
    with sensu_client(live.url, api_key=key) as keyed:
        seen = requests_seen(keyed)
        keyed.hooks.create({"command": "true", "timeout": 5}, {"name": name})
        assert sensu.hooks.get(name).metadata["created_by"] == ADMIN
        keyed.hooks.delete(name)
        assert not any("/auth" in url for url in seen)  # a key needs no login
        assert sensu.delete(location).status == 204
        with pytest.raises(ResponseError) as err:
            keyed.hooks.find(name)
        assert err.value.status == 401


def test_a_key_for_a_viewer_can_read_but_not_write(
    live: LiveServer, sensu: Any, unique: Unique
) -> None:
    user, group = unique("viewer"), unique("viewers")
    sensu.users.create({"username": user, "password": "viewer-pass", "groups": [group]}, {})
    binding = {
        "metadata": {"name": group},
        "role_ref": {"type": "ClusterRole", "name": "view"},
        "subjects": [{"type": "Group", "name": group}],
    }
    assert sensu.put(f"{API}/clusterrolebindings/{group}", binding).status == 201
    key = sensu.post(f"{API}/apikeys", {"username": user}).headers["location"].rsplit("/", 1)[1]
    with sensu_client(live.url, api_key=key) as keyed:
        assert isinstance(names(keyed.checks.list()), list)
        with pytest.raises(ResponseError) as err:
            keyed.hooks.create({"command": "true", "timeout": 5}, {"name": unique("h")})
        assert err.value.status == 403
        assert error_body(err)["code"] == 4


def test_a_namespace_editor_through_the_client(
    live: LiveServer, sensu: Any, unique: Unique
) -> None:
    """A user bound to ``edit`` in one namespace sees and writes only there."""
    user, ns = unique("dana"), unique("team")
    sensu.namespaces.create({"name": ns}, {})
    sensu.users.create({"username": user, "password": "editor-pass"}, {})
    binding = {
        "metadata": {"name": user, "namespace": ns},
        "role_ref": {"type": "ClusterRole", "name": "edit"},
        "subjects": [{"type": "User", "name": user}],
    }
    assert sensu.put(f"{API}/namespaces/{ns}/rolebindings/{user}", binding).status == 201
    with sensu_client(
        live.url, username=user, password="editor-pass", default_namespace=ns
    ) as editor:
        assert names(editor.namespaces.list()) == [ns]
        check = editor.checks.create({"command": "true", "interval": 10}, {"name": "mine"})
        assert check.metadata["created_by"] == user
        with pytest.raises(ResponseError) as denied:
            list(editor.checks.list(namespace="default"))
        assert denied.value.status == 403
        check.delete()


def test_not_found(sensu: Any, unique: Unique) -> None:
    name = unique("missing")
    with pytest.raises(ResponseError) as missing:
        sensu.checks.get(name)
    assert missing.value.status == 404
    assert error_body(missing) == {"message": f"CheckConfig {name} not found", "code": 2}
    assert sensu.checks.find(name) is None
    with pytest.raises(ResponseError) as no_ns:
        sensu.hooks.create({"command": "true", "timeout": 5}, {"name": name, "namespace": name})
    assert no_ns.value.status == 404  # Sensu answers 500 here; the client raises alike
    assert f"namespace {name} does not exist" in error_body(no_ns)["message"]


def test_lists_in_a_missing_namespace_are_empty(sensu: Any, unique: Unique) -> None:
    """As in Sensu (no existence check on reads): the client gets ``[]``, never an error."""
    name = unique("typo")
    assert list(sensu.checks.list(namespace=name)) == []
    assert list(sensu.events.list(namespace=name)) == []
    assert sensu.checks.find(name, namespace=name) is None


def test_conflicts(sensu: Any, unique: Unique) -> None:
    name = unique("dup")
    hook = {"metadata": {"name": name, "namespace": "default"}, "command": "true", "timeout": 5}
    assert sensu.post(f"{API}/namespaces/default/hooks", hook).status == 201
    again = sensu.post(f"{API}/namespaces/default/hooks", hook)  # raw helpers return, not raise
    assert again.status == 409
    assert again.json == {"message": "resource already exists", "code": 3}
    with pytest.raises(ValueError, match="already exists"):  # create() looks before it PUTs
        sensu.hooks.create({"command": "true", "timeout": 5}, {"name": name})
    sensu.hooks.delete(name)

    managed = {"name": name, "labels": {"sensu.io/managed_by": "sensu-agent"}}
    with pytest.raises(ResponseError) as conflict:
        sensu.entities.create({"entity_class": "proxy"}, managed)
    assert conflict.value.status == 409
    assert error_body(conflict) == {"message": "entity is managed by its agent", "code": 3}


INVALID = {
    "unknown-handler-type": ("handlers", {"type": "bogus"}, "unknown handler type: bogus"),
    "wrong-json-type": ("handlers", {"type": "pipe", "command": "cat", "timeout": "soon"}, "int"),
    "bad-name": ("checks", {"command": "true", "interval": 10}, "special characters"),
}


@pytest.mark.parametrize("case", INVALID.values(), ids=INVALID.keys())
def test_invalid_bodies_are_400_with_the_reason(
    case: tuple[str, dict[str, Any], str], sensu: Any, unique: Unique
) -> None:
    kind, spec, reason = case
    name = "two words" if reason == "special characters" else unique("bad")
    with pytest.raises(ResponseError) as invalid:
        getattr(sensu, kind).create(spec, {"name": name})
    assert invalid.value.status == 400
    body = error_body(invalid)
    assert body["code"] == 1 and reason in body["message"]


def test_a_silence_must_carry_its_computed_name(sensu: Any, unique: Unique) -> None:
    """The client PUTs to ``silenced/<metadata.name>``; only ``subscription:check`` is right."""
    check = unique("chk")
    spec = {"subscription": "linux", "check": check}
    with pytest.raises(ResponseError) as misnamed:
        sensu.silences.create(spec, {"name": "whatever"})
    assert misnamed.value.status == 400
    assert f"linux:{check}" in error_body(misnamed)["message"]
    sensu.silences.create(spec, {"name": f"linux:{check}"}).delete()


def test_client_side_validation_sends_nothing(sensu: Any) -> None:
    seen = requests_seen(sensu)
    with pytest.raises(ValueError, match="need to have a 'name'"):
        sensu.checks.create({"command": "true"}, {})
    with pytest.raises(ValueError, match="reference an entity"):
        sensu.events.create({"check": {"metadata": {"name": "x"}}}, {})
    assert seen == []


def test_bad_credentials(live: LiveServer) -> None:
    with (
        sensu_client(live.url, username=ADMIN, password="wrong") as wrong,
        pytest.raises(AuthError) as auth,
    ):
        list(wrong.checks.list())
    assert auth.value.status == 401
    with (
        sensu_client(live.url, api_key=str(uuid4())) as unknown,
        pytest.raises(ResponseError) as key_err,
    ):
        list(unknown.checks.list())
    assert key_err.value.status == 401
    assert error_body(key_err)["code"] == 5


def test_asset_names_with_a_slash_need_an_encoded_path(sensu: Any, unique: Unique) -> None:
    """Asset names may hold ``/``; the client puts them into the URL unencoded."""
    name = f"org/{unique('a')}"
    spec = {"url": "http://example.com/a.tgz", "sha512": "a" * 128}
    with pytest.raises(ResponseError) as err:
        sensu.assets.create(spec, {"name": name})
    assert err.value.status == 404  # /assets/org/<x> is no route, as in Sensu
    encoded = name.replace("/", "%2F")
    body = {
        "metadata": {"name": name, "namespace": "default"},
        "url": "http://example.com/a.tgz",
        "sha512": "a" * 128,
    }
    assert sensu.put(f"{API}/namespaces/default/assets/{encoded}", body).status == 201
    assert sensu.get(f"{API}/namespaces/default/assets/{encoded}").json["metadata"]["name"] == name
    assert name in names(sensu.assets.list())
    assert sensu.delete(f"{API}/namespaces/default/assets/{encoded}").status == 204


@pytest.mark.parametrize("kind", ["secrets", "secrets_providers"])
def test_enterprise_secrets_answer_a_json_404(kind: str, sensu: Any) -> None:
    resources = getattr(sensu, kind)
    with pytest.raises(ResponseError) as listing:
        list(resources.list())
    assert listing.value.status == 404
    assert error_body(listing) == {"message": "not found", "code": 2}
    assert resources.find("vault") is None
    with pytest.raises(ResponseError) as creating:
        resources.create({"id": "x"}, {"name": "vault"}, type="VaultProvider")
    assert creating.value.status == 404
    assert error_body(creating)["code"] == 2
