"""User password handling and public form; APIKey rules and fields."""

from __future__ import annotations

from typing import Any

import bcrypt
import pytest

from vigil.model.base import decode, encode
from vigil.model.users import APIKey, User, hash_password

from .helpers import load, problem, rendered

# One cost-4 hash keeps the table fast; cost 10 is checked once below.
CLEAR = "s3cret-passw0rd"
FAST_HASH = bcrypt.hashpw(CLEAR.encode(), bcrypt.gensalt(rounds=4)).decode()

USER_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("clear_password", {"password": CLEAR}, None),
    ("hash_only", {"password_hash": FAST_HASH}, None),
    ("matching_pair", {"password": CLEAR, "password_hash": FAST_HASH}, None),
    (
        "mismatched_pair",
        {"password": "other-password", "password_hash": FAST_HASH},
        "password and password_hash do not match",
    ),
    (
        "malformed_hash_pair",
        {"password": CLEAR, "password_hash": "nope"},
        "password and password_hash do not match",
    ),
    ("short_password", {"password": "1234567"}, "password length must be at least 8 characters"),
    ("eight_characters", {"password": "12345678"}, None),
    ("no_password", {}, "a password or its hash is required"),
    (
        "uppercase_username",
        {"username": "Alice", "password": CLEAR},
        "username cannot contain spaces or special characters",
    ),
    ("empty_username", {"username": "", "password": CLEAR}, "username must not be empty"),
]


@pytest.mark.parametrize(
    ("changes", "want"), [c[1:] for c in USER_CASES], ids=[c[0] for c in USER_CASES]
)
def test_user_rules(changes: dict[str, Any], want: str | None) -> None:
    assert problem(load(User, {"username": "alice", **changes})) == want


def test_hash_password_stores_bcrypt_cost_10_and_blanks_clear() -> None:
    user = User(username="alice", password=CLEAR)
    user.hash_password()
    assert user.password == ""
    assert user.password_hash.startswith("$2b$10$")
    assert bcrypt.checkpw(CLEAR.encode(), user.password_hash.encode())
    assert user.check_password(CLEAR) and not user.check_password("wrong")
    assert problem(user) is None


def test_hash_password_keeps_matching_hash_and_ignores_empty() -> None:
    user = User(username="alice", password=CLEAR, password_hash=FAST_HASH)
    user.hash_password()
    assert (user.password, user.password_hash) == ("", FAST_HASH)
    untouched = User(username="bob", password_hash=FAST_HASH)
    untouched.hash_password()
    assert untouched.password_hash == FAST_HASH


def test_module_hash_helper() -> None:
    assert hash_password("x" * 8).startswith("$2b$10$")


def test_public_has_no_password_material() -> None:
    user = User(
        username="admin", password=CLEAR, password_hash=FAST_HASH, groups=["cluster-admins"]
    )
    assert encode(user.public()) == (
        b'{"username":"admin","groups":["cluster-admins"],"disabled":false}'
    )
    assert user.password_hash == FAST_HASH  # the stored form is untouched
    assert rendered(User(username="bob").public()) == {"username": "bob", "disabled": False}


def test_stored_form_round_trips() -> None:
    user = User(username="alice", password_hash=FAST_HASH, groups=["a"], disabled=True)
    assert decode(User, encode(user)) == user
    assert "password" not in rendered(user)


def test_user_identity_and_fields() -> None:
    user = User(username="alice", groups=["a", "b"], disabled=True)
    assert (user.key_namespace(), user.key_name()) == ("", "alice")
    assert user.fields() == {
        "user.username": "alice",
        "user.disabled": "true",
        "user.groups": "a,b",
    }
    assert user.labels() == {}


APIKEY_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid", {}, None),
    (
        "namespaced",
        {"metadata": {"name": "k", "namespace": "default"}},
        "api key cannot have a namespace",
    ),
    ("no_username", {"username": ""}, "api key must have a username"),
]


@pytest.mark.parametrize(
    ("changes", "want"), [c[1:] for c in APIKEY_CASES], ids=[c[0] for c in APIKEY_CASES]
)
def test_apikey_rules(changes: dict[str, Any], want: str | None) -> None:
    key = load(APIKey, {"metadata": {"name": "k"}, "username": "alice", **changes})
    assert problem(key) == want


def test_apikey_rendering_identity_and_fields() -> None:
    name = "83abef1e-e7d7-4beb-91fc-79ad90084d5b"
    key = load(
        APIKey,
        {
            "metadata": {"name": name, "created_by": "admin", "labels": {"k": "v"}},
            "username": "alice",
            "created_at": 1700000000,
        },
    )
    assert rendered(key) == {
        "metadata": {"name": name, "labels": {"k": "v"}, "created_by": "admin"},
        "username": "alice",
        "created_at": 1700000000,
    }
    assert (key.key_namespace(), key.key_name()) == ("", name)
    assert key.fields() == {
        "api_key.name": name,
        "api_key.username": "alice",
        "api_key.labels.k": "v",
    }
