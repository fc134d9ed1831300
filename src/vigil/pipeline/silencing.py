"""Silencing rules, pure: which silences apply to an event, and how a silence's expiry is set.

A silence names a subscription, a check, or both (``*`` or empty = any). It matches an event
when it has begun, has not expired, names the event's check (or any) and one of the event's
candidate subscriptions (or any). Candidates are always ``entity:<entity name>``, plus every
entity subscription for proxy checks, or else the subscriptions shared by check and entity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vigil.errors import InvalidArgument
from vigil.pipeline.state import is_resolution

Doc = dict[str, Any]

# 0 = none: Sensu dropped its 24 h defaults after 6.12, which refused month-long and
# scheduled silences (sensu-go issue 5071).
DEFAULT_EXPIRY = 0  # --default-silenced-expiry-time
MAX_EXPIRY = 0  # --max-silenced-expiry-time-allowed
MAX_EXPIRY_MESSAGE = "silenced crossed maximum duration allowed"


def silence_name(entry: Doc) -> str:
    """``<subscription or *>:<check or *>``: the only name a silence can have."""
    subscription = entry.get("subscription") or "*"
    check = entry.get("check") or "*"
    return f"{subscription}:{check}"


def has_begun(entry: Doc, now: int) -> bool:
    return int(entry.get("begin") or 0) <= now


def is_expired(entry: Doc, now: int) -> bool:
    expire_at = int(entry.get("expire_at") or 0)
    return 0 < expire_at <= now


def is_active(entry: Doc, now: int) -> bool:
    return has_begun(entry, now) and not is_expired(entry, now)


def candidate_subscriptions(event: Doc) -> list[str]:
    """The subscriptions a silence may name to cover ``event``, in Sensu's order."""
    entity = event.get("entity") or {}
    check = event.get("check") or {}
    entity_subs = [str(s) for s in entity.get("subscriptions") or []]
    candidates = [f"entity:{_name(entity)}"]
    if check.get("proxy_entity_name"):
        candidates.extend(entity_subs)
    else:
        shared = set(entity_subs)
        candidates.extend(str(s) for s in check.get("subscriptions") or [] if s in shared)
    return candidates


def matches(entry: Doc, check_name: str, subscription: str) -> bool:
    """Sensu's ``Silenced.Matches``: empty or ``*`` stands for anything."""
    sub = entry.get("subscription") or "*"
    check = entry.get("check") or "*"
    return sub in ("*", subscription) and check in ("*", check_name)


def silenced_by(event: Doc, silences: Sequence[Doc], now: int) -> list[str]:
    """Names of the silences that apply to ``event`` now (deduplicated, in ``silences`` order)."""
    check = event.get("check")
    if not silences or not isinstance(check, dict):  # most namespaces have none
        return []
    check_name = _name(check)
    candidates = candidate_subscriptions(event)
    names: list[str] = []
    for entry in silences:
        if not is_active(entry, now):
            continue
        name = _name(entry) or silence_name(entry)
        if name not in names and any(matches(entry, check_name, s) for s in candidates):
            names.append(name)
    return names


def resolved_expire_on_resolve(event: Doc, silences: Sequence[Doc]) -> list[str]:
    """Names of ``expire_on_resolve`` silences to delete because ``event`` resolves.

    Only silences listed in ``check.silenced`` count, and only when the event is a
    resolution (OK right after non-OK).
    """
    if not silences or not is_resolution(event):
        return []
    listed = set((event.get("check") or {}).get("silenced") or [])
    return [
        name
        for entry in silences
        if (name := _name(entry) or silence_name(entry)) in listed
        and entry.get("expire_on_resolve")
    ]


def prepare_silence(
    entry: Doc,
    now: int,
    *,
    creator: str | None = None,
    default_expiry: int = DEFAULT_EXPIRY,
    max_expiry: int = MAX_EXPIRY,
) -> Doc:
    """The silence as it is stored: derived name, ``begin``, ``creator`` and ``expire_at``.

    ``expire`` is kept as the client sent it (clients compare it with what they read back;
    without any expiry it reads ``-1``, as in Sensu); only ``expire_at`` is computed:
    ``(begin or now) + expire`` when ``expire`` > 0, else ``(begin or now) +
    default_expiry`` when that is set, else 0 (until deleted). With a
    ``max_expiry``, the silence's *duration* (``expire_at - max(begin, now)``) may not exceed
    it: a silence may start months ahead (scheduled maintenance) and still be short.
    """
    prepared = dict(entry)
    meta = dict(prepared.get("metadata") or {})
    meta["name"] = silence_name(prepared)
    prepared["metadata"] = meta
    begin = int(prepared.get("begin") or 0) or now
    prepared["begin"] = begin
    if creator:
        prepared["creator"] = creator
        meta["created_by"] = creator
    expire = int(prepared.get("expire") or 0)
    expire_at = int(prepared.get("expire_at") or 0)
    if expire_at == 0 and expire > 0:
        expire_at = begin + expire
    elif expire_at == 0 and default_expiry > 0:
        expire_at = begin + default_expiry
    if max_expiry > 0 and (expire_at == 0 or expire_at - max(begin, now) > max_expiry):
        # Sensu answers 500 "Threshold reached" here; it is the client's mistake, so a 400.
        lasts = "has no expiry" if expire_at == 0 else f"lasts {expire_at - max(begin, now)} s"
        raise InvalidArgument(
            f"{MAX_EXPIRY_MESSAGE}: the silence {lasts}, more than the {max_expiry} s "
            "allowed by --max-silenced-expiry-time-allowed"
        )
    prepared["expire_at"] = expire_at
    if expire_at == 0:
        prepared["expire"] = -1  # what Sensu shows for a silence without expiry
    return prepared


def silence_limits(settings: Any) -> tuple[int, int]:
    """(default expiry, maximum expiry) in seconds, read from ``settings`` when it has them."""
    extra = getattr(settings, "extra", None) or {}
    default = getattr(settings, "default_silenced_expiry_time", None)
    maximum = getattr(settings, "max_silenced_expiry_time_allowed", None)
    default = extra.get("default_silenced_expiry_time", default)
    maximum = extra.get("max_silenced_expiry_time_allowed", maximum)
    return (
        DEFAULT_EXPIRY if default is None else int(default),
        MAX_EXPIRY if maximum is None else int(maximum),
    )


def _name(doc: Doc) -> str:
    meta = doc.get("metadata") or {}
    return str(meta.get("name") or "")
