"""Who a request is: what authentication hands to RBAC and to the handlers."""

from __future__ import annotations

from dataclasses import dataclass

USERS_GROUP = "system:users"  # added to every login token; never stored on a user


@dataclass(frozen=True, slots=True)
class Identity:
    """``session_id`` is the login session of a Bearer token ("" for API keys)."""

    username: str
    groups: tuple[str, ...]
    api_key: bool
    session_id: str = ""
