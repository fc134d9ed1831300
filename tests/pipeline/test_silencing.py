"""Silencing matrix: which silences apply to which events, and expiry computation."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.errors import VigilError
from vigil.pipeline.silencing import (
    prepare_silence,
    resolved_expire_on_resolve,
    silence_name,
    silenced_by,
)

NOW = 1_700_000_000


def event(
    *,
    entity_subs: list[str] | None = None,
    check_subs: list[str] | None = None,
    proxy: str = "",
    status: int = 1,
) -> dict[str, Any]:
    return {
        "entity": {
            "metadata": {"name": "web1", "namespace": "default"},
            "subscriptions": entity_subs or [],
        },
        "check": {
            "metadata": {"name": "cpu"},
            "subscriptions": check_subs or [],
            "proxy_entity_name": proxy,
            "status": status,
        },
    }


def silence(subscription: str = "", check: str = "", **extra: Any) -> dict[str, Any]:
    entry = {"subscription": subscription, "check": check, **extra}
    entry["metadata"] = {"name": silence_name(entry), "namespace": "default"}
    return entry


LINUX: dict[str, Any] = {"entity_subs": ["linux", "entity:web1"], "check_subs": ["linux"]}

MATRIX = [
    # (silence, event kwargs, matches?)
    (silence("linux", "cpu"), LINUX, True),
    (silence("linux"), LINUX, True),
    (silence("*", "cpu"), LINUX, True),
    (silence(check="cpu"), {}, True),  # no subscriptions at all: *:cpu still applies
    (silence("linux", "disk"), LINUX, False),
    (silence("windows"), LINUX, False),
    # subscription on the entity only: the check does not list it, so no match
    (silence("linux"), {"entity_subs": ["linux"], "check_subs": []}, False),
    # subscription on the check only: the entity lacks it, so no match
    (silence("linux"), {"entity_subs": [], "check_subs": ["linux"]}, False),
    # entity:<name> always counts, even when no subscription lists it
    (silence("entity:web1"), {}, True),
    (silence("entity:web1", "cpu"), {}, True),
    (silence("entity:web2"), {}, False),
    # proxy checks: every subscription of the entity counts
    (silence("linux"), {"entity_subs": ["linux"], "check_subs": [], "proxy": "web1"}, True),
]


@pytest.mark.parametrize(
    ("entry", "kwargs", "expected"),
    MATRIX,
    ids=[f"{e['metadata']['name']}-{i}" for i, (e, _, _) in enumerate(MATRIX)],
)
def test_matching_matrix(entry: dict[str, Any], kwargs: dict[str, Any], expected: bool) -> None:
    got = silenced_by(event(**kwargs), [entry], NOW)
    assert got == ([entry["metadata"]["name"]] if expected else [])


def test_future_begin_and_expired_entries_do_not_match() -> None:
    entries = [
        silence("entity:web1", begin=NOW + 60),
        silence(check="cpu", expire_at=NOW - 1),
        silence(check="cpu", subscription="linux", expire_at=NOW),
        silence("entity:web1", "cpu", begin=NOW - 60, expire_at=NOW + 60),
    ]
    assert silenced_by(event(**LINUX), entries, NOW) == ["entity:web1:cpu"]


def test_names_are_deduplicated_and_ordered() -> None:
    entries = [silence("*", "cpu"), silence("linux"), silence("*", "cpu")]
    assert silenced_by(event(**LINUX), entries, NOW) == ["*:cpu", "linux:*"]


def test_metrics_only_events_are_never_silenced() -> None:
    assert silenced_by({"entity": {"metadata": {"name": "web1"}}}, [silence("*", "*")], NOW) == []


def test_expire_on_resolve_only_on_resolution() -> None:
    entries = [
        silence("linux", expire_on_resolve=True),
        silence("*", "cpu", expire_on_resolve=False),
        silence("entity:web1", expire_on_resolve=True),  # not listed in check.silenced
    ]
    resolved = event(**LINUX, status=0)
    resolved["check"]["silenced"] = ["linux:*", "*:cpu"]
    resolved["check"]["history"] = [{"status": 2}, {"status": 0}]
    assert resolved_expire_on_resolve(resolved, entries) == ["linux:*"]
    still_failing = event(**LINUX, status=2)
    still_failing["check"]["silenced"] = ["linux:*"]
    still_failing["check"]["history"] = [{"status": 2}, {"status": 2}]
    assert resolved_expire_on_resolve(still_failing, entries) == []
    first_ok = event(**LINUX, status=0)
    first_ok["check"]["silenced"] = ["linux:*"]
    first_ok["check"]["history"] = [{"status": 0}]
    assert resolved_expire_on_resolve(first_ok, entries) == []


def test_prepare_derives_name_begin_and_creator() -> None:
    prepared = prepare_silence(
        {"subscription": "linux", "metadata": {"name": "bogus"}}, NOW, creator="alice"
    )
    assert prepared["metadata"]["name"] == "linux:*"
    assert prepared["begin"] == NOW
    assert prepared["creator"] == "alice"
    assert prepare_silence({"check": "cpu"}, NOW)["metadata"]["name"] == "*:cpu"


@pytest.mark.parametrize(
    ("entry", "expire_at", "expire"),
    [
        ({"expire": 600}, NOW + 600, 600),
        ({"expire": 600, "begin": NOW + 100}, NOW + 700, 600),
        ({"expire_at": NOW + 50}, NOW + 50, 0),  # expire is kept as sent
        ({}, 0, -1),  # no default expiry: until deleted
        ({"expire": -1}, 0, -1),
    ],
    ids=["expire", "expire-after-begin", "expire-at", "default", "minus-one"],
)
def test_prepare_expiry(entry: dict[str, Any], expire_at: int, expire: int) -> None:
    prepared = prepare_silence(dict(entry, subscription="linux"), NOW)
    assert (prepared["expire_at"], prepared.get("expire", 0)) == (expire_at, expire)


def test_prepare_with_a_default_expiry() -> None:
    prepared = prepare_silence({"check": "cpu", "expire": -1}, NOW, default_expiry=600)
    assert (prepared["expire_at"], prepared["expire"]) == (NOW + 600, -1)
    forever = prepare_silence({"check": "cpu"}, NOW)
    assert (forever["expire_at"], forever["expire"]) == (0, -1)


def test_prepare_limits_the_duration_not_the_start() -> None:
    limit = {"max_expiry": 86400}
    with pytest.raises(VigilError, match="silenced crossed maximum duration allowed"):
        prepare_silence({"check": "cpu", "expire": 86401}, NOW, **limit)
    with pytest.raises(VigilError, match="86400"):
        prepare_silence({"check": "cpu", "expire_at": NOW + 90000}, NOW, **limit)
    with pytest.raises(VigilError, match="no expiry"):
        prepare_silence({"check": "cpu"}, NOW, **limit)
    month = 30 * 86400  # scheduled maintenance a month ahead, for an hour
    ahead = prepare_silence({"check": "cpu", "begin": NOW + month, "expire": 3600}, NOW, **limit)
    assert ahead["expire_at"] == NOW + month + 3600
    long = prepare_silence({"check": "cpu", "expire": month}, NOW)  # no limit by default
    assert (long["expire_at"], long["expire"]) == (NOW + month, month)
