"""The authentication services one app shares, built once by ``build_auth``."""

from __future__ import annotations

from dataclasses import dataclass

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


def build_auth(store: Store, settings: Settings) -> AuthServices:
    tokens = TokenService(store, settings)
    throttle = LoginThrottle(settings)
    return AuthServices(Authenticator(store, settings, tokens, throttle), tokens, throttle)
