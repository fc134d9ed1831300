"""What differs from the generic CRUD, per kind (``SPECIAL``), and the routes that serve no
kind (``fixed_routes``). A kind's sub-resource names must be its model's ``SUBRESOURCES``;
a test checks they agree.
"""

from __future__ import annotations

from typing import Any

from vigil.api import (
    apikeys,
    auth,
    checks,
    cluster,
    entities,
    events,
    namespaces,
    silenced,
    tessen,
    users,
)
from vigil.api import open as open_endpoints
from vigil.api.routes import CORE, Endpoint, Op, Route, Special, Sub, plain
from vigil.model.checks import CheckConfig
from vigil.model.entities import Entity
from vigil.model.events import Event
from vigil.model.namespaces import Namespace
from vigil.model.silenced import Silenced
from vigil.model.tessen import TessenConfig
from vigil.model.users import APIKey, User

SPECIAL: dict[str, Special] = {
    Namespace.PLURAL: Special(
        ops={
            # Any authenticated caller: the list is filtered to what the caller may see.
            ("collection", "GET"): Op(
                namespaces.list_visible, "authenticated", returns=list[Namespace], paged=True
            ),
            ("collection", "POST"): Op(namespaces.create, ok=201, body=Namespace),
            ("item", "GET"): Op(namespaces.get_one, "authenticated", returns=Namespace),
            ("item", "PUT"): Op(namespaces.replace, ok=201, body=Namespace),
            ("item", "DELETE"): Op(namespaces.remove, ok=204),
        },
    ),
    Entity.PLURAL: Special(
        ops={
            ("collection", "POST"): Op(entities.create, ok=201, body=Entity),
            ("item", "PUT"): Op(entities.replace, ok=201, body=Entity),
            ("item", "PATCH"): Op(
                entities.patch,
                body="json",
                returns=Entity,
                summary="Merge-patch an Entity (it keeps entity:<name>)",
                media="application/merge-patch+json",
            ),
            ("item", "DELETE"): Op(entities.remove, ok=204),
        },
    ),
    Event.PLURAL: Special(
        item="{entity}/{check}",
        ops={
            ("collection", "POST"): Op(events.create, ok=201, body=Event),
            ("item", "PUT"): Op(events.replace, ok=201, body=Event),
            ("item", "POST"): Op(events.replace, ok=201, body=Event),
            ("item", "PATCH"): None,
            ("item", "DELETE"): Op(events.remove, ok=204),
        },
        sub=(
            Sub(
                "{entity}", "", {"GET": Op(events.list_for_entity, returns=list[Event], paged=True)}
            ),
        ),
    ),
    Silenced.PLURAL: Special(
        ops={
            ("collection", "POST"): Op(silenced.create, ok=201, body=Silenced),
            ("item", "PUT"): Op(silenced.replace, ok=201, body=Silenced),
            ("item", "PATCH"): None,
        },
        sub=(
            Sub(
                "subscriptions/{subscription}",
                "subscriptions",
                {"GET": Op(silenced.by_subscription, returns=list[Silenced])},
            ),
            Sub("checks/{check}", "checks", {"GET": Op(silenced.by_check, returns=list[Silenced])}),
            Sub(
                "checks/{check}",
                "checks",
                {"GET": Op(silenced.by_check, returns=list[Silenced])},
                every_namespace=True,
            ),
        ),
    ),
    CheckConfig.PLURAL: Special(
        sub=(
            Sub(
                "{name}/hooks/{hook_type}",
                "hooks",
                {"PUT": Op(checks.add_hooks, ok=201, body="json")},
            ),
            Sub(
                "{name}/hooks/{hook_type}/hook/{hook}",
                "hooks",
                {"DELETE": Op(checks.remove_hook, ok=204)},
            ),
            Sub(
                "{name}/execute",
                "execute",
                {"POST": Op(checks.execute, ok=202, body="json", returns="json")},
            ),
        ),
    ),
    User.PLURAL: Special(
        ops={
            ("collection", "POST"): Op(plain(users.create_user), ok=201, body=User),
            ("item", "PUT"): Op(plain(users.replace_user), ok=201, body=User),
            ("item", "DELETE"): Op(plain(users.disable_user), ok=204, summary="Disable a user"),
            ("item", "PATCH"): None,
        },
        sub=(
            Sub("{name}/reinstate", "reinstate", {"PUT": Op(plain(users.reinstate_user), ok=201)}),
            Sub("{name}/groups", "groups", {"DELETE": Op(plain(users.remove_all_groups), ok=204)}),
            Sub(
                "{name}/groups/{group_name}",
                "groups",
                {
                    "PUT": Op(plain(users.add_group), ok=201),
                    "DELETE": Op(plain(users.remove_group), ok=204),
                },
            ),
            Sub(
                "{name}/password",
                "password",
                {"PUT": Op(plain(users.update_password), ok=201, body="json")},
            ),
            Sub(
                "{name}/change_password",
                "change_password",
                {"PUT": Op(plain(users.change_password), ok=201, body="json")},
            ),
            Sub(
                "{name}/reset_password",
                "reset_password",
                {"PUT": Op(plain(users.reset_password), ok=201, body="json")},
            ),
        ),
    ),
    APIKey.PLURAL: Special(
        ops={
            ("collection", "POST"): Op(plain(apikeys.grant), ok=201, body="json"),
            ("item", "PUT"): None,
        },
    ),
}


def _open(path: str, endpoint: Endpoint, *methods: str, returns: Any = "json") -> Route:
    ops = {m: Op(plain(endpoint), "open", returns=returns) for m in methods or ("GET",)}
    return Route(path, ops)


def fixed_routes() -> list[Route]:
    """The routes that serve no registered kind; each is one row."""
    from vigil.api import openapi

    return [
        _open("/health", open_endpoints.health),
        _open("/version", open_endpoints.version),
        _open("/ready", open_endpoints.ready, returns="text"),
        _open("/metrics", open_endpoints.metrics, "GET", "POST", "PUT", "DELETE", returns="text"),
        _open("/auth", auth.login),
        _open("/auth/test", auth.test_credentials, returns=None),
        _open("/auth/token", auth.refresh, "POST"),
        _open("/auth/logout", auth.logout, "POST", returns=None),
        _open("/api/openapi.json", openapi.serve),
        Route(
            f"{CORE}/tessen",
            {
                "GET": Op(tessen.get, returns=TessenConfig),
                "PUT": Op(tessen.put, body=TessenConfig, returns=TessenConfig),
            },
            TessenConfig,
        ),
        *cluster.routes(),
        Route(
            f"{CORE}/tessen/metrics",
            {"POST": Op(tessen.metrics, "open", body="json", returns="json")},
            TessenConfig,
        ),
    ]
