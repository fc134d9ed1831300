"""JWT access/refresh tokens and the login sessions behind them.

Tokens are HS256 JWTs (PyJWT, algorithm pinned: ``alg: none`` and every other algorithm are
refused) signed with a 32-byte secret kept in the store at ``_config/jwt_secret``, so every
backend sharing a store accepts every token and restarts change nothing.

Claims follow Sensu 6.x. Access: ``sub``, ``exp``, ``jti``, ``iss`` (the URL the client
logged in at; sensuctl refreshes there), ``groups`` (stored groups + ``system:users``),
``provider``, ``api_key`` false, ``session_id``. Refresh: ``sub``, ``jti``, ``iat``, ``exp``,
``session_id``. Both also carry ``token_use`` ("access"/"refresh") so that a refresh token
can never be presented as an access token. The issuer check is a format check (an http(s)
URL): the signing key is already private to this store, and backends behind different host
names must accept each other's tokens.

Sessions (kind ``_sessions``, name ``<username>/<session_id>``) hold the jti of the only
refresh token that may still be used. Refreshing rotates it; presenting an older refresh
token is treated as theft and deletes the session. Beyond Sensu, an access token is only
accepted while its session record exists, so logout, refresh-token reuse, disabling the user
and a password change end its access tokens at once, on every backend. The per-request cost
is one store read of the session record (SQLite ~4 us, PostgreSQL one round trip), made at
most once per ``session_cache_ttl`` (1 s) per session and process: ending a session drops it
from this cache at once and tells the other backends through the store's notify channel, so
the ttl only bounds a lost notification. The signature check is cached per token string;
expiry is checked on every request. As in Sensu 6.12 a session lapses
``access_token_ttl + 60`` seconds after the last login or refresh: a client idle for longer
must log in again.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
import orjson

from vigil.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PreconditionFailed,
    Unauthenticated,
)
from vigil.settings import Settings
from vigil.store.base import Delete, ListQuery, Put, Store

log = logging.getLogger("vigil.auth")

ALGORITHM = "HS256"
CHANNEL = "vigil_sessions"  # notify payload: a session name or "<username>/" prefix
CONFIG = "_config"
SECRET_NAME = "jwt_secret"
SESSIONS = "_sessions"
SESSION_GRACE = 60  # seconds a session outlives the access tokens issued in it
_CACHE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class AccessClaims:
    sub: str
    exp: int
    jti: str
    session_id: str
    groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    sub: str
    exp: int
    jti: str
    session_id: str


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    expires_at: int
    refresh_token: str

    def body(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at,
            "refresh_token": self.refresh_token,
        }


def new_secret_value() -> bytes:
    """The stored value of ``_config/jwt_secret``: 32 fresh random bytes, base64 in JSON."""
    return orjson.dumps({"secret": base64.b64encode(secrets.token_bytes(32)).decode()})


def secret_put() -> Put:
    """Create-only write of a new signing secret (``vigil init``)."""
    return Put(kind=CONFIG, namespace="", name=SECRET_NAME, value=new_secret_value(), if_revision=0)


def session_name(username: str, session_id: str) -> str:
    return f"{username}/{session_id}"


def _new_id() -> str:
    return secrets.token_hex(16)


class TokenService:
    """Issues, verifies, refreshes and revokes tokens; every method is safe across backends."""

    def __init__(self, store: Store, settings: Settings, *, session_cache_ttl: float = 1.0) -> None:
        self._store = store
        self._access_ttl = int(settings.access_token_ttl)
        self._refresh_ttl = int(settings.refresh_token_ttl)
        self._secret: bytes | None = None
        self._verified: dict[str, AccessClaims] = {}
        # session name -> (monotonic time it was read, its wall-clock expiry)
        self._alive: dict[str, tuple[float, float]] = {}
        self._session_cache_ttl = session_cache_ttl
        self._listening = False

    # --- secret -----------------------------------------------------------------------
    async def secret(self) -> bytes:
        """The shared signing secret; created on first use when ``vigil init`` did not."""
        if self._secret is None:
            record = await self._store.get(CONFIG, "", SECRET_NAME)
            if record is None:
                # Another backend may win the race to create it; then we read its secret.
                with contextlib.suppress(AlreadyExists):
                    await self._store.apply([secret_put()])
                record = await self._store.get(CONFIG, "", SECRET_NAME)
            if record is None:
                raise RuntimeError("the JWT secret could not be stored")
            self._secret = base64.b64decode(orjson.loads(record.value)["secret"])
        return self._secret

    # --- issuing ----------------------------------------------------------------------
    async def login(self, username: str, groups: tuple[str, ...], issuer: str) -> TokenPair:
        """Start a new session for an already authenticated user."""
        await self.purge_expired_sessions(username)
        session_id = _new_id()
        pair, refresh_jti = await self._pair(username, groups, issuer, session_id)
        await self._store.apply([self._session_put(username, session_id, refresh_jti, 0)])
        return pair

    async def _pair(
        self, username: str, groups: tuple[str, ...], issuer: str, session_id: str
    ) -> tuple[TokenPair, str]:
        now = int(time.time())
        # Round expiries up so that a token lives at least its full lifetime.
        access_exp = math.ceil(time.time()) + self._access_ttl
        access = {
            "sub": username,
            "exp": access_exp,
            "jti": _new_id(),
            "iss": issuer,
            "groups": list(groups),
            "provider": {"provider_id": "basic", "provider_type": "", "user_id": username},
            "api_key": False,
            "session_id": session_id,
            "token_use": "access",
        }
        refresh_jti = _new_id()
        refresh = {
            "sub": username,
            "jti": refresh_jti,
            "iat": now,
            "exp": math.ceil(time.time()) + self._refresh_ttl,
            "session_id": session_id,
            "token_use": "refresh",
        }
        key = await self.secret()
        pair = TokenPair(
            access_token=jwt.encode(access, key, algorithm=ALGORITHM),
            expires_at=access_exp,
            refresh_token=jwt.encode(refresh, key, algorithm=ALGORITHM),
        )
        return pair, refresh_jti

    def _session_put(
        self, username: str, session_id: str, refresh_jti: str, if_revision: int | None
    ) -> Put:
        value = {
            "username": username,
            "session_id": session_id,
            "refresh_jti": refresh_jti,
            "expires_at": int(time.time()) + self._access_ttl + SESSION_GRACE,
        }
        return Put(
            kind=SESSIONS,
            namespace="",
            name=session_name(username, session_id),
            value=orjson.dumps(value),
            if_revision=if_revision,
        )

    # --- verifying --------------------------------------------------------------------
    async def _decode(self, token: str, use: str, *, verify_exp: bool) -> dict[str, Any]:
        required = ["exp", "sub", "jti", "session_id"] + (["iss"] if use == "access" else [])
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                await self.secret(),
                algorithms=[ALGORITHM],
                options={"require": required, "verify_exp": verify_exp},
            )
        except jwt.InvalidTokenError:
            raise Unauthenticated("invalid credentials") from None
        if claims.get("token_use") != use:
            raise Unauthenticated("invalid credentials")
        if use == "access" and not str(claims["iss"]).startswith(("http://", "https://")):
            raise Unauthenticated("invalid credentials")
        return claims

    async def access_claims(self, token: str, *, verify_exp: bool = True) -> AccessClaims:
        """Signature, type and (unless told otherwise) expiry; not the session."""
        claims = self._verified.get(token)
        if claims is None:
            raw = await self._decode(token, "access", verify_exp=False)
            groups = raw.get("groups") or []
            claims = AccessClaims(
                sub=str(raw["sub"]),
                exp=int(raw["exp"]),
                jti=str(raw["jti"]),
                session_id=str(raw["session_id"]),
                groups=tuple(str(g) for g in groups),
            )
            if len(self._verified) >= _CACHE_MAX:
                self._verified.clear()
            self._verified[token] = claims
        if verify_exp and claims.exp <= time.time():
            raise Unauthenticated("invalid credentials")
        return claims

    async def verify_access(self, token: str) -> AccessClaims:
        """A usable access token: valid signature, not expired, session still alive."""
        claims = await self.access_claims(token)
        if not await self._session_alive(claims.sub, claims.session_id):
            raise Unauthenticated("invalid credentials")
        return claims

    async def _session_alive(self, username: str, session_id: str) -> bool:
        """Read through a cache of at most ``session_cache_ttl`` seconds. Ending a session
        drops it here at once and, through the store's notify channel, on other backends."""
        if not self._listening:
            await self._listen()
        name = session_name(username, session_id)
        hit = self._alive.get(name)
        if hit and time.monotonic() - hit[0] < self._session_cache_ttl and hit[1] > time.time():
            return True
        read_at = time.monotonic()
        live = await self._live_session(username, session_id)
        if live is None:
            self._alive.pop(name, None)
            return False
        if len(self._alive) >= _CACHE_MAX:
            self._alive.clear()
        self._alive[name] = (read_at, float(live[0].get("expires_at", 0)))
        return True

    def _forget(self, prefix: str) -> None:
        for name in [n for n in self._alive if n.startswith(prefix)]:
            del self._alive[name]

    async def _ended(self, prefix: str) -> None:
        """Sessions named ``prefix...`` ended: forget them here and tell other backends
        before answering, so a client's next request elsewhere finds them gone."""
        self._forget(prefix)
        try:
            await self._store.notify(CHANNEL, prefix)
        except Exception:  # the short cache ttl still bounds staleness elsewhere
            log.warning("cannot tell other backends that sessions ended")

    async def _listen(self) -> None:
        self._listening = True
        listen = getattr(self._store, "listen", None)
        if listen is None:
            return
        try:
            await listen(CHANNEL, self._forget)
        except Exception:  # the short cache ttl still bounds staleness
            log.warning("cannot listen for ended sessions; relying on the cache ttl")

    async def _live_session(
        self, username: str, session_id: str
    ) -> tuple[dict[str, Any], int] | None:
        record = await self._store.get(SESSIONS, "", session_name(username, session_id))
        if record is None:
            return None
        session: dict[str, Any] = orjson.loads(record.value)
        if int(session.get("expires_at", 0)) <= time.time():
            return None
        return session, record.revision

    async def _refresh_claims(self, access_token: str, refresh_token: str) -> RefreshClaims:
        """The checks /auth/token and /auth/logout share (Sensu's refresh-token middleware)."""
        try:
            access = await self.access_claims(access_token, verify_exp=False)
            raw = await self._decode(refresh_token, "refresh", verify_exp=True)
        except Unauthenticated:
            raise Unauthenticated("Request unauthorized") from None
        refresh = RefreshClaims(
            sub=str(raw["sub"]),
            exp=int(raw["exp"]),
            jti=str(raw["jti"]),
            session_id=str(raw["session_id"]),
        )
        if refresh.sub != access.sub or refresh.session_id != access.session_id:
            raise Unauthenticated("Request unauthorized")
        return refresh

    # --- refresh and logout -----------------------------------------------------------
    async def begin_refresh(
        self, access_token: str, refresh_token: str
    ) -> tuple[RefreshClaims, int]:
        """Validate a refresh request; returns the claims and the session's revision.

        Reuse of a rotated refresh token deletes the whole session (400, as Sensu).
        """
        refresh = await self._refresh_claims(access_token, refresh_token)
        live = await self._live_session(refresh.sub, refresh.session_id)
        if live is None:
            raise Unauthenticated("Unauthorized")
        session, revision = live
        if session.get("refresh_jti") != refresh.jti:
            await self.end_session(refresh.sub, refresh.session_id)
            raise InvalidArgument("invalid access token")
        return refresh, revision

    async def finish_refresh(
        self, refresh: RefreshClaims, revision: int, groups: tuple[str, ...], issuer: str
    ) -> TokenPair:
        """New pair in the same session; the session now accepts only the new refresh token."""
        pair, refresh_jti = await self._pair(refresh.sub, groups, issuer, refresh.session_id)
        put = self._session_put(refresh.sub, refresh.session_id, refresh_jti, revision)
        try:
            await self._store.apply([put])
        except (PreconditionFailed, NotFound):
            # A concurrent refresh with the same token, or the session was just revoked.
            raise Unauthenticated("Unauthorized") from None
        return pair

    async def logout(self, access_token: str, refresh_token: str) -> None:
        refresh = await self._refresh_claims(access_token, refresh_token)
        await self.end_session(refresh.sub, refresh.session_id)

    async def end_session(self, username: str, session_id: str) -> None:
        name = session_name(username, session_id)
        await self._store.apply([Delete(kind=SESSIONS, namespace="", name=name, missing_ok=True)])
        await self._ended(name)

    async def revoke_user_sessions(self, username: str, keep_session: str = "") -> int:
        """End every session of ``username`` (but ``keep_session``); returns how many."""
        records = await self._store.list(
            ListQuery(kind=SESSIONS, namespace="", name_prefix=username + "/")
        )
        ops = [
            Delete(kind=SESSIONS, namespace="", name=r.name, missing_ok=True)
            for r in records
            if r.name != session_name(username, keep_session)
        ]
        if ops:
            await self._store.apply(ops)
        await self._ended(username + "/")
        return len(ops)

    async def purge_expired_sessions(self, username: str | None = None) -> int:
        """Delete lapsed session records (of one user, or all: a periodic job may call it)."""
        prefix = None if username is None else username + "/"
        records = await self._store.list(ListQuery(kind=SESSIONS, namespace="", name_prefix=prefix))
        now = time.time()
        ops = [
            Delete(
                kind=SESSIONS, namespace="", name=r.name, if_revision=r.revision, missing_ok=True
            )
            for r in records
            if int(orjson.loads(r.value).get("expires_at", 0)) <= now
        ]
        if ops:
            try:
                await self._store.apply(ops)
            except (PreconditionFailed, NotFound):
                return 0  # a concurrent refresh renewed one of them; try again next time
        return len(ops)
