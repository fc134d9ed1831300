"""Silenced (``silenced``): mutes events by subscription and/or check.

The name is never chosen by clients: it is ``<subscription or *>:<check or *>``.
``validate()`` calls ``normalize()``, which overwrites ``metadata.name`` with that computed
name, so an API layer that must compare a PUT body's name with the URL does so first.
"""

from __future__ import annotations

from typing import ClassVar

from vigil.errors import InvalidArgument
from vigil.model.base import Access, Columns, ObjectMeta, Resource
from vigil.model.meta import (
    Int64,
    fail,
    meta_fields,
    name_error,
    new_meta,
    require_namespace,
    shown,
    subscription_name_error,
    text,
)

WILDCARD = "*"


class Silenced(Resource, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "Silenced"
    PLURAL: ClassVar[str] = "silenced"
    FIELD_PREFIX: ClassVar[str] = "silenced"
    CLI_NAME: ClassVar[str] = "silenced"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Subscription", "subscription"),
        ("Check", "check"),
        ("Begin", "@time:begin"),
        ("Expire", "@expire"),
        ("ExpireOnResolve", "expire_on_resolve"),
        ("Creator", "creator"),
        ("Reason", "reason"),
    )
    NAMESPACE_CONTENT: ClassVar[bool] = True
    DEFAULT_ACCESS: ClassVar[Access] = "edit"
    REVEALS_NAMESPACES: ClassVar[bool] = True
    SUBRESOURCES: ClassVar[tuple[str, ...]] = ("subscriptions", "checks")

    metadata: ObjectMeta = new_meta()
    expire: Int64 = shown(int)
    expire_on_resolve: bool = shown(bool)
    creator: str = ""
    check: str = ""
    reason: str = ""
    subscription: str = ""
    begin: Int64 = shown(int)
    expire_at: Int64 = shown(int)

    def compute_name(self) -> str:
        """``<subscription or *>:<check or *>``; ``*:*`` is refused."""
        if _both_wild(self.subscription, self.check):
            fail("must provide check or subscription")
        return f"{self.subscription or WILDCARD}:{self.check or WILDCARD}"

    def normalize(self) -> None:
        self.metadata.name = self.compute_name()

    def key_name(self) -> str:
        try:
            return self.compute_name()
        except InvalidArgument:
            return self.metadata.name

    def validate(self) -> None:
        self.normalize()
        if self.subscription not in ("", WILDCARD):
            reason = subscription_name_error(self.subscription)
            if reason:
                fail(f"Subscription {reason}")
        if self.check not in ("", WILDCARD):
            reason = name_error(self.check)
            if reason:
                fail(f"Check {reason}")
        require_namespace(self.metadata)

    def fields(self) -> dict[str, str]:
        fields = meta_fields(self.FIELD_PREFIX, self.metadata)
        fields.update(
            {
                "silenced.check": self.check,
                "silenced.creator": self.creator,
                "silenced.expire_on_resolve": text(self.expire_on_resolve),
                "silenced.subscription": self.subscription,
            }
        )
        return fields

    def matches(self, check: str, subscription: str) -> bool:
        """Whether this entry silences ``check`` for an entity holding ``subscription``."""
        if self.subscription not in ("", WILDCARD, subscription):
            return False
        return self.check in ("", WILDCARD, check)


def _both_wild(subscription: str, check: str) -> bool:
    return subscription in ("", WILDCARD) and check in ("", WILDCARD)
