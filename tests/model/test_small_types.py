"""HookConfig, Asset, Silenced, Namespace and TessenConfig."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.errors import InvalidArgument
from vigil.model.assets import Asset
from vigil.model.hooks import Hook, HookConfig
from vigil.model.namespaces import Namespace
from vigil.model.silenced import Silenced
from vigil.model.tessen import TessenConfig

from .helpers import load, problem, rendered

META = {"name": "x", "namespace": "default"}

HOOK_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid", {}, None),
    (
        "bad_name",
        {"metadata": {"name": "a b", "namespace": "d"}},
        "hook name cannot contain spaces or special characters",
    ),
    ("no_command", {"command": ""}, "command cannot be empty"),
    ("no_timeout", {"timeout": 0}, "hook timeout must be greater than 0"),
    ("no_namespace", {"metadata": {"name": "x"}}, "namespace must be set"),
]


@pytest.mark.parametrize(
    ("changes", "want"), [c[1:] for c in HOOK_CASES], ids=[c[0] for c in HOOK_CASES]
)
def test_hook_rules(changes: dict[str, Any], want: str | None) -> None:
    hook = load(HookConfig, {"metadata": META, "command": "ps", "timeout": 10, **changes})
    assert problem(hook) == want


def test_hook_rendering_and_fields() -> None:
    hook = load(HookConfig, {"metadata": {**META, "labels": {"a": "b"}}, "command": "ps"})
    assert rendered(hook) == {
        "metadata": {**META, "labels": {"a": "b"}},
        "command": "ps",
        "timeout": 0,
        "stdin": False,
        "runtime_assets": None,
    }
    assert hook.fields() == {"hook.name": "x", "hook.namespace": "default", "hook.labels.a": "b"}
    result = Hook(command="ps", status=1, executed=3, issued=2, output="o")
    assert rendered(result) == {
        "metadata": {},
        "command": "ps",
        "timeout": 0,
        "stdin": False,
        "runtime_assets": None,
        "executed": 3,
        "issued": 2,
        "output": "o",
        "status": 1,
    }


SHA = "a" * 128
ASSET_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid", {}, None),
    ("slash_in_name", {"metadata": {"name": "sensu/cpu", "namespace": "d"}}, None),
    ("empty_name", {"metadata": {"namespace": "d"}}, "asset name must not be empty"),
    (
        "bad_name",
        {"metadata": {"name": "a b", "namespace": "d"}},
        "asset name cannot contain spaces or special characters",
    ),
    ("no_namespace", {"metadata": {"name": "x"}}, "namespace must be set"),
    ("no_sha", {"sha512": ""}, "SHA-512 checksum cannot be empty"),
    ("short_sha", {"sha512": "abc"}, "SHA-512 checksum must be at least 128 characters"),
    ("no_url", {"url": ""}, "URL cannot be empty"),
    (
        "builds_ignore_top_level",
        {"url": "", "sha512": "", "builds": [{"url": "http://b", "sha512": SHA}]},
        None,
    ),
    (
        "bad_build",
        {"builds": [{"url": "http://b", "sha512": SHA}, {"url": "", "sha512": SHA}]},
        "URL cannot be empty",
    ),
]


@pytest.mark.parametrize(
    ("changes", "want"), [c[1:] for c in ASSET_CASES], ids=[c[0] for c in ASSET_CASES]
)
def test_asset_rules(changes: dict[str, Any], want: str | None) -> None:
    asset = load(Asset, {"metadata": META, "url": "http://a", "sha512": SHA, **changes})
    assert problem(asset) == want


def test_asset_filters_must_parse() -> None:
    asset = load(
        Asset,
        {"metadata": META, "url": "http://a", "sha512": SHA, "filters": ["entity.system.os == "]},
    )
    reason = problem(asset)
    assert reason is not None and reason.startswith("syntax error in asset filter")


def test_asset_rendering_and_fields() -> None:
    asset = load(
        Asset,
        {"metadata": META, "url": "u", "sha512": SHA, "filters": ["a", "b"], "headers": {"X": "1"}},
    )
    assert rendered(asset) == {
        "url": "u",
        "sha512": SHA,
        "filters": ["a", "b"],
        "builds": None,
        "metadata": META,
        "headers": {"X": "1"},
    }
    assert asset.fields() == {
        "asset.name": "x",
        "asset.namespace": "default",
        "asset.filters": "a,b",
    }


SILENCE_NAMES = [
    ("subscription_only", "linux", "", "linux:*"),
    ("check_only", "", "check_cpu", "*:check_cpu"),
    ("both", "entity:web1", "check_cpu", "entity:web1:check_cpu"),
    ("wild_subscription", "*", "check_cpu", "*:check_cpu"),
]


@pytest.mark.parametrize(
    ("subscription", "check", "want"),
    [c[1:] for c in SILENCE_NAMES],
    ids=[c[0] for c in SILENCE_NAMES],
)
def test_silenced_name(subscription: str, check: str, want: str) -> None:
    entry = Silenced(metadata=load_meta("ignored"), subscription=subscription, check=check)
    assert entry.compute_name() == want
    assert entry.key_name() == want
    assert problem(entry) is None
    assert entry.metadata.name == want  # validate() normalises the stored name


def load_meta(name: str) -> Any:
    from vigil.model.base import ObjectMeta

    return ObjectMeta(name=name, namespace="default")


SILENCE_CASES = [
    ("nothing", "", "", "must provide check or subscription"),
    ("star_star", "*", "*", "must provide check or subscription"),
    ("star_empty", "*", "", "must provide check or subscription"),
    ("bad_subscription", "a:b:c", "", "Subscription cannot contain spaces or special characters"),
    ("bad_check", "", "a b", "Check cannot contain spaces or special characters"),
]


@pytest.mark.parametrize(
    ("subscription", "check", "want"),
    [c[1:] for c in SILENCE_CASES],
    ids=[c[0] for c in SILENCE_CASES],
)
def test_silenced_rules(subscription: str, check: str, want: str) -> None:
    entry = Silenced(metadata=load_meta(""), subscription=subscription, check=check)
    assert problem(entry) == want


def test_silenced_star_star_refused_by_compute_name() -> None:
    with pytest.raises(InvalidArgument, match="must provide check or subscription"):
        Silenced(subscription="*", check="*").compute_name()
    assert Silenced(metadata=load_meta("kept")).key_name() == "kept"


def test_silenced_needs_namespace() -> None:
    assert problem(Silenced(subscription="linux")) == "namespace must be set"


def test_silenced_rendering_fields_and_matching() -> None:
    entry = load(
        Silenced,
        {
            "metadata": {"name": "linux:*", "namespace": "default", "labels": {"t": "1"}},
            "subscription": "linux",
            "creator": "admin",
            "expire_on_resolve": True,
            "expire": 60,
            "begin": 5,
        },
    )
    assert rendered(entry) == {
        "metadata": {"name": "linux:*", "namespace": "default", "labels": {"t": "1"}},
        "expire": 60,
        "expire_on_resolve": True,
        "creator": "admin",
        "subscription": "linux",
        "begin": 5,
        "expire_at": 0,
    }
    assert entry.fields() == {
        "silenced.name": "linux:*",
        "silenced.namespace": "default",
        "silenced.check": "",
        "silenced.creator": "admin",
        "silenced.expire_on_resolve": "true",
        "silenced.subscription": "linux",
        "silenced.labels.t": "1",
    }
    assert entry.matches("anything", "linux")
    assert not entry.matches("anything", "windows")


NAMESPACE_CASES = [
    ("valid", "dev-1", None),
    ("empty", "", "namespace name must not be empty"),
    ("bad", "dev 1", "namespace name cannot contain spaces or special characters"),
]


@pytest.mark.parametrize(
    ("name", "want"), [c[1:] for c in NAMESPACE_CASES], ids=[c[0] for c in NAMESPACE_CASES]
)
def test_namespace_rules(name: str, want: str | None) -> None:
    assert problem(Namespace(name=name)) == want


def test_namespace_shape_identity_and_fields() -> None:
    namespace = load(Namespace, {"name": "dev", "metadata": {"labels": {"x": "y"}}})
    assert rendered(namespace) == {"name": "dev"}
    assert (namespace.key_namespace(), namespace.key_name()) == ("", "dev")
    assert namespace.fields() == {"namespace.name": "dev"}
    assert namespace.labels() == {}
    namespace.set_created_by("admin")  # no metadata: nothing to stamp
    assert rendered(namespace) == {"name": "dev"}


def test_tessen_shape() -> None:
    assert rendered(TessenConfig()) == {"opt_out": False}
