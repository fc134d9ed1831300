"""``/auth``, ``/auth/test``, ``/auth/token`` and ``/auth/logout`` (spec §6.3-6.6).

Statuses and messages are Sensu's; bodies of errors are our JSON ``{"message", "code"}``
(Sensu writes plain text here). Beyond Sensu: login throttling (429), and logout ends the
access tokens of the session too.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from vigil.api import requests as rq
from vigil.api.context import services
from vigil.api.responses import empty, json_response
from vigil.auth.identity import basic_credentials
from vigil.auth.services import AuthServices
from vigil.errors import Unauthenticated

__all__ = ["auth_services"]


def auth_services(request: Request) -> AuthServices:
    return services(request).auth


def issuer(request: Request) -> str:
    host = request.headers.get("host") or request.url.netloc
    return f"{request.url.scheme}://{host}"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def login_credentials(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.strip().partition(" ")[0].lower() != "basic":
        raise Unauthenticated("Request unauthorized")
    credentials = basic_credentials(header)
    if credentials is None or not all(credentials):
        raise Unauthenticated("Unauthorized")
    return credentials


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Request unauthorized")
    return token.strip()


async def refresh_token_of(request: Request) -> str:
    body = await rq.json_body(request)
    token = body.get("refresh_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise Unauthenticated("Request unauthorized")
    return token


async def login(request: Request) -> Response:
    """GET /auth: Basic credentials -> a new session's access and refresh tokens."""
    auth = auth_services(request)
    username, password = login_credentials(request)
    identity = await auth.authenticator.check_password(username, password, client_address(request))
    pair = await auth.tokens.login(identity.username, identity.groups, issuer(request))
    # A disable that raced this login must still win: re-check after the session exists.
    if not await auth.authenticator.is_enabled(identity.username):
        await auth.tokens.revoke_user_sessions(identity.username)
        raise Unauthenticated("Unauthorized")
    return json_response(pair.body())


async def test_credentials(request: Request) -> Response:
    """GET /auth/test: 200 when the Basic credentials are right (Ansible probes passwords)."""
    auth = auth_services(request)
    try:
        username, password = login_credentials(request)
        await auth.authenticator.check_password(username, password, client_address(request))
    except Unauthenticated:
        raise Unauthenticated("Request unauthorized") from None
    return empty(200)


async def refresh(request: Request) -> Response:
    """POST /auth/token: (possibly expired) access token + refresh token -> rotated pair."""
    auth = auth_services(request)
    access_token = bearer_token(request)
    refresh_token = await refresh_token_of(request)
    claims, revision = await auth.tokens.begin_refresh(access_token, refresh_token)
    groups = await auth.authenticator.login_groups(claims.sub)
    if groups is None:  # the user is gone or disabled: the session ends too
        await auth.tokens.end_session(claims.sub, claims.session_id)
        raise Unauthenticated("Unauthorized")
    pair = await auth.tokens.finish_refresh(claims, revision, groups, issuer(request))
    return json_response(pair.body())


async def logout(request: Request) -> Response:
    """POST /auth/logout: ends the session; its refresh and access tokens stop working."""
    auth = auth_services(request)
    access_token = bearer_token(request)
    await auth.tokens.logout(access_token, await refresh_token_of(request))
    return empty(200)
