"""Who a request is: what authentication hands to RBAC and to the handlers."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

USERS_GROUP = "system:users"  # added to every login token; never stored on a user


@dataclass(frozen=True, slots=True)
class Identity:
    """``session_id`` is the login session of a Bearer token ("" for API keys)."""

    username: str
    groups: tuple[str, ...]
    api_key: bool
    session_id: str = ""


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(username, password) of a ``Basic`` ``Authorization`` header, as Go's
    ``Request.BasicAuth`` reads it; None when there is none or it is malformed. Callers answer
    with their own Sensu message (``/auth`` and the agent handshake word it differently)."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None
