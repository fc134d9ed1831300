"""The authentication services one app shares, built once by ``build_auth``."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.auth.accounts import AccountChanges
from vigil.auth.authenticate import Authenticator
from vigil.auth.throttle import LoginThrottle
from vigil.auth.tokens import TokenService
from vigil.settings import Settings
from vigil.store.base import Store


@dataclass(frozen=True, slots=True)
class AuthServices:
    authenticator: Authenticator
    tokens: TokenService
    throttle: LoginThrottle


def build_auth(
    store: Store, settings: Settings, changes: AccountChanges | None = None
) -> AuthServices:
    """``changes``: the app's store wrapper that announces user and API key writes; with it
    the authenticator may keep what API keys resolve to."""
    tokens = TokenService(store, settings)
    throttle = LoginThrottle(settings)
    authenticator = Authenticator(store, settings, tokens, throttle, changes=changes)
    return AuthServices(authenticator, tokens, throttle)
