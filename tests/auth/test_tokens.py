"""Tokens and sessions at the service level, over a real SQLite store."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
import warnings

import jwt
import orjson
import pytest

from tests.auth.conftest import PASSWORD
from vigil.api.responses import status_of
from vigil.auth.authenticate import Authenticator
from vigil.auth.services import AuthServices, build_auth
from vigil.auth.tokens import TokenService
from vigil.errors import InvalidArgument, Unauthenticated
from vigil.settings import Settings
from vigil.store.sqlite import SQLiteStore

pytestmark = pytest.mark.anyio

ISSUER = "http://vigil.test:8080"


async def _login(services: AuthServices, username: str = "bob") -> tuple[str, str]:
    """A session as /auth starts it, minus the bcrypt check (tested once, below)."""
    groups = await services.authenticator.login_groups(username)
    assert groups is not None
    pair = await services.tokens.login(username, groups, ISSUER)
    return pair.access_token, pair.refresh_token


async def test_check_password(services: AuthServices) -> None:
    identity = await services.authenticator.check_password("bob", PASSWORD, "10.0.0.1")
    assert identity.groups == ("ops", "system:users")
    for username, password in [("bob", "wrong-password"), ("nobody", PASSWORD), ("", PASSWORD)]:
        with pytest.raises(Unauthenticated) as info:
            await services.authenticator.check_password(username, password, "10.0.0.2")
        assert info.value.message == "Unauthorized"


def _claims(token: str) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def test_login_token_claims_and_identity(services: AuthServices) -> None:
    access, refresh = await _login(services)
    claims = _claims(access)
    assert claims["sub"] == "bob"
    assert claims["iss"] == ISSUER
    assert claims["groups"] == ["ops", "system:users"]
    assert claims["api_key"] is False
    assert claims["provider"] == {"provider_id": "basic", "provider_type": "", "user_id": "bob"}
    assert len(str(claims["jti"])) == 32 and len(str(claims["session_id"])) == 32
    assert jwt.get_unverified_header(access)["alg"] == "HS256"
    refresh_claims = _claims(refresh)
    assert refresh_claims["session_id"] == claims["session_id"]
    assert {"sub", "jti", "iat", "exp"} <= set(refresh_claims)

    identity = await services.authenticator.authenticate(f"Bearer {access}")
    assert identity.username == "bob"
    assert identity.groups == ("ops", "system:users")
    assert identity.api_key is False
    assert identity.session_id == claims["session_id"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "bad credentials"),
        ("", "bad credentials"),
        ("Basic Ym9iOnNlY3JldA==", "bad credentials"),
        ("Bearer", "bad credentials"),
        ("Token abc", "bad credentials"),
        ("Bearer not-a-jwt", "invalid credentials"),
        ("Key 00000000-0000-4000-8000-000000000000", "invalid credentials"),
    ],
)
async def test_bad_headers(services: AuthServices, header: str | None, message: str) -> None:
    with pytest.raises(Unauthenticated) as info:
        await services.authenticator.authenticate(header)
    assert info.value.message == message


async def test_secret_is_shared_through_the_store(
    store: SQLiteStore, settings: Settings, services: AuthServices
) -> None:
    """Another backend (or a restart) on the same store accepts the token."""
    access, _ = await _login(services)
    other = Authenticator(store, settings)
    assert (await other.authenticate(f"Bearer {access}")).username == "bob"


async def test_logout_reaches_other_backends_at_once(
    store: SQLiteStore, settings: Settings, services: AuthServices
) -> None:
    """A backend that has the session cached learns of its end through the store's channel,
    long before its cache would lapse."""
    other = Authenticator(store, settings, TokenService(store, settings, session_cache_ttl=3600))
    access, refresh = await _login(services)
    await other.authenticate(f"Bearer {access}")  # now cached there
    await services.tokens.logout(access, refresh)
    for _ in range(5):  # let the notification be delivered
        await asyncio.sleep(0)
    with pytest.raises(Unauthenticated):
        await other.authenticate(f"Bearer {access}")


async def _forge(services: AuthServices, access: str) -> list[tuple[str, str]]:
    secret = await services.tokens.secret()
    claims = _claims(access)
    header_b64, _payload_b64, signature = access.split(".")
    tampered = dict(claims, sub="admin", groups=["cluster-admins"])
    tampered_b64 = base64.urlsafe_b64encode(orjson.dumps(tampered)).rstrip(b"=").decode()
    no_iss = {k: v for k, v in claims.items() if k != "iss"}
    with warnings.catch_warnings():  # PyJWT warns that 32 bytes is short for HS512
        warnings.simplefilter("ignore")
        hs512 = jwt.encode(claims, secret, algorithm="HS512")
    return [
        ("alg-none", jwt.encode(tampered, None, algorithm="none")),
        ("wrong-key", jwt.encode(tampered, secrets.token_bytes(32), algorithm="HS256")),
        ("other-hmac-alg", hs512),
        ("tampered-payload", f"{header_b64}.{tampered_b64}.{signature}"),
        ("missing-issuer", jwt.encode(no_iss, secret, algorithm="HS256")),
        ("odd-issuer", jwt.encode(dict(claims, iss="evil"), secret, algorithm="HS256")),
        ("expired", jwt.encode(dict(claims, exp=int(time.time()) - 5), secret, "HS256")),
        ("no-expiry", jwt.encode({k: v for k, v in claims.items() if k != "exp"}, secret)),
    ]


async def test_forged_and_tampered_tokens_are_refused(services: AuthServices) -> None:
    access, refresh = await _login(services)
    for name, token in await _forge(services, access):
        with pytest.raises(Unauthenticated) as info:
            await services.authenticator.authenticate(f"Bearer {token}")
        assert info.value.message == "invalid credentials", name
    # a refresh token is never an access token
    with pytest.raises(Unauthenticated):
        await services.authenticator.authenticate(f"Bearer {refresh}")


async def test_access_token_expires(store: SQLiteStore) -> None:
    services = build_auth(store, Settings(access_token_ttl=1))
    from tests.auth.conftest import add_user

    await add_user(store, "bob")
    access, refresh = await _login(services)
    await services.authenticator.authenticate(f"Bearer {access}")
    await asyncio.sleep(2.1)
    with pytest.raises(Unauthenticated):
        await services.authenticator.authenticate(f"Bearer {access}")
    # the expired (but signed) access token still refreshes within the session
    claims, revision = await services.tokens.begin_refresh(access, refresh)
    pair = await services.tokens.finish_refresh(claims, revision, ("system:users",), ISSUER)
    assert (await services.authenticator.authenticate(f"Bearer {pair.access_token}")).username


async def test_refresh_rotates_and_reuse_revokes_the_session(services: AuthServices) -> None:
    tokens: TokenService = services.tokens
    access, refresh = await _login(services)
    claims, revision = await tokens.begin_refresh(access, refresh)
    pair = await tokens.finish_refresh(claims, revision, ("ops", "system:users"), ISSUER)
    assert _claims(pair.access_token)["session_id"] == _claims(access)["session_id"]
    assert pair.refresh_token != refresh
    await services.authenticator.authenticate(f"Bearer {pair.access_token}")

    with pytest.raises(InvalidArgument) as info:  # the old refresh token again: theft
        await tokens.begin_refresh(pair.access_token, refresh)
    assert info.value.message == "invalid access token" and status_of(info.value) == 400
    for token in (access, pair.access_token):  # the whole session is gone
        with pytest.raises(Unauthenticated):
            await services.authenticator.authenticate(f"Bearer {token}")
    with pytest.raises(Unauthenticated):
        await tokens.begin_refresh(pair.access_token, pair.refresh_token)


async def test_refresh_needs_matching_tokens(services: AuthServices) -> None:
    _bob_access, bob_refresh = await _login(services, "bob")
    admin_access, _admin_refresh = await _login(services, "admin")
    with pytest.raises(Unauthenticated):  # subjects differ
        await services.tokens.begin_refresh(admin_access, bob_refresh)
    with pytest.raises(Unauthenticated):  # refresh token in the access slot
        await services.tokens.begin_refresh(bob_refresh, bob_refresh)
    other_access, _ = await _login(services, "bob")
    with pytest.raises(Unauthenticated):  # same user, other session
        await services.tokens.begin_refresh(other_access, bob_refresh)


async def test_logout_ends_access_and_refresh(services: AuthServices) -> None:
    access, refresh = await _login(services)
    other_access, _ = await _login(services)
    await services.tokens.logout(access, refresh)
    with pytest.raises(Unauthenticated):
        await services.authenticator.authenticate(f"Bearer {access}")
    with pytest.raises(Unauthenticated):
        await services.tokens.begin_refresh(access, refresh)
    # the user's other session is untouched
    assert (await services.authenticator.authenticate(f"Bearer {other_access}")).username


async def test_revoke_user_sessions_keeps_the_named_one(services: AuthServices) -> None:
    first, _ = await _login(services)
    second, _ = await _login(services)
    keep = str(_claims(second)["session_id"])
    assert await services.tokens.revoke_user_sessions("bob", keep_session=keep) == 1
    with pytest.raises(Unauthenticated):
        await services.authenticator.authenticate(f"Bearer {first}")
    await services.authenticator.authenticate(f"Bearer {second}")


async def test_expired_sessions_are_purged(store: SQLiteStore) -> None:
    services = build_auth(store, Settings(access_token_ttl=-60))  # sessions lapse at once
    from tests.auth.conftest import add_user

    await add_user(store, "bob")
    await _login(services)
    await _login(services)  # a login also clears that user's lapsed sessions
    assert await services.tokens.purge_expired_sessions() == 1
    assert await services.tokens.purge_expired_sessions() == 0
