"""User (``users``) and APIKey (``apikeys``).

Password material never leaves the server: the stored form keeps only ``password_hash``
(``hash_password()`` turns a clear ``password`` into a bcrypt hash, cost 10, and blanks it),
and ``public()`` drops both, so a rendered user is ``{"username", "groups", "disabled"}``
(``groups`` is omitted when empty, as in Sensu).
"""

from __future__ import annotations

from typing import ClassVar, Self

import bcrypt
import msgspec

from vigil.model.base import Columns, ObjectMeta, Resource
from vigil.model.meta import (
    Int64,
    fail,
    join,
    meta_fields,
    new_meta,
    shown,
    strict_name_error,
    text,
)

BCRYPT_COST = 10
MIN_PASSWORD_LENGTH = 8


def password_matches(password: str, password_hash: str) -> bool:
    """bcrypt check that treats a malformed hash as a mismatch."""
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=BCRYPT_COST)).decode()


class User(Resource, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "User"
    PLURAL: ClassVar[str] = "users"
    NAMESPACED: ClassVar[bool] = False
    FIELD_PREFIX: ClassVar[str] = "user"
    CLI_NAME: ClassVar[str] = "user"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Username", "username"),
        ("Groups", "groups"),
        ("Enabled", "@enabled"),
    )
    SUBRESOURCES: ClassVar[tuple[str, ...]] = (
        "reinstate",
        "groups",
        "password",
        "change_password",
        "reset_password",
    )

    username: str = ""
    password: str = ""
    groups: list[str] = msgspec.field(default_factory=list)
    disabled: bool = shown(bool)
    password_hash: str = ""

    def key_name(self) -> str:
        return self.username

    def validate(self) -> None:
        reason = strict_name_error(self.username)
        if reason:
            fail(f"username {reason}")
        if self.password and self.password_hash:
            if not password_matches(self.password, self.password_hash):
                fail("password and password_hash do not match")
        elif self.password:
            if len(self.password) < MIN_PASSWORD_LENGTH:
                fail("password length must be at least 8 characters")
        elif not self.password_hash:
            fail("a password or its hash is required")

    def hash_password(self) -> None:
        """Move a clear ``password`` into ``password_hash`` (kept if it already matches)."""
        if not self.password:
            return
        if not (self.password_hash and password_matches(self.password, self.password_hash)):
            self.password_hash = hash_password(self.password)
        self.password = ""

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and password_matches(password, self.password_hash)

    def fields(self) -> dict[str, str]:
        return {
            "user.username": self.username,
            "user.disabled": text(self.disabled),
            "user.groups": join(self.groups),
        }

    def labels(self) -> dict[str, str]:
        return {}

    def public(self) -> Self:
        return msgspec.structs.replace(self, password="", password_hash="")


class APIKey(Resource, kw_only=True, omit_defaults=True):
    """An API key; its name is the key itself (a UUID) in 6.x."""

    TYPE: ClassVar[str] = "APIKey"
    PLURAL: ClassVar[str] = "apikeys"
    NAMESPACED: ClassVar[bool] = False
    FIELD_PREFIX: ClassVar[str] = "api_key"
    CLI_NAME: ClassVar[str] = "api-key"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Username", "username"),
        ("Created At", "@time:created_at"),
    )
    CLI_CREATABLE: ClassVar[bool] = False

    metadata: ObjectMeta = new_meta()
    username: str = ""
    created_at: Int64 = 0
    hash: str = ""

    def validate(self) -> None:
        if self.metadata.namespace:
            fail("api key cannot have a namespace")
        if not self.username:
            fail("api key must have a username")

    def fields(self) -> dict[str, str]:
        fields = meta_fields(self.FIELD_PREFIX, self.metadata, namespaced=False)
        fields["api_key.username"] = self.username
        return fields
