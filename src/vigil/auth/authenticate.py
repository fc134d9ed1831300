"""``Authorization`` header -> ``Identity``, or ``Unauthenticated`` with Sensu's message.

* ``Bearer <jwt>``: a valid, unexpired access token whose session is still alive
  (see ``vigil.auth.tokens``). Groups come from the token, as in Sensu.
* ``Key <uuid>``: the API key is read from the store on every request, so deleting it
  revokes it at once; its user must exist and (beyond Sensu) must not be disabled. The
  identity carries the user's stored groups, without ``system:users``.
* anything else, or nothing: ``bad credentials``; a failed token or key: ``invalid credentials``.

Disabling a user deletes all of their sessions (``vigil.api.users``), so their access tokens
stop working immediately too.
"""

from __future__ import annotations

from vigil.auth.accounts import active_groups, load_api_key, load_user
from vigil.auth.identity import USERS_GROUP, Identity
from vigil.auth.passwords import verify_password
from vigil.auth.throttle import LoginThrottle
from vigil.auth.tokens import TokenService
from vigil.errors import Unauthenticated
from vigil.settings import Settings
from vigil.store.base import Store

__all__ = ["USERS_GROUP", "Authenticator", "Identity"]

_MAX_KEY_LENGTH = 128


class Authenticator:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        tokens: TokenService | None = None,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self._store = store
        self.tokens = tokens or TokenService(store, settings)
        self.throttle = throttle or LoginThrottle(settings)

    async def authenticate(self, authorization: str | None) -> Identity:
        scheme, _, credentials = (authorization or "").strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer" and credentials:
            claims = await self.tokens.verify_access(credentials)
            return Identity(claims.sub, claims.groups, False, claims.session_id)
        if scheme.lower() == "key" and credentials:
            return await self._api_key(credentials)
        raise Unauthenticated("bad credentials")

    async def _api_key(self, key: str) -> Identity:
        api_key = await load_api_key(self._store, key) if len(key) <= _MAX_KEY_LENGTH else None
        loaded = await load_user(self._store, api_key.username) if api_key else None
        groups = active_groups(loaded[0] if loaded else None)
        if api_key is None or groups is None:
            raise Unauthenticated("invalid credentials")
        return Identity(api_key.username, groups, True)

    async def login_groups(self, username: str) -> tuple[str, ...] | None:
        """The groups a login or refresh token gets; None for an unknown or disabled user."""
        loaded = await load_user(self._store, username)
        groups = active_groups(loaded[0] if loaded else None)
        return None if groups is None else (*groups, USERS_GROUP)

    async def is_enabled(self, username: str) -> bool:
        return await self.login_groups(username) is not None

    async def check_password(self, username: str, password: str, client: str) -> Identity:
        """Basic credentials of an enabled user (throttled), as a login identity.

        Unknown user, disabled user and wrong password are all 401 ``Unauthorized`` and take
        the same time; a throttled attempt (see ``vigil.auth.throttle``) gets 429.
        """
        await self.throttle.check(username, client)
        loaded = await load_user(self._store, username) if username and password else None
        user = loaded[0] if loaded else None
        ok = await verify_password(password, user.password_hash if user else None)
        groups = active_groups(user)
        if not ok or groups is None:
            await self.throttle.failed(username, client)
            raise Unauthenticated("Unauthorized")
        await self.throttle.succeeded(username, client)
        return Identity(username, (*groups, USERS_GROUP), False)
