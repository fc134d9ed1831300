"""labelSelector / fieldSelector through the real server, on a seeded data set.

Every ``curl --data-urlencode`` example of the 6.6 API overview is sent as written and must
return exactly the items the data set says. The data set lives in the namespaces ``default``,
``dev`` and ``production``; the other tests here use their own namespaces, so answers are
compared within the data set's namespaces only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.api.samples import CLUSTER_WIDE, NAMESPACED, body
from tests.support import LiveServer, client_for

API = "/api/core/v2"
DATASET = ("default", "dev", "production")

# name, namespace, subscriptions, handlers, publish, labels
CHECKS = [
    ("linux-cpu", "dev", ["linux", "web"], ["slack"], False, {"type": "server"}),
    ("linux-disk", "production", ["linux"], ["pagerduty"], True, {"type": "database"}),
    ("win-cpu", "default", ["windows"], ["slack", "email"], False, {}),
    ("linux-mem", "default", ["linux"], [], False, {"type": "server"}),
    ("http", "production", ["web"], ["slack"], True, {"type": "server"}),
]
# name, subscriptions, labels (all in default)
ENTITIES = [
    ("webserver-1", ["linux"], {"region": "us-west-1"}),
    ("webserver-2", ["linux"], {"region": "eu-west-1"}),
    ("i-0c1f8a116b84ea50c", ["entity:i-0c1f8a116b84ea50c", "windows"], {"region": "us-east-1"}),
    ("db-1", ["linux", "db"], {}),
]
# entity, entity subscriptions, check, status (all in dev, posted through the events API)
EVENTS = [
    ("server", ["linux"], "checkhttp", 2),
    ("server", ["linux"], "disk", 0),
    ("client", ["windows"], "checkhttp", 1),
    ("client", ["windows"], "cpu", 2),
]
# namespace, subscription, check, creator, expire_on_resolve
SILENCES = [
    ("default", "linux", "", "admin", True),
    ("default", "windows", "cpu", "alice", False),
    ("dev", "", "disk", "alice", False),
    ("production", "linux", "http", "admin", False),
]


def _check(name: str, ns: str, subs: list[str], handlers: list[str], publish: bool,
           labels: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    return {
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "command": "true",
        "interval": 60,
        "subscriptions": subs,
        "handlers": handlers,
        "publish": publish,
    }


def _ok(response: httpx.Response) -> None:
    assert response.status_code in (200, 201), response.text


@pytest.fixture(scope="module")
def seeded(live: LiveServer, admin_token: str) -> Iterator[httpx.Client]:
    """The data set, built once for this module through the API."""
    with client_for(live.url, admin_token) as client:
        for ns in DATASET[1:]:
            _ok(client.post(f"{API}/namespaces", json={"name": ns}))
        for name, ns, subs, handlers, publish, labels in CHECKS:
            doc = _check(name, ns, subs, handlers, publish, labels)
            _ok(client.post(f"{API}/namespaces/{ns}/checks", json=doc))
        for name, subs, labels in ENTITIES:
            doc = {
                "metadata": {"name": name, "namespace": "default", "labels": labels},
                "entity_class": "proxy",
                "subscriptions": subs,
            }
            _ok(client.post(f"{API}/namespaces/default/entities", json=doc))
        for ns, sub, check, creator, eor in SILENCES:
            entry = {
                "metadata": {"namespace": ns},
                "subscription": sub,
                "check": check,
                "creator": creator,
                "expire_on_resolve": eor,
            }
            _ok(client.post(f"{API}/namespaces/{ns}/silenced", json=entry))
        for entity, subs, check, status in EVENTS:
            event = {
                "entity": {
                    "metadata": {"name": entity, "namespace": "dev"},
                    "entity_class": "proxy",
                    "subscriptions": subs,
                },
                "check": {"metadata": {"name": check}, "status": status, "interval": 60},
            }
            _ok(client.post(f"{API}/namespaces/dev/events", json=event))
        yield client


def item_key(kind: str, item: dict[str, Any]) -> str:
    """Events as ``entity/check``, everything else by name."""
    if kind == "events":
        return f"{item['entity']['metadata']['name']}/{item['check']['metadata']['name']}"
    return str(item["metadata"]["name"])


def select(client: httpx.Client, kind: str, query: str) -> set[str]:
    """Send ``query`` as curl's ``--data-urlencode`` does; the data set's items in the answer."""
    key, eq, value = query.partition("=")
    response = client.get(f"{API}/{kind}", params={key: value} if eq else {key: ""})
    assert response.status_code == 200, response.text
    return {item_key(kind, x) for x in response.json() if x["metadata"].get("namespace") in DATASET}


ALL_CHECKS = {name for name, *_ in CHECKS}
LMEM, LDISK, SHTTP, CCPU, DB = "linux-mem", "linux-disk", "server/checkhttp", "client/cpu", "db-1"
SEED_EXAMPLES: list[tuple[str, str, set[str]]] = [
    ("checks", 'labelSelector=type == "server"', {"linux-cpu", "linux-mem", "http"}),
    (
        "checks",
        'fieldSelector=check.namespace != "production"',
        {"linux-cpu", "win-cpu", "linux-mem"},
    ),
    (
        "checks",
        "fieldSelector=linux in check.subscriptions",
        {"linux-cpu", "linux-disk", "linux-mem"},
    ),
    ("checks", "fieldSelector=slack notin check.handlers", {"linux-disk", "linux-mem"}),
    (
        "checks",
        'fieldSelector=check.name matches "linux"',
        {"linux-cpu", "linux-disk", "linux-mem"},
    ),
    ("entities", 'fieldSelector=entity.name matches "webserver-"', {"webserver-1", "webserver-2"}),
    ("entities", 'labelSelector:region matches "us"', {"webserver-1", "i-0c1f8a116b84ea50c"}),
    (
        "checks",
        "fieldSelector=check.publish != true && linux in check.subscriptions",
        {"linux-cpu", "linux-mem"},
    ),
    (
        "checks",
        "fieldSelector=check.publish != true && linux in check.subscriptions && "
        "dev in check.namespace",
        {"linux-cpu"},
    ),
    ("entities", 'labelSelector=region == "us-west-1"', {"webserver-1"}),
    (
        "entities",
        'fieldSelector="entity:i-0c1f8a116b84ea50c" in entity.subscriptions',
        {"i-0c1f8a116b84ea50c"},
    ),
    (
        "checks",
        "fieldSelector=check.namespace in [dev,production]",
        {"linux-cpu", "linux-disk", "http"},
    ),
    (
        "events",
        "fieldSelector=checkhttp in event.check.name",
        {"server/checkhttp", "client/checkhttp"},
    ),
    ("events", "fieldSelector=server in event.entity.name", {"server/checkhttp", "server/disk"}),
    ("events", 'fieldSelector=event.check.status == "2"', {"server/checkhttp", "client/cpu"}),
    # event.entity.status is no field: != matches every event, as in Sensu.
    (
        "events",
        'fieldSelector=event.entity.status != "0"',
        {"server/checkhttp", "server/disk", "client/checkhttp", "client/cpu"},
    ),
    (
        "events",
        "fieldSelector=linux in event.entity.subscriptions",
        {"server/checkhttp", "server/disk"},
    ),
    ("silenced", 'fieldSelector=silenced.namespace == "default"', {"linux:*", "windows:cpu"}),
    ("silenced", 'fieldSelector=silenced.namespace != "default"', {"*:disk", "linux:http"}),
    ("events", "fieldSelector=event.is_silenced == true", {"server/disk"}),
    ("silenced", 'fieldSelector=silenced.creator == "alice"', {"windows:cpu", "*:disk"}),
    ("silenced", 'fieldSelector=silenced.creator != "admin"', {"windows:cpu", "*:disk"}),
    ("silenced", 'fieldSelector=silenced.subscription == "linux"', {"linux:*", "linux:http"}),
    ("silenced", "fieldSelector=linux in silenced.subscription", {"linux:*", "linux:http"}),
    ("silenced", "fieldSelector=silenced.expire_on_resolve == true", {"linux:*"}),
]


@pytest.mark.parametrize(
    "kind,query,expected", SEED_EXAMPLES, ids=[f"{k}:{q}" for k, q, _ in SEED_EXAMPLES]
)
def test_seed_example(seeded: httpx.Client, kind: str, query: str, expected: set[str]) -> None:
    assert select(seeded, kind, query) == expected


def test_seed_combined_selectors(seeded: httpx.Client) -> None:
    response = seeded.get(
        f"{API}/checks",
        params={
            "fieldSelector": "linux in check.subscriptions",
            "labelSelector": 'type != "server"',
        },
    )
    assert {x["metadata"]["name"] for x in response.json()} == {"linux-disk"}


EXTENSIONS: list[tuple[str, str, set[str]]] = [
    ("checks", "fieldSelector=event.check.status == 2", set()),
    ("events", "fieldSelector=event.check.status == 2", {"server/checkhttp", "client/cpu"}),
    (
        "events",
        "fieldSelector=event.check.status in [1, 2]",
        {"server/checkhttp", "client/checkhttp", "client/cpu"},
    ),
    ("events", 'fieldSelector=event.check.state == "passing"', {"server/disk"}),
    (
        "checks",
        "fieldSelector=(linux in check.subscriptions && check.publish == true) || "
        'check.name == "win-cpu"',
        {"linux-disk", "win-cpu"},
    ),
    (
        "checks",
        "fieldSelector=check.name == 'http' || (windows in check.subscriptions)",
        {"http", "win-cpu"},
    ),
    (
        "checks",
        'labelSelector=type == "database" || type == "server"',
        {"linux-cpu", "linux-disk", "linux-mem", "http"},
    ),
    ("checks", "fieldSelector=check.nope == 'x'", set()),
    ("checks", "fieldSelector=check.nope matches 'x'", set()),
    ("checks", "fieldSelector=x in check.nope", set()),
    ("checks", "fieldSelector=check.nope != 'x'", ALL_CHECKS),
    ("checks", "fieldSelector=x notin check.nope", ALL_CHECKS),
    ("checks", "labelSelector=nolabel != 'x'", ALL_CHECKS),
    ("checks", "fieldSelector=check.labels.type == database", {"linux-disk"}),
    ("checks", "fieldSelector=check.handlers == ''", {"linux-mem"}),
    (
        "entities",
        "fieldSelector=entity.entity_class == proxy && db in entity.subscriptions",
        {"db-1"},
    ),
]


@pytest.mark.parametrize(
    "kind,query,expected", EXTENSIONS, ids=[f"{k}:{q}" for k, q, _ in EXTENSIONS]
)
def test_beyond_the_seed(seeded: httpx.Client, kind: str, query: str, expected: set[str]) -> None:
    """``||``, parentheses and unquoted numbers are ours; unknown keys behave as in Sensu."""
    assert select(seeded, kind, query) == expected


@pytest.mark.parametrize(
    "query,words",
    [
        ("fieldSelector=check.name = 'x'", 'unexpected token "="'),
        ("fieldSelector=check.name == ", "unexpected end of input"),
        ("labelSelector=region == us-west-1", 'invalid character "-" at position 13'),
        ("fieldSelector=check.name == 'x' &&", "unexpected end of input"),
        ("fieldSelector=&& check.name == 'x'", 'unexpected token "&&" at position 1'),
        ("fieldSelector=(check.name == 'x'", 'expected ")"'),
        ("fieldSelector=check.name == 'x", "unterminated string at position 15"),
        ("fieldSelector=check.name in 'x'", "at position 15"),
        ("fieldSelector=check.name ~ x", 'invalid character "~"'),
        ("labelSelector=a == b || ", "labelSelector"),
        ("fieldSelector=entity.name in [db-1, webserver-2]", 'invalid character "-"'),
    ],
)
def test_invalid_selector_is_400_pointing_at_the_problem(
    seeded: httpx.Client, query: str, words: str
) -> None:
    key, _, value = query.partition("=")
    for path in (f"{API}/checks", f"{API}/namespaces/default/checks", f"{API}/events"):
        response = seeded.get(path, params={key: value, "limit": 1})
        assert response.status_code == 400, response.text
        assert response.json()["code"] == 1
        message = response.json()["message"]
        assert words in message and key in message, message


def test_selectors_with_special_characters(admin: httpx.Client, namespace: str) -> None:
    tricky = {
        "plain": "us-west-1",
        "spaces": "a b  c",
        "punct": "x && y || (z), w=1 [v] !u",
        "colon": "entity:web/01_a.b",
        "unicode": "zürich-ñ",
    }
    for key, value in tricky.items():
        doc = body("checks", f"c-{key}", namespace)
        doc["metadata"]["labels"] = {"v": value, "label-with.dots": key}
        assert admin.post(f"{API}/namespaces/{namespace}/checks", json=doc).status_code == 201
    coll = f"{API}/namespaces/{namespace}/checks"

    def names(params: dict[str, str]) -> set[str]:
        response = admin.get(coll, params=params)
        assert response.status_code == 200, response.text
        return {x["metadata"]["name"] for x in response.json()}

    for key, value in tricky.items():
        assert names({"labelSelector": f'v == "{value}"'}) == {f"c-{key}"}, value
        assert names({"labelSelector": f"v == '{value}'"}) == {f"c-{key}"}, value
    assert names({"labelSelector": "v matches '&& y ||'"}) == {"c-punct"}
    assert names({"labelSelector": "v in ['us-west-1', \"a b  c\"]"}) == {"c-plain", "c-spaces"}
    assert names({"labelSelector": "'label-with.dots' == unicode"}) == {"c-unicode"}
    assert names(
        {"fieldSelector": f"check.labels.v == 'zürich-ñ' && check.namespace == '{namespace}'"}
    ) == {"c-unicode"}
    # As in Sensu, a quoted string ends at the next quote of either kind.
    response = admin.get(coll, params={"labelSelector": """v == 'say "hi"'"""})
    assert response.status_code == 400


NAME_FIELD = {
    "rolebindings": "rolebinding",
    "clusterrolebindings": "clusterrolebinding",
    "entities": "entity",
}


@pytest.mark.parametrize("kind", NAMESPACED + CLUSTER_WIDE + ["silenced", "events"])
def test_labels_and_fields_on_every_type(
    admin: httpx.Client, namespace: str, unique: Callable[[str], str], kind: str
) -> None:
    tag = unique("t")
    created: dict[str, str] = {}
    for tier in ("a", "b"):
        labels = {"tier": tier, "run": tag}
        if kind in NAMESPACED:
            name = unique(kind[:4])
            doc = body(kind, name, namespace)
            doc["metadata"]["labels"] = labels
            coll = f"{API}/namespaces/{namespace}/{kind}"
        elif kind in CLUSTER_WIDE:
            name = unique(kind[:4])
            doc = body(kind, name, None)
            doc["metadata"]["labels"] = labels
            coll = f"{API}/{kind}"
        elif kind == "silenced":
            name = f"{tag}{tier}:*"
            doc = {
                "metadata": {"namespace": namespace, "labels": labels},
                "subscription": name[:-2],
            }
            coll = f"{API}/namespaces/{namespace}/silenced"
        else:
            name = f"{tag}{tier}/ping"
            doc = {
                "metadata": {"labels": labels},
                "entity": {"metadata": {"name": name.split("/")[0]}},
                "check": {"metadata": {"name": "ping"}, "interval": 60},
            }
            coll = f"{API}/namespaces/{namespace}/events"
        assert admin.post(coll, json=doc).status_code in (200, 201)
        created[tier] = name
    lists = [f"{API}/{kind}"] + ([coll] if "namespaces/" in coll else [])
    prefix = NAME_FIELD.get(kind, {"silenced": "silenced", "events": "event"}.get(kind, kind[:-1]))
    for path in lists:

        def found(path: str = path, **params: str) -> set[str]:
            response = admin.get(path, params=params)
            assert response.status_code == 200, response.text
            return {item_key(kind, x) for x in response.json()}

        assert found(labelSelector=f"run == '{tag}' && tier == a") == {created["a"]}
        assert found(
            labelSelector=f"run == '{tag}'", fieldSelector=f"{prefix}.labels.tier == b"
        ) == {created["b"]}
        assert found(labelSelector=f"run == '{tag}' && tier in [a, b]") == set(created.values())
        assert found(labelSelector=f"run == '{tag}' && tier notin [a]") == {created["b"]}
        if kind != "events":
            name_a = created["a"]
            assert found(
                fieldSelector=f"{prefix}.name == '{name_a}'", labelSelector="tier == a"
            ) == {name_a}
            assert (
                found(fieldSelector=f"{prefix}.name == '{name_a}'", labelSelector="tier == b")
                == set()
            )


def test_selectors_on_users(admin: httpx.Client, unique: Callable[[str], str]) -> None:
    first, second = unique("su"), unique("su")
    for name in (first, second):
        user = {"username": name, "password": "P@ssw0rd!1", "groups": ["ops", f"g-{name}"]}
        assert admin.post(f"{API}/users", json=user).status_code == 201
    assert admin.delete(f"{API}/users/{second}").status_code == 204  # disables

    def found(selector: str) -> set[str]:
        response = admin.get(f"{API}/users", params={"fieldSelector": selector})
        assert response.status_code == 200, response.text
        return {x["username"] for x in response.json()} & {first, second}

    assert found(f"'g-{first}' in user.groups") == {first}
    assert found("user.disabled == true") == {second}
    assert found(f"user.username in ['{first}', '{second}'] && user.disabled == false") == {first}


def test_selector_pages_through_the_filtered_result(admin: httpx.Client, namespace: str) -> None:
    coll = f"{API}/namespaces/{namespace}/checks"
    wanted = []
    for i in range(30):
        name = f"c{i:02d}"
        doc = body("checks", name, namespace)
        doc["metadata"]["labels"] = {"pick": "yes" if i % 3 == 0 else "no"}
        assert admin.post(coll, json=doc).status_code == 201
        if i % 3 == 0:
            wanted.append(name)
    for path in (coll, f"{API}/checks"):
        params: dict[str, Any] = {"labelSelector": "pick == yes", "limit": 3}
        if path.endswith("/checks") and "namespaces" not in path:
            params["fieldSelector"] = f"check.namespace == '{namespace}'"
        seen: list[str] = []
        pages = 0
        while True:
            response = admin.get(path, params=params)
            assert response.status_code == 200, response.text
            page = [x["metadata"]["name"] for x in response.json()]
            assert len(page) == 3 or "sensu-continue" not in response.headers
            seen += page
            pages += 1
            token = response.headers.get("sensu-continue")
            if token is None:
                break
            params["continue"] = token
        assert seen == wanted
        assert pages == 4  # 10 matches in pages of 3: 3, 3, 3, 1
