"""CheckConfig and Check: validation, rendering and selector fields."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from vigil.errors import InvalidArgument
from vigil.model.base import decode, encode
from vigil.model.checks import Check, CheckConfig

from .helpers import load, problem, rendered

CHECK_12 = {
    "metadata": {"name": "disk", "namespace": "default", "created_by": "admin"},
    "command": "check-disk",
    "interval": 30,
    "subscriptions": ["linux"],
    "publish": True,
}

# The GET body of the spec's worked example, byte for byte.
RENDERED_12 = (
    b'{"command":"check-disk","handlers":[],"high_flap_threshold":0,"interval":30,'
    b'"low_flap_threshold":0,"publish":true,"runtime_assets":null,"subscriptions":["linux"],'
    b'"proxy_entity_name":"","check_hooks":null,"stdin":false,"subdue":null,"ttl":0,'
    b'"timeout":0,"round_robin":false,"output_metric_format":"","output_metric_handlers":null,'
    b'"env_vars":null,"metadata":{"name":"disk","namespace":"default","created_by":"admin"},'
    b'"secrets":null,"pipelines":[]}'
)


def check_with(**changes: Any) -> CheckConfig:
    document = {**CHECK_12, **changes}
    return load(CheckConfig, document)


def test_renders_like_sensu() -> None:
    assert encode(check_with()) == RENDERED_12


def test_round_trip_keeps_every_field() -> None:
    full = check_with(
        cron="",
        ttl=90,
        timeout=10,
        handlers=["slack"],
        runtime_assets=["a/b"],
        check_hooks=[{"critical": ["h1"]}],
        proxy_requests={"entity_attributes": ["true"], "splay": True, "splay_coverage": 90},
        output_metric_tags=[{"name": "t", "value": "v"}],
        max_output_size=1024,
        discard_output=True,
        secrets=[{"name": "TOKEN", "secret": "vault-token"}],
        pipelines=[{"name": "p"}],
        subdue={"days": {"all": [{"begin": "1:00AM", "end": "2:00AM"}]}},
    )
    again = decode(CheckConfig, encode(full))
    assert again == full
    body = rendered(full)
    assert body["pipelines"] == [{"name": "p", "type": "Pipeline", "api_version": "core/v2"}]
    assert body["proxy_requests"]["splay_coverage"] == 90
    assert body["max_output_size"] == 1024
    assert body["subdue"] == {"days": {"all": [{"begin": "1:00AM", "end": "2:00AM"}]}}


def test_omitempty_fields_disappear() -> None:
    body = rendered(check_with(command=""))
    for key in (
        "command",
        "cron",
        "proxy_requests",
        "max_output_size",
        "discard_output",
        "output_metric_tags",
        "output_metric_thresholds",
        "subdues",
    ):
        assert key not in body


def test_unknown_fields_ignored_and_type_mismatch_rejected() -> None:
    assert decode(CheckConfig, orjson.dumps({**CHECK_12, "bogus": 1})).command == "check-disk"
    with pytest.raises(InvalidArgument, match=r"Expected `int`, got `str` - at `\$.interval`"):
        decode(CheckConfig, orjson.dumps({**CHECK_12, "interval": "30"}))
    with pytest.raises(InvalidArgument, match="Expected `int` >= 0"):
        decode(CheckConfig, orjson.dumps({**CHECK_12, "interval": -1}))
    with pytest.raises(InvalidArgument, match="malformed JSON"):
        decode(CheckConfig, b"{")


CONFIG_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid", {}, None),
    ("no_command_no_subscriptions_ok", {"command": "", "subscriptions": []}, None),
    ("empty_name", {"metadata": {"namespace": "default"}}, "check name must not be empty"),
    (
        "bad_name",
        {"metadata": {"name": "a b", "namespace": "default"}},
        "check name cannot contain spaces or special characters",
    ),
    (
        "cron_and_interval",
        {"cron": "* * * * *"},
        "must only specify either an interval or a cron schedule",
    ),
    (
        "bad_cron",
        {"cron": "nope", "interval": 0},
        "check cron string is invalid: expected exactly 5 fields, found 1: nope",
    ),
    ("cron_only", {"cron": "@every 10s", "interval": 0}, None),
    (
        "no_schedule",
        {"interval": 0},
        "check interval must be greater than 0 or a valid cron schedule must be provided",
    ),
    ("no_namespace", {"metadata": {"name": "disk"}}, "namespace must be set"),
    ("ttl_not_above_interval", {"ttl": 30}, "ttl must be greater than check interval"),
    ("ttl_above_interval", {"ttl": 31}, None),
    (
        "bad_asset",
        {"runtime_assets": ["a b"]},
        "asset's name cannot contain spaces or special characters",
    ),
    (
        "empty_subscription",
        {"subscriptions": ["linux", ""]},
        "subscriptions cannot be empty strings",
    ),
    (
        "bad_proxy_entity",
        {"proxy_entity_name": "a b"},
        "proxy entity name cannot contain spaces or special characters",
    ),
    (
        "splay_coverage_too_big",
        {"proxy_requests": {"splay_coverage": 101}},
        "proxy request splay coverage must be between 0 and 100",
    ),
    (
        "splay_without_coverage",
        {"proxy_requests": {"splay": True}},
        "proxy request splay coverage must be greater than 0 if splay is enabled",
    ),
    ("bad_metric_format", {"output_metric_format": "json"}, "output metric format is not valid"),
    ("good_metric_format", {"output_metric_format": "prometheus_text"}, None),
    (
        "flap_inverted",
        {"low_flap_threshold": 60, "high_flap_threshold": 20},
        "invalid flap thresholds",
    ),
    ("flap_one_side", {"low_flap_threshold": 60}, None),
    (
        "bad_env",
        {"env_vars": ["NOPE"]},
        "environment variable 'NOPE' must be of the form KEY=VALUE",
    ),
    (
        "bad_subdues",
        {"subdues": [{"begin": "x", "end": "2024-01-01T00:00:00Z"}]},
        "subdue 0 invalid: begin time 'x' is not an RFC 3339 timestamp",
    ),
    (
        "bad_subdue_window",
        {"subdue": {"days": {"monday": [{"begin": "25:00", "end": "1:00AM"}]}}},
        "time window begin '25:00' must use the 3:04PM time format",
    ),
    (
        "bad_hook_type",
        {"check_hooks": [{"sometimes": ["h"]}]},
        "hook type 'sometimes' is not valid: use an exit status from 0 to 255 or one of "
        "ok, warning, critical, unknown, non-zero",
    ),
    (
        "hook_status_out_of_range",
        {"check_hooks": [{"256": ["h"]}]},
        "hook type '256' is not valid: use an exit status from 0 to 255 or one of "
        "ok, warning, critical, unknown, non-zero",
    ),
    ("hook_status", {"check_hooks": [{"2": ["h"]}, {"non-zero": ["h2"]}]}, None),
    (
        "empty_hook_list",
        {"check_hooks": [{"critical": []}]},
        "hook list for type critical must not be empty",
    ),
    (
        "pipeline_ref_wrong_type",
        {"pipelines": [{"name": "p", "type": "Handler"}]},
        "pipeline reference is invalid: resource type not capable of acting as a pipeline: "
        "core/v2.Handler",
    ),
    (
        "pipeline_ref_bad_name",
        {"pipelines": [{"name": ""}]},
        "pipeline reference is invalid: name must not be empty",
    ),
]


@pytest.mark.parametrize(
    ("changes", "want"), [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES]
)
def test_check_config_rules(changes: dict[str, Any], want: str | None) -> None:
    assert problem(check_with(**changes)) == want


RESULT_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("unpublished_without_schedule", {"publish": False, "interval": 0}, None),
    (
        "published_without_interval",
        {"interval": 0},
        "check interval must be greater than or equal to 1",
    ),
    ("published_cron", {"interval": 0, "cron": "@hourly"}, None),
    (
        "published_cron_and_interval",
        {"cron": "@hourly"},
        "must only specify either an interval or a cron schedule",
    ),
    ("ttl_too_small", {"interval": 1, "ttl": 4}, "minimum ttl is 5 seconds"),
    ("ttl_below_interval", {"ttl": 10}, "ttl must be greater than check interval"),
    ("negative_output_size", {"max_output_size": -1}, "MaxOutputSize must be >= 0"),
    (
        "threshold_without_name",
        {"output_metric_thresholds": [{"thresholds": [{"max": "1"}]}]},
        "metric threshold name must be set",
    ),
    ("namespace_not_required", {"metadata": {"name": "disk"}}, None),
]


@pytest.mark.parametrize(
    ("changes", "want"), [c[1:] for c in RESULT_CASES], ids=[c[0] for c in RESULT_CASES]
)
def test_check_result_rules(changes: dict[str, Any], want: str | None) -> None:
    check = load(Check, {**CHECK_12, **changes})
    assert problem(check) == want


def test_check_result_rendering() -> None:
    body = rendered(
        Check(
            metadata=CheckConfig().metadata,
            status=2,
            output="x",
            executed=5,
            history=[],
            silenced=[],
            is_silenced=False,
        )
    )
    assert body["status"] == 2
    assert body["history"] == []
    assert body["handlers"] == [] and body["subscriptions"] == [] and body["pipelines"] == []
    assert body["scheduler"] == "" and body["is_silenced"] is False
    for key in ("state", "silenced", "hooks", "duration", "processed_by", "cron"):
        assert key not in body


def test_fields() -> None:
    check = check_with(
        metadata={"name": "disk", "namespace": "default", "labels": {"team": "ops"}},
        handlers=["a", "b"],
        runtime_assets=["x"],
        round_robin=True,
        pipelines=[{"name": "p1"}, {"name": "p2", "type": "Pipeline", "api_version": "core/v2"}],
    )
    assert check.fields() == {
        "check.name": "disk",
        "check.namespace": "default",
        "check.handlers": "a,b",
        "check.publish": "true",
        "check.round_robin": "true",
        "check.runtime_assets": "x",
        "check.subscriptions": "linux",
        "check.pipelines": "core/v2.Pipeline(Name=p1),core/v2.Pipeline(Name=p2)",
        "check.labels.team": "ops",
    }
    assert check.labels() == {"team": "ops"}
    assert (check.key_namespace(), check.key_name()) == ("default", "disk")
