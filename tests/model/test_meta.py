"""Name rules, cron schedules, env vars and time windows shared by the types."""

from __future__ import annotations

import pytest

from vigil.errors import InvalidArgument
from vigil.model.common import (
    TimeWindowRepeated,
    TimeWindowTimeRange,
    cron_error,
    validate_env_vars,
    validate_subdues,
)
from vigil.model.meta import (
    asset_name_error,
    name_error,
    strict_name_error,
    subscription_name_error,
)

NAME_CASES = [
    ("plain", "check-cpu", None),
    ("dots_colons_underscores", "a.b:c_d", None),
    ("empty", "", "must not be empty"),
    ("space", "check cpu", "cannot contain spaces or special characters"),
    ("slash", "a/b", "cannot contain spaces or special characters"),
    ("non_ascii", "caf\u00e9", "cannot contain spaces or special characters"),
    ("trailing_newline", "abc\n", "cannot contain spaces or special characters"),
]


@pytest.mark.parametrize(
    ("value", "want"), [c[1:] for c in NAME_CASES], ids=[c[0] for c in NAME_CASES]
)
def test_name_rule(value: str, want: str | None) -> None:
    assert name_error(value) == want


STRICT_CASES = [
    ("lowercase", "alice.b-c_1", None),
    ("uppercase", "Alice", "cannot contain spaces or special characters"),
    ("colon", "a:b", "cannot contain spaces or special characters"),
    ("empty", "", "must not be empty"),
]


@pytest.mark.parametrize(
    ("value", "want"), [c[1:] for c in STRICT_CASES], ids=[c[0] for c in STRICT_CASES]
)
def test_strict_rule(value: str, want: str | None) -> None:
    assert strict_name_error(value) == want


SUBSCRIPTION_CASES = [
    ("plain", "linux", None),
    ("one_colon", "system:agent", None),
    ("entity_style", "entity:web1", None),
    ("two_colons", "a:b:c", "cannot contain spaces or special characters"),
    ("leading_colon", ":a", "cannot contain spaces or special characters"),
    ("empty", "", "must not be empty"),
]


@pytest.mark.parametrize(
    ("value", "want"), [c[1:] for c in SUBSCRIPTION_CASES], ids=[c[0] for c in SUBSCRIPTION_CASES]
)
def test_subscription_rule(value: str, want: str | None) -> None:
    assert subscription_name_error(value) == want


ASSET_CASES = [
    ("with_slash", "sensu/check-cpu:1.0", None),
    ("empty", "", "name must not be empty"),
    ("space", "a b", "name cannot contain spaces or special characters"),
]


@pytest.mark.parametrize(
    ("value", "want"), [c[1:] for c in ASSET_CASES], ids=[c[0] for c in ASSET_CASES]
)
def test_asset_rule(value: str, want: str | None) -> None:
    assert asset_name_error(value) == want


CRON_CASES = [
    ("five_fields", "*/5 * * * *", None),
    ("ranges", "0 9-17 * * 1-5", None),
    ("hourly", "@hourly", None),
    ("every", "@every 1m30s", None),
    ("cron_tz", "CRON_TZ=Europe/Paris 0 3 * * *", None),
    ("tz", "TZ=UTC @daily", None),
    ("six_fields", "0 * * * * *", "expected exactly 5 fields, found 6: 0 * * * * *"),
    ("garbage_field", "x * * * *", "failed to parse cron expression: x * * * *"),
    ("out_of_range", "61 * * * *", "failed to parse cron expression: 61 * * * *"),
    ("bad_descriptor", "@often", "unrecognized descriptor: @often"),
    ("bad_every", "@every soon", "failed to parse duration @every soon"),
    ("bad_zone", "CRON_TZ=Mars/Base 0 3 * * *", "provided bad location Mars/Base"),
]


@pytest.mark.parametrize(
    ("value", "want"), [c[1:] for c in CRON_CASES], ids=[c[0] for c in CRON_CASES]
)
def test_cron(value: str, want: str | None) -> None:
    assert cron_error(value) == want


ENV_CASES = [
    ("valid", ["A=1", "PATH=/bin:/usr/bin", "X=a=b"], None),
    ("no_equals", ["A"], "environment variable 'A' must be of the form KEY=VALUE"),
    ("empty_key", ["=1"], "environment variable '=1' must be of the form KEY=VALUE"),
    ("empty_value", ["A="], "environment variable 'A=' must be of the form KEY=VALUE"),
]


@pytest.mark.parametrize(("env", "want"), [c[1:] for c in ENV_CASES], ids=[c[0] for c in ENV_CASES])
def test_env_vars(env: list[str], want: str | None) -> None:
    if want is None:
        validate_env_vars(env)
        return
    with pytest.raises(InvalidArgument) as caught:
        validate_env_vars(env)
    assert caught.value.message == want


RANGE_CASES = [
    ("kitchen", "3:04PM", "11:59PM", None),
    ("spaced", "9:00 AM", "5:00 PM", None),
    ("24h", "17:00", "5:00PM", "time window begin '17:00' must use the 3:04PM time format"),
    ("bad_end", "9:00AM", "9", "time window end '9' must use the 3:04PM time format"),
]


@pytest.mark.parametrize(
    ("begin", "end", "want"), [c[1:] for c in RANGE_CASES], ids=[c[0] for c in RANGE_CASES]
)
def test_time_range(begin: str, end: str, want: str | None) -> None:
    assert TimeWindowTimeRange(begin=begin, end=end).problem() == want


SUBDUE_CASES = [
    ("valid", "2024-01-01T00:00:00Z", "2024-01-01T08:00:00Z", ["weekdays"], None),
    (
        "end_before_begin",
        "2024-01-02T00:00:00Z",
        "2024-01-01T00:00:00Z",
        [],
        "subdue 0 invalid: end time must be after begin time",
    ),
    (
        "not_rfc3339",
        "yesterday",
        "2024-01-01T00:00:00Z",
        [],
        "subdue 0 invalid: begin time 'yesterday' is not an RFC 3339 timestamp",
    ),
    (
        "no_zone",
        "2024-01-01T00:00:00",
        "2024-01-01T08:00:00Z",
        [],
        "subdue 0 invalid: begin time '2024-01-01T00:00:00' is not an RFC 3339 timestamp",
    ),
    (
        "bad_repeat",
        "2024-01-01T00:00:00Z",
        "2024-01-01T08:00:00Z",
        ["fortnightly"],
        "subdue 0 invalid: invalid repeat period: fortnightly",
    ),
]


@pytest.mark.parametrize(
    ("begin", "end", "repeat", "want"),
    [c[1:] for c in SUBDUE_CASES],
    ids=[c[0] for c in SUBDUE_CASES],
)
def test_subdues(begin: str, end: str, repeat: list[str], want: str | None) -> None:
    window = TimeWindowRepeated(begin=begin, end=end, repeat=repeat)
    if want is None:
        validate_subdues([window])
        return
    with pytest.raises(InvalidArgument) as caught:
        validate_subdues([window])
    assert caught.value.message == want
