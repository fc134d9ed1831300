"""``Authorization`` header -> ``Identity``, or ``Unauthenticated`` with Sensu's message.

* ``Bearer <jwt>``: a valid, unexpired access token whose session is still alive
  (see ``vigil.auth.tokens``). Groups come from the token, as in Sensu.
* ``Key <uuid>``: the API key and its user are read from the store; its user must exist
  and (beyond Sensu) must not be disabled. The identity carries the user's stored groups,
  without ``system:users``. What a key resolves to is kept for at most ``key_cache_ttl``
  (1 s) and only while no user or API key has been written since it was read (see
  ``AccountChanges``): deleting a key, disabling its user or changing their groups takes
  effect at once on this backend, and on the others as soon as they hear of it.
* anything else, or nothing: ``bad credentials``; a failed token or key: ``invalid credentials``.

Disabling a user deletes all of their sessions (``vigil.api.users``), so their access tokens
stop working immediately too.
"""

from __future__ import annotations

import time

from vigil.auth.accounts import AccountChanges, active_groups, load_api_key, load_user
from vigil.auth.identity import USERS_GROUP, Identity
from vigil.auth.passwords import verify_password
from vigil.auth.throttle import LoginThrottle
from vigil.auth.tokens import TokenService
from vigil.errors import Unauthenticated
from vigil.settings import Settings
from vigil.store.base import Store

__all__ = ["USERS_GROUP", "Authenticator", "Identity"]

_MAX_KEY_LENGTH = 128
_KEYS_MAX = 10_000  # API keys (and access tokens) remembered; beyond it the memory restarts


class Authenticator:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        tokens: TokenService | None = None,
        throttle: LoginThrottle | None = None,
        *,
        changes: AccountChanges | None = None,
        key_cache_ttl: float = 1.0,
    ) -> None:
        self._store = store
        self.tokens = tokens or TokenService(store, settings)
        self.throttle = throttle or LoginThrottle(settings)
        # API key -> (its identity, AccountChanges generation when read, monotonic read time);
        # without ``changes`` nothing is kept.
        self._changes = changes
        self._keys: dict[str, tuple[Identity, int, float]] = {}
        self._bearers: dict[str, Identity] = {}
        self._key_cache_ttl = key_cache_ttl

    async def authenticate(self, authorization: str | None) -> Identity:
        scheme, _, credentials = (authorization or "").strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer" and credentials:
            claims = await self.tokens.verify_access(credentials)
            # The identity follows from the token alone: made once per token.
            identity = self._bearers.get(credentials)
            if identity is None:
                identity = Identity(claims.sub, claims.groups, False, claims.session_id)
                if len(self._bearers) >= _KEYS_MAX:
                    self._bearers.clear()
                self._bearers[credentials] = identity
            return identity
        if scheme.lower() == "key" and credentials:
            return await self._api_key(credentials)
        raise Unauthenticated("bad credentials")

    async def _api_key(self, key: str) -> Identity:
        changes = self._changes
        if changes is None:
            return await self._read_api_key(key)
        now = time.monotonic()
        kept = self._keys.get(key)
        if (
            kept is not None
            and kept[1] == changes.generation
            and now - kept[2] < self._key_cache_ttl
        ):
            return kept[0]
        await changes.start()  # hear the other backends before keeping anything
        generation = changes.generation
        identity = await self._read_api_key(key)  # raises for a bad key: nothing kept
        if len(self._keys) >= _KEYS_MAX:
            self._keys.clear()
        self._keys[key] = (identity, generation, now)
        return identity

    async def _read_api_key(self, key: str) -> Identity:
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
